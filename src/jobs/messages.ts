// What every queue consumer does first: take the batch's messages side by side, validate each body
// against the queue's schema, and acknowledge (drop, with a log line) one that does not fit, since
// retrying a malformed message can never help.
import type * as z from "zod/mini";

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
      await handle(parsed.data, message);
    }),
  );
}
