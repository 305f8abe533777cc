// The webhook outbox in D1. An event is written by the same batch as the state change it reports
// (see connections.ts, cache.ts, runs.ts), so a change is never committed without its event; the
// queue consumer then records each delivery attempt here, and the cron re-queues any event whose
// queue message was lost.
import { and, desc, eq, inArray, lt, ne, sql } from "drizzle-orm";
import { type Db, storageOp } from "./db";
import { integrationAccess, webhookEvents, type WebhookEventRow } from "./schema";

/** An event to record: the Standard Webhooks body (`type`, `timestamp`, `data`) plus its id. */
export interface OutboxEvent {
  id: string;
  workspaceId: string;
  integration: string;
  type: string;
  /** Epoch ms. */
  occurredAt: number;
  data: Record<string, string | number | boolean | null>;
}

export type WebhookState = "pending" | "delivered" | "dead";

/** An event and its delivery state. */
export type StoredWebhookEvent = Omit<WebhookEventRow, "state"> & { state: WebhookState };

const row = (event: OutboxEvent) => ({ ...event, state: "pending", attempts: 0, nextAttemptAt: event.occurredAt });

/** The insert of `event`, for a caller's batch. */
export function insertEvent(d: Db, event: OutboxEvent) {
  return d.insert(webhookEvents).values(row(event));
}

/**
 * The insert of `event` only if `connection` (a condition on integration_access) matches a row when
 * the statement runs, for a caller's batch: an event about a change that found nothing to change is
 * not an event.
 */
export function insertEventIf(d: Db, event: OutboxEvent, connection: ReturnType<typeof and>) {
  const values = row(event);
  return d
    .insert(webhookEvents)
    .select(
      d
        .select({
          id: sql`${values.id}`.as("id"),
          workspaceId: sql`${values.workspaceId}`.as("workspace_id"),
          integration: sql`${values.integration}`.as("integration"),
          type: sql`${values.type}`.as("type"),
          occurredAt: sql`${values.occurredAt}`.as("occurred_at"),
          data: sql`${JSON.stringify(values.data)}`.as("data"),
          state: sql`${values.state}`.as("state"),
          attempts: sql`${values.attempts}`.as("attempts"),
          lastStatus: sql`null`.as("last_status"),
          lastError: sql`null`.as("last_error"),
          lastAttemptAt: sql`null`.as("last_attempt_at"),
          nextAttemptAt: sql`${values.nextAttemptAt}`.as("next_attempt_at"),
          deliveredAt: sql`null`.as("delivered_at"),
        })
        .from(integrationAccess)
        .where(connection)
        .limit(1),
    )
    .returning({ id: webhookEvents.id });
}

/** Records an event on its own (no state change goes with it). */
export const recordEvent = storageOp("record webhook event", async (d: Db, event: OutboxEvent) => {
  await insertEvent(d, event);
});

const stored = (r: WebhookEventRow): StoredWebhookEvent => ({ ...r, state: r.state as WebhookState });

/** One event of a workspace, or null. */
export const getWebhookEvent = storageOp(
  "read webhook event",
  async (d: Db, id: string, workspaceId?: string): Promise<StoredWebhookEvent | null> => {
    const where =
      workspaceId === undefined
        ? eq(webhookEvents.id, id)
        : and(eq(webhookEvents.id, id), eq(webhookEvents.workspaceId, workspaceId));
    const r = await d.select().from(webhookEvents).where(where).get();
    return r ? stored(r) : null;
  },
);

/** A workspace's events, newest first, optionally only those that happened before `before` (epoch ms). */
export const listWebhookEvents = storageOp(
  "list webhook events",
  async (
    d: Db,
    workspaceId: string,
    options: { limit: number; before?: number; state?: WebhookState },
  ): Promise<StoredWebhookEvent[]> => {
    const rows = await d
      .select()
      .from(webhookEvents)
      .where(
        and(
          eq(webhookEvents.workspaceId, workspaceId),
          options.before === undefined ? undefined : lt(webhookEvents.occurredAt, options.before),
          options.state === undefined ? undefined : eq(webhookEvents.state, options.state),
        ),
      )
      .orderBy(desc(webhookEvents.occurredAt), desc(webhookEvents.id))
      .limit(options.limit)
      .all();
    return rows.map(stored);
  },
);

