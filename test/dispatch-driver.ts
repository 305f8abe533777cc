// Runs the cron's fan-out in-process, the way DISPATCH_QUEUE would: the tick's roots, then range
// messages in batches of 10 (one consumer invocation each), `parallelism` invocations at a time. Work
// messages go to the real FETCH_QUEUE ("queue"), are run through their workspace objects right here
// once the fan-out is done, `fetchParallelism` at a time ("run": the consumer's fetch path without the
// local queue's delivery pace), or are only counted ("count", for a million keys).
// Each invocation's subrequests (D1 queries + queue calls) are summed, so the largest is measured.
import { env } from "cloudflare:workers";
import { sendFetches, type WorkMessage } from "../src/framework/fetch-queue";
import { workspaceClient } from "../src/workspace/client";
import { type DispatchSinks, type RangeMessage, runRange, seedDispatch } from "../src/jobs/dispatch";

export interface FanOutResult {
  d1Queries: number;
  queueCalls: number;
  /** Work messages sent (fetches and refreshes). */
  messages: number;
  ranges: number;
  invocations: number;
  maxSubrequestsPerInvocation: number;
  seconds: number;
  /** "run": work messages whose fetch (or refresh) succeeded. */
  succeeded: number;
  /** "run": work messages that failed, or whose call the test runtime dropped before it reached the object. */
  failed: number;
}

const BATCH = 10;

export async function runFanOut(
  now: number,
  options: {
    work?: "queue" | "run" | "count";
    parallelism?: number;
    /** "run": fetches at a time, at most 20 (see below). */
    fetchParallelism?: number;
    kinds?: RangeMessage["kind"][];
  } = {},
): Promise<FanOutResult> {
  const { work = "queue", parallelism = 4, fetchParallelism = 20, kinds } = options;
  const started = performance.now();
  const pending: RangeMessage[] = [];
  const sinks: DispatchSinks = {
    ranges(messages) {
      pending.push(...messages.filter((m) => !kinds || kinds.includes(m.kind)));
      return Promise.resolve(messages.length > 0 ? 1 : 0);
    },
    work: (messages) => {
      if (work === "queue") return sendFetches(env.FETCH_QUEUE, messages);
      if (work === "run") toRun.push(...messages);
      return Promise.resolve(Math.ceil(messages.length / 100));
    },
  };
  const toRun: WorkMessage[] = [];
  const seed = await seedDispatch(env, now, sinks);
  const result: FanOutResult = {
    d1Queries: seed.d1Queries,
    queueCalls: seed.queueCalls,
    messages: 0,
    ranges: seed.ranges,
    invocations: 1,
    maxSubrequestsPerInvocation: seed.d1Queries + seed.queueCalls,
    seconds: 0,
    succeeded: 0,
    failed: 0,
  };
  const invoke = async () => {
    for (let batch = pending.splice(0, BATCH); batch.length > 0; batch = pending.splice(0, BATCH)) {
      const reports = await Promise.all(batch.map((range) => runRange(env, range, sinks)));
      let subrequests = 0;
      for (const r of reports) {
        result.d1Queries += r.d1Queries;
        result.queueCalls += r.queueCalls;
        result.messages += r.messages;
        result.ranges += r.ranges;
        subrequests += r.d1Queries + r.queueCalls;
      }
      result.invocations++;
      result.maxSubrequestsPerInvocation = Math.max(result.maxSubrequestsPerInvocation, subrequests);
    }
  };
  // Invocations start as messages appear; stop when none is left and none is running.
  while (pending.length > 0) await Promise.all(Array.from({ length: parallelism }, invoke));
  result.seconds = (performance.now() - started) / 1000;
  // The fetches, at most 20 at a time: more outrun the test runtime's loopback to the objects, which
  // then drops calls ("Network connection lost"); a dropped call is counted, as the queue would retry it.
  let next = 0;
  const worker = async () => {
    while (next < toRun.length) {
      const message = toRun[next++]!;
      const ok = await execute(message).then(
        (outcome) => outcome.ok,
        () => false,
      );
      if (ok) result.succeeded++;
      else result.failed++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(fetchParallelism, 20) }, worker));
  return result;
}

/** What the fetch consumer does with one message, without the queue. */
function execute(message: WorkMessage): Promise<{ ok: boolean }> {
  const client = workspaceClient(env, message.workspaceId);
  const ref = { integration: message.integration, tenantId: message.tenantId };
  return "refresh" in message
    ? client.refreshNow(ref, message.issuedBefore === undefined ? true : { issuedBefore: message.issuedBefore })
    : client.runFetch(ref, message.cacheDate, message.trigger);
}
