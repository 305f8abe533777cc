// FETCH_QUEUE consumer: each key (or keep-alive refresh) runs through its workspace's Durable Object,
// and a provider's webhook events are routed to the connections holding their tenants
// (provider-events.ts). Messages are handled
// independently, so one failing provider or workspace never holds up another; transient failures
// are retried with backoff, and a key the queue gives up on is recorded as a dead letter.
import { isTransient } from "../framework/failure";
import { fetchMessage } from "../framework/fetch-queue";
import { type AccessOutcome, type FetchOutcome, workspaceClient } from "../workspace/client";
import { eachMessage, queueRetryDelaySeconds } from "./messages";
import { routeProviderEvents } from "./provider-events";

/** Must match `max_retries` of the consumer in wrangler.toml. */
const QUEUE_MAX_RETRIES = 3;

export interface ConsumeReport {
  succeeded: number;
  failed: number;
  retried: number;
  deadLettered: number;
}

export async function consumeFetches(batch: MessageBatch<unknown>, env: Env): Promise<ConsumeReport> {
  const report: ConsumeReport = { succeeded: 0, failed: 0, retried: 0, deadLettered: 0 };
  await eachMessage(batch, fetchMessage(), "fetch", async (work, message) => {
    if ("providerEvents" in work) {
      // A failure throws: eachMessage retries this message alone, later.
      await routeProviderEvents(env, work);
      report.succeeded++;
      message.ack();
      return;
    }
    const { workspaceId, integration } = work;
    const ref = { integration, tenantId: work.tenantId };
    let outcome: FetchOutcome | AccessOutcome;
    try {
      const client = workspaceClient(env, workspaceId);
      outcome =
        "refresh" in work
          ? await client.refreshNow(ref, work.issuedBefore === undefined ? true : { issuedBefore: work.issuedBefore })
          : await client.runFetch(ref, work.cacheDate, work.trigger);
    } catch (err) {
      console.error("fetch message failed", integration, err);
      outcome = { ok: false, failure: { reason: "internal_error", message: "The workspace object failed" } };
    }
    if (outcome.ok) {
      report.succeeded++;
      message.ack();
    } else if (!isTransient(outcome.failure.reason)) {
      // Logged by the object; retrying cannot help (reconnect needed, bad data).
      report.failed++;
      message.ack();
    } else if (message.attempts > QUEUE_MAX_RETRIES) {
      report.deadLettered++;
      const error = `gave up after ${message.attempts} attempts: ${outcome.failure.reason}`;
      // A keep-alive that gives up is retried by the next tick; only fetches are logged.
      if ("refresh" in work) console.warn("keep-alive refresh gave up", integration, outcome.failure.reason);
      else
        await workspaceClient(env, workspaceId)
          .recordDeadLetter({ integration, tenantId: work.tenantId ?? "" }, work.cacheDate, work.trigger, error)
          // The object that failed the fetch may fail this too; the message is done either way.
          .catch((err: unknown) => console.error("dead letter not logged", integration, error, err));
      message.ack();
    } else {
      report.retried++;
      message.retry({ delaySeconds: queueRetryDelaySeconds(message.attempts, outcome.failure.retryAfterMs) });
    }
  });
  return report;
}