/** The outcome of one delivery attempt, as the consumer records it. */
export interface AttemptRecord {
  delivered: boolean;
  status: number | null;
  error: string | null;
  /** Give up: the event becomes dead. Ignored when delivered. */
  dead: boolean;
  /** When the next attempt is due (epoch ms), for a pending event. */
  nextAttemptAt: number;
}

/**
 * Records an attempt on a pending event; returns its attempt count, or null when the event is not
 * pending (delivered or dead meanwhile, e.g. by a concurrent redelivery), in which case nothing changes.
 */
export const recordAttempt = storageOp(
  "record webhook attempt",
  async (d: Db, id: string, attempt: AttemptRecord, now: number): Promise<number | null> => {
    const state: WebhookState = attempt.delivered ? "delivered" : attempt.dead ? "dead" : "pending";
    const updated = await d
      .update(webhookEvents)
      .set({
        state,
        attempts: sql`${webhookEvents.attempts} + 1`,
        lastStatus: attempt.status,
        lastError: attempt.error,
        lastAttemptAt: now,
        nextAttemptAt: attempt.nextAttemptAt,
        ...(attempt.delivered ? { deliveredAt: now } : {}),
      })
      .where(and(eq(webhookEvents.id, id), eq(webhookEvents.state, "pending")))
      .returning({ attempts: webhookEvents.attempts });
    return updated[0]?.attempts ?? null;
  },
);

/**
 * Makes a delivered or dead event of `workspaceId` pending again with a fresh attempt count; null
 * when there is no such event or it is pending (in one statement, so two redeliveries never both
 * reset it while its first message is still under way).
 */
export const resetForRedelivery = storageOp(
  "reset webhook event",
  async (d: Db, workspaceId: string, id: string, now: number): Promise<StoredWebhookEvent | null> => {
    const [r] = await d
      .update(webhookEvents)
      .set({ state: "pending", attempts: 0, nextAttemptAt: now })
      .where(
        and(eq(webhookEvents.id, id), eq(webhookEvents.workspaceId, workspaceId), ne(webhookEvents.state, "pending")),
      )
      .returning();
    return r ? stored(r) : null;
  },
);

/**
 * Pending events whose next attempt was due before `dueBefore`, at most `limit`: their queue
 * message was lost (the worker was evicted after the change, or a send failed). Their due time is
 * moved to `now`, so the next pass does not pick them again while they are in flight.
 */
export const takeOverdueEvents = storageOp(
  "take overdue webhook events",
  async (d: Db, dueBefore: number, now: number, limit: number): Promise<string[]> => {
    const overdue = d
      .select({ id: webhookEvents.id })
      .from(webhookEvents)
      .where(and(eq(webhookEvents.state, "pending"), lt(webhookEvents.nextAttemptAt, dueBefore)))
      .orderBy(webhookEvents.nextAttemptAt)
      .limit(limit);
    const rows = await d
      .update(webhookEvents)
      .set({ nextAttemptAt: now })
      .where(inArray(webhookEvents.id, overdue))
      .returning({ id: webhookEvents.id });
    return rows.map((r) => r.id);
  },
);

/** Deletes delivered events older than `deliveredBefore` and dead ones older than `deadBefore`. */
export const pruneWebhookEvents = storageOp(
  "prune webhook events",
  async (d: Db, deliveredBefore: number, deadBefore: number, limit: number = 5000): Promise<number> => {
    const old = d
      .select({ id: webhookEvents.id })
      .from(webhookEvents)
      .where(
        sql`(${webhookEvents.state} = 'delivered' and ${webhookEvents.occurredAt} < ${deliveredBefore}) or (${webhookEvents.state} = 'dead' and ${webhookEvents.occurredAt} < ${deadBefore})`,
      )
      .limit(limit);
    const deleted = await d
      .delete(webhookEvents)
      .where(inArray(webhookEvents.id, old))
      .returning({ id: webhookEvents.id });
    return deleted.length;
  },
);
