// The FETCH_QUEUE message: one cache key to fetch through its workspace's Durable Object, one
// connection to refresh (the keep-alive), or a provider's verified webhook events to route to the
// connections holding their tenants. The cron's fan-out, the manual-fetch route, the provider
// webhook route and the consumer share it.
import * as z from "zod/mini";
import { lazy } from "./lazy";

// Messages queued before connections had tenants carry none: '' is the tenant a provider without
// tenants has, and the workspace object resolves a missing one to the provider's only connection.
const tenantId = () => z.optional(z.string().check(z.maxLength(256)));

const fetchKey = () =>
  z.object({
    workspaceId: z.string().check(z.minLength(1)),
    integration: z.string().check(z.minLength(1)),
    /** The connection's tenant ('' for a provider without tenants). */
    tenantId: tenantId(),
    /** The 12-month batch rule's cache key (epoch seconds). */
    cacheDate: z.int(),
    trigger: z.enum(["cron", "manual"]),
  });

const refreshConnection = () =>
  z.object({
    workspaceId: z.string().check(z.minLength(1)),
    integration: z.string().check(z.minLength(1)),
    tenantId: tenantId(),
    /** A keep-alive: refresh the connection's tokens, fetch nothing. */
    refresh: z.literal(true),
    /**
     * Refresh only if the grant's tokens were issued before this (epoch ms): the connections of one
     * grant each get a message, and the first refresh makes the others' unnecessary.
     */
    issuedBefore: z.optional(z.int()),
  });

const providerEvents = () =>
  z.object({
    /** The registry name of the provider that sent them. */
    integration: z.string().check(z.minLength(1)),
    /** Verified events (src/framework/provider-events.ts), at most PROVIDER_EVENTS_PER_MESSAGE. */
    providerEvents: z
      .array(
        z.object({
          tenantId: z.string().check(z.minLength(1), z.maxLength(256)),
          kind: z.string().check(z.maxLength(128)),
          id: z.string().check(z.minLength(1), z.maxLength(512)),
        }),
      )
      .check(z.minLength(1), z.maxLength(100)),
  });

export const fetchMessage = lazy(() => z.union([fetchKey(), refreshConnection(), providerEvents()]));

/** One cache key to fetch. */
export type FetchMessage = z.infer<ReturnType<typeof fetchKey>>;
/** One connection to refresh. */
export type RefreshMessage = z.infer<ReturnType<typeof refreshConnection>>;
/** A provider's verified webhook events. */
export type ProviderEventsMessage = z.infer<ReturnType<typeof providerEvents>>;
/** What the cron's fan-out and the manual-fetch route queue. */
export type WorkMessage = FetchMessage | RefreshMessage;

/** Events per message: a queue message holds at most 128 KB, and one event is well under 1 KB. */
export const PROVIDER_EVENTS_PER_MESSAGE = 100;

/** Queues accept at most 100 messages per sendBatch. */
export const SEND_BATCH_LIMIT = 100;

/** Sends messages in batches of at most 100; returns the number of sendBatch calls. */
export async function sendFetches(
  queue: Queue,
  messages: readonly (WorkMessage | ProviderEventsMessage)[],
): Promise<number> {
  let calls = 0;
  for (let i = 0; i < messages.length; i += SEND_BATCH_LIMIT) {
    await queue.sendBatch(
      messages.slice(i, i + SEND_BATCH_LIMIT).map((body) => ({ body, contentType: "json" as const })),
    );
    calls++;
  }
  return calls;
}

/** Queues a provider's verified events for routing, at most PROVIDER_EVENTS_PER_MESSAGE per message. */
export async function queueProviderEvents(
  queue: Queue,
  integration: string,
  events: readonly ProviderEventsMessage["providerEvents"][number][],
): Promise<void> {
  const messages: ProviderEventsMessage[] = [];
  for (let i = 0; i < events.length; i += PROVIDER_EVENTS_PER_MESSAGE)
    messages.push({ integration, providerEvents: events.slice(i, i + PROVIDER_EVENTS_PER_MESSAGE) });
  await sendFetches(queue, messages);
}
