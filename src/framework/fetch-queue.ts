// The FETCH_QUEUE message: one cache key to fetch through its workspace's Durable Object, or one
// connection to refresh (the keep-alive). The cron's fan-out, the manual-fetch route and the consumer
// share it.
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

export const fetchMessage = lazy(() => z.union([fetchKey(), refreshConnection()]));

/** One cache key to fetch. */
export type FetchMessage = z.infer<ReturnType<typeof fetchKey>>;
/** One connection to refresh. */
export type RefreshMessage = z.infer<ReturnType<typeof refreshConnection>>;
export type WorkMessage = FetchMessage | RefreshMessage;

/** Queues accept at most 100 messages per sendBatch. */
export const SEND_BATCH_LIMIT = 100;

/** Sends messages in batches of at most 100; returns the number of sendBatch calls. */
export async function sendFetches(queue: Queue, messages: readonly WorkMessage[]): Promise<number> {
  let calls = 0;
  for (let i = 0; i < messages.length; i += SEND_BATCH_LIMIT) {
    await queue.sendBatch(
      messages.slice(i, i + SEND_BATCH_LIMIT).map((body) => ({ body, contentType: "json" as const })),
    );
    calls++;
  }
  return calls;
}
