// What every queue consumer does first: take the batch's messages side by side, validate each body
// against the queue's schema, and acknowledge (drop, with a log line) one that does not fit, since
// retrying a malformed message can never help. A handler that throws gets its own message retried
// later (queueRetryDelaySeconds), never the whole batch at once.
import type * as z from "zod/mini";
import { exponentialBackoff } from "../framework/backoff";

/**
 * How long a message waits before the queue delivers it again after `attempts` deliveries:
 * exponential from 30 s, capped at 10 minutes, never sooner than the provider's Retry-After. A
 * retry without a delay would come back at once, and a failing dependency would see a storm.
 */
export function queueRetryDelaySeconds(attempts: number, retryAfterMs?: number): number {
  return Math.max(exponentialBackoff(Math.max(0, attempts - 1), 30, 600), Math.ceil((retryAfterMs ?? 0) / 1000));
}

/** Runs `handle` for each valid message of `batch`, all at once; the handler acks or retries. */
export async function eachMessage<S extends z.ZodMiniType>(
  batch: MessageBatch<unknown>,
  schema: S,
  queue: string,
  handle: (body: z.output<S>, message: Message<unknown>) => Promise<void>,
): Promise<void> {
  await Promise.all(
    batch.messages.map(async (message) => {
      const parsed = schema.safeParse(message.body);
      if (!parsed.success) {
        console.error(`dropping a malformed ${queue} message`, message.id);
        message.ack();
        return;
      }
      try {
        await handle(parsed.data, message);
      } catch (err) {
        // Thrown out of the handler the whole batch would be retried at once, the messages that
        // succeeded included: this one alone comes back, later.
        console.error(`${queue} message failed`, message.id, err instanceof Error ? err.message : "");
        message.retry({ delaySeconds: queueRetryDelaySeconds(message.attempts) });
      }
    }),
  );
}
