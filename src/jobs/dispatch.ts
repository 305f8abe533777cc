// The cron's fan-out. A tick only seeds the work: one D1 query for where each key space ends and one
// send of three root range messages (requested keys by data_cache rowid, default keys and keep-alive
// by integration_access id) to DISPATCH_QUEUE. The dispatch consumer splits a range wider than
// LEAF_SPAN into FANOUT children and sends them back; a leaf range is paged (500 rows a D1 query)
// and its due keys go to FETCH_QUEUE (100 a sendBatch). So every invocation's subrequests are
// bounded by the leaf span, whatever N, and nothing waits for the next tick.
//
// Due: keys the host app asked for within the retention window whose data is older than the refresh
// age, each healthy connection's default key (the last 24 months) when missing or old, and each
// healthy connection idle longer than its provider's keep-alive age (a refresh, not a fetch).
import * as z from "zod/mini";
import { cacheDateKey, defaultFromDate } from "../framework/dates";
import { SEND_BATCH_LIMIT, sendFetches, type WorkMessage } from "../framework/fetch-queue";
import { lazy } from "../framework/lazy";
import { eachMessage, queueRetryDelaySeconds } from "./messages";
import { resealMessage, runResealMessage } from "./reseal";
import { dispatchSettings } from "../framework/settings";
import { availableProviders, dataFormats, findProvider } from "../providers/registry";
import {
  DUE_PAGE_SIZE,
  type DueKey,
  type DueWindow,
  defaultDueKeys,
  idleConnectionsIn,
  keySpaceEnds,
  type KeyRange,
  requestedDueKeys,
} from "../storage/dispatch";

/** The queue name the dispatch consumer is bound to in wrangler.toml; the queue handler routes by it. */
export const DISPATCH_QUEUE_NAME = "zebbra-dispatch";

/** A range wider than this many cursors is split, not paged: a leaf costs at most ~LEAF_SPAN / 500 + LEAF_SPAN / 100 subrequests. */
export const LEAF_SPAN = 5_000;
/** Children per split. */
export const FANOUT = 8;

export const rangeMessage = lazy(() =>
  z.object({
    kind: z.enum(["requested", "default", "keepalive"]),
    lo: z.int().check(z.minimum(0)),
    hi: z.int().check(z.minimum(0)),
    /** The tick's time: every range of one tick judges "due" against the same clock. */
    now: z.number(),
  }),
);

export type RangeMessage = z.infer<ReturnType<typeof rangeMessage>>;

/** Where a range's output goes: child ranges and work messages (production: the two queues). */
export interface DispatchSinks {
  /** Sends child ranges; returns the number of queue calls made. */
  ranges(messages: readonly RangeMessage[]): Promise<number>;
  /** Sends fetch and refresh messages; returns the number of queue calls made. */
  work(messages: readonly WorkMessage[]): Promise<number>;
}

export function queueSinks(env: Env): DispatchSinks {
  return {
    async ranges(messages) {
      if (messages.length === 0) return 0;
      await env.DISPATCH_QUEUE.sendBatch(messages.map((body) => ({ body, contentType: "json" as const })));
      return 1;
    },
    work: (messages) => sendFetches(env.FETCH_QUEUE, messages),
  };
}

/** What one step cost: its subrequests are d1Queries + queueCalls. */
export interface DispatchReport {
  d1Queries: number;
  queueCalls: number;
  /** Work messages sent (fetches and refreshes). */
  messages: number;
  /** Child ranges sent. */
  ranges: number;
}

const emptyReport = (): DispatchReport => ({ d1Queries: 0, queueCalls: 0, messages: 0, ranges: 0 });

/** The cron's part: the roots, one per kind, covering each key space up to its current end. */
export async function seedDispatch(env: Env, now: number, sinks = queueSinks(env)): Promise<DispatchReport> {
  const ends = await keySpaceEnds(env.DB);
  const roots: RangeMessage[] = [
    { kind: "requested", lo: 0, hi: ends.cacheRows, now },
    { kind: "default", lo: 0, hi: ends.connections, now },
    { kind: "keepalive", lo: 0, hi: ends.connections, now },
  ].filter((r) => r.hi > r.lo) as RangeMessage[];
  const queueCalls = await sinks.ranges(roots);
  return { d1Queries: 1, queueCalls, messages: 0, ranges: roots.length };
}

/** `range` cut into FANOUT contiguous children (fewer when it is narrow). */
export function splitRange(range: RangeMessage): RangeMessage[] {
  const span = range.hi - range.lo;
  const size = Math.ceil(span / FANOUT);
  const children: RangeMessage[] = [];
  for (let lo = range.lo; lo < range.hi; lo += size) children.push({ ...range, lo, hi: Math.min(range.hi, lo + size) });
  return children;
}

/** One range message: split it, or page it and send its due work. */
export async function runRange(env: Env, range: RangeMessage, sinks = queueSinks(env)): Promise<DispatchReport> {
  const report = emptyReport();
  if (range.hi - range.lo > LEAF_SPAN) {
    const children = splitRange(range);
    report.queueCalls += await sinks.ranges(children);
    report.ranges = children.length;
    return report;
  }
  const settings = dispatchSettings(env);
  const window: DueWindow = {
    requestedAfter: range.now - settings.retentionMs,
    staleBefore: range.now - settings.refreshAfterMs,
    defaultKey: cacheDateKey(defaultFromDate(range.now)),
    formats: dataFormats(),
  };
  const page = pager(env, range, window);
  let pending: WorkMessage[] = [];
  for (let cursor = range.lo; ;) {
    const keys = await page(cursor);
    report.d1Queries++;
    pending.push(...keys.work);
    // Full sendBatch calls as they fill; the remainder after the last page.
    while (pending.length >= SEND_BATCH_LIMIT) {
      const batch = pending.slice(0, SEND_BATCH_LIMIT);
      pending = pending.slice(SEND_BATCH_LIMIT);
      report.queueCalls += await sinks.work(batch);
      report.messages += batch.length;
    }
    if (keys.rows < DUE_PAGE_SIZE) break;
    cursor = keys.last;
  }
  if (pending.length > 0) {
    report.queueCalls += await sinks.work(pending);
    report.messages += pending.length;
  }
  return report;
}

interface Page {
  /** Rows the query returned (a short page ends the range). */
  rows: number;
  /** The last row's cursor. */
  last: number;
  work: WorkMessage[];
}

/** The page reader for the range's kind, turning rows into work for providers this deployment offers. */
function pager(env: Env, range: RangeMessage, window: DueWindow): (cursor: number) => Promise<Page> {
  const bounds: KeyRange = { lo: range.lo, hi: range.hi };
  // Providers without an adapter (api_type null) have nothing to fetch.
  const fetchable = (k: DueKey) => (findProvider(k.integration, env)?.apiType ?? null) !== null;
  const pageOf = (rows: DueKey[], work: WorkMessage[]): Page => ({
    rows: rows.length,
    last: rows.at(-1)?.cursor ?? 0,
    work,
  });
  if (range.kind === "keepalive") {
    const ages = new Map<string, number>(
      availableProviders(env).flatMap((p): [string, number][] =>
        p.keepAliveAfterMs === undefined ? [] : [[p.name, p.keepAliveAfterMs]],
      ),
    );
    const earliest = range.now - Math.min(...ages.values());
    return async (cursor) => {
      const rows = await idleConnectionsIn(env.DB, [...ages.keys()], earliest, cursor, bounds);
      const idle = rows.filter((r) => r.tokensIssuedAt < range.now - ages.get(r.integration)!);
      // One message per connection; the connections of one grant refresh it once (issuedBefore).
      return pageOf(
        rows,
        idle.map((r) => ({
          workspaceId: r.workspaceId,
          integration: r.integration,
          tenantId: r.tenantId,
          refresh: true as const,
          issuedBefore: range.now - ages.get(r.integration)!,
        })),
      );
    };
  }
  const read = range.kind === "requested" ? requestedDueKeys : defaultDueKeys;
  return async (cursor) => {
    const rows = await read(env.DB, window, cursor, bounds);
    return pageOf(
      rows,
      rows.filter(fetchable).map((k) => ({
        workspaceId: k.workspaceId,
        integration: k.integration,
        tenantId: k.tenantId,
        cacheDate: k.cacheDate,
        trigger: "cron" as const,
      })),
    );
  };
}

/** DISPATCH_QUEUE consumer: each range message is run independently; a failed one is retried by the queue. */
export async function consumeDispatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  // A step of a re-seal pass (src/jobs/reseal.ts) rides this queue too: it is cron work, bounded the same way.
  await eachMessage(batch, z.union([rangeMessage(), resealMessage()]), "dispatch", async (range, message) => {
    if (range.kind === "reseal") return runResealStepMessage(env, range, message);
    try {
      await runRange(env, range);
      message.ack();
    } catch (err) {
      // Sends already made are repeated on the retry: a key fetched twice is cheap, a key missed waits an hour.
      console.error("dispatch range failed", range.kind, err instanceof Error ? err.message : "");
      message.retry({ delaySeconds: queueRetryDelaySeconds(message.attempts) });
    }
  });
}

/** One re-seal step from the queue; a failed one is repeated as it was (a row it already moved is not read again). */
async function runResealStepMessage(
  env: Env,
  step: z.infer<ReturnType<typeof resealMessage>>,
  message: Message<unknown>,
): Promise<void> {
  try {
    await runResealMessage(env, step);
    message.ack();
  } catch (err) {
    console.error("re-seal step failed", err instanceof Error ? err.message : "");
    message.retry({ delaySeconds: queueRetryDelaySeconds(message.attempts) });
  }
}
