// Where a cached payload lives: D1 (before) or the workspace's Durable Object storage (after).
// Prints the D1 bytes per cache key and per connection either way, measured with the Xero batch
// built from the recorded reports, and the read latency of D1, DO storage (sync KV and SQL APIs)
// and the whole cached read through the object. Local workerd figures: indicative, not production.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { it } from "vitest";
import { cacheDateKey } from "../src/framework/dates";
import { workspaceClient } from "../src/workspace/client";
import type { StoredPayload } from "../src/workspace/payloads";
import { setXeroReport } from "../test/fake-client";
import bs from "../test/fixtures/xero/balance-sheet-2021-06-to-2022-05.json";
import pl from "../test/fixtures/xero/profit-and-loss-2021-05-to-2022-03.json";
import { getData, seedConnection } from "../test/helpers";
import { printTable, quantile } from "./report";

const ROWS = 200;
const READS = 500;
const SYNC_READS = 5000;
/** Keys per connection: the default key plus WARM_KEYS_PER_CONNECTION on-demand ones, at most. */
const MAX_KEYS_PER_CONNECTION = 25;
const WS = "bench-payload";
const KEY = cacheDateKey("2021-06-01");

/** D1's database size after a batch of `rows` inserts, less before: bytes per row, pages included. */
async function bytesPerRow(sql: string, bind: (i: number) => unknown[]): Promise<number> {
  const before = (await env.DB.prepare("SELECT 1").run()).meta.size_after;
  const statements = Array.from({ length: ROWS }, (_, i) => env.DB.prepare(sql).bind(...bind(i)));
  const after = (await env.DB.batch(statements)).at(-1)!.meta.size_after;
  return Math.round((after - before) / ROWS);
}

/**
 * Mean microseconds per synchronous read: workerd's clock stands still while code runs and moves
 * on at the next I/O, so the loop is timed across one timer.
 */
async function microsPerSyncRead(n: number, read: () => unknown): Promise<number> {
  const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
  await tick();
  const t0 = Date.now();
  for (let i = 0; i < n; i++) read();
  await tick();
  return Number((((Date.now() - t0) * 1000) / n).toFixed(1));
}

/** A 24-month batch with the recorded batch's titles, its values repeated over the extra months. */
function twentyFourMonths(json: string): string {
  const { batch } = JSON.parse(json) as {
    batch: { dates: string[]; data: Record<string, Record<string, number | null>> };
  };
  const dates = Array.from({ length: 24 }, (_, m) => new Date(Date.UTC(2020, 6 + m, 0)).toISOString().slice(0, 10));
  const data = Object.fromEntries(
    Object.entries(batch.data).map(([title, values]) => {
      const recorded = batch.dates.map((d) => values[d] ?? null);
      return [title, Object.fromEntries(dates.map((d, i) => [d, recorded[i % recorded.length] ?? null]))];
    }),
  );
  return JSON.stringify({ apiType: "accounting", batch: { dates, data } });
}

async function timed(n: number, read: () => unknown): Promise<{ p50_ms: number; p99_ms: number }> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await read();
    times.push(performance.now() - t0);
  }
  return { p50_ms: Number(quantile(times, 0.5).toFixed(3)), p99_ms: Number(quantile(times, 0.99).toFixed(3)) };
}

it("payload store", async ({ task }) => {
  const grant = await seedConnection(WS, "xero");
  const tenantId = grant.tenantIds.at(-1)!;
  await setXeroReport(tenantId, "ProfitAndLoss", pl);
  await setXeroReport(tenantId, "BalanceSheet", bs);
  if ((await getData(WS, "Xero", "2021-06-01")).status !== 200) throw new Error("the first read failed");
  const stub = env.WORKSPACE.getByName(WS);
  const { json } = (await runInDurableObject(stub, (_i, state) =>
    state.storage.kv.get<StoredPayload>(`payload:Xero:${KEY}`),
  ))!;
  const recordedBytes = new TextEncoder().encode(json).byteLength;
  const full = twentyFourMonths(json);
  const payloadBytes = new TextEncoder().encode(full).byteLength;

  // The same key the old way (payload in D1) and the new way (index only), ROWS connections each.
  const insert =
    "INSERT INTO data_cache (workspace_id, integration, cache_date, payload, created_at, last_requested_at, size) VALUES (?, 'Xero', ?, ?, ?, ?, ?)";
  const now = Date.now();
  const recorded = await bytesPerRow(insert, (i) => [`bench-recorded-${i}`, KEY, json, now, now, 0]);
  const legacy = await bytesPerRow(insert, (i) => [`bench-legacy-${i}`, KEY, full, now, now, 0]);
  const index = await bytesPerRow(insert, (i) => [`bench-index-${i}`, KEY, null, now, now, payloadBytes]);

  // Reads: the old edge path (one D1 query for the row, then JSON.parse), DO storage alone, and the
  // new edge path (one RPC to the object, which reads its storage; JSON.parse at the edge).
  const d1Read = await timed(READS, async () => {
    const row = await env.DB.prepare(
      "SELECT * FROM data_cache WHERE workspace_id = ? AND integration = 'Xero' AND cache_date = ?",
    )
      .bind("bench-legacy-0", KEY)
      .first<{ payload: string }>();
    return JSON.parse(row!.payload) as unknown;
  });
  const doReads = await runInDurableObject(stub, async (_i, state) => {
    state.storage.sql.exec("CREATE TABLE IF NOT EXISTS bench_payloads (k TEXT PRIMARY KEY, json TEXT)");
    state.storage.sql.exec("INSERT OR REPLACE INTO bench_payloads VALUES (?, ?)", "k", full);
    state.storage.kv.put("bench:full", { json: full, fetchedAt: now });
    const kv = await microsPerSyncRead(SYNC_READS, () => state.storage.kv.get<StoredPayload>("bench:full")!.json);
    const sql = await microsPerSyncRead(
      SYNC_READS,
      () => state.storage.sql.exec<{ json: string }>("SELECT json FROM bench_payloads WHERE k = ?", "k").one().json,
    );
    state.storage.kv.delete("bench:full");
    state.storage.sql.exec("DROP TABLE bench_payloads");
    return { kv, sql };
  });
  const client = workspaceClient(env, WS);
  const rpcRead = await timed(READS, async () => {
    const read = await client.readCached({ integration: "Xero" }, KEY);
    return read.ok ? (JSON.parse(read.payload!.json) as unknown) : null;
  });

  const figures = {
    payload:
      "Xero DataBatch, 24 months, with the titles of the batch built from the recorded Profit & Loss and Balance Sheet (test/fixtures/xero)",
    payload_bytes: payloadBytes,
    recorded_batch: { months: 14, payload_bytes: recordedBytes, d1_bytes_per_key: recorded },
    d1_bytes_per_key: { before: legacy, after: index },
    d1_bytes_per_connection: {
      one_key: { before: legacy, after: index },
      [`${MAX_KEYS_PER_CONNECTION}_keys`]: {
        before: legacy * MAX_KEYS_PER_CONNECTION,
        after: index * MAX_KEYS_PER_CONNECTION,
      },
    },
    reads: READS,
    read_latency_local: {
      d1_query_and_parse: d1Read,
      do_storage_kv_get_us_mean: doReads.kv,
      do_storage_sql_select_us_mean: doReads.sql,
      rpc_to_object_and_parse: rpcRead,
    },
  };
  task.meta.benchResult = { name: "payload-store", figures };
  printTable(
    `D1 bytes per cache key (24-month Xero payload ${payloadBytes} B; ${ROWS} rows each, from D1's size_after)`,
    ["where the payload lives", "bytes/key", `bytes/connection (1 key)`, `(${MAX_KEYS_PER_CONNECTION} keys)`],
    [
      ["D1 data_cache (before), 14 recorded months", recorded, recorded, recorded * MAX_KEYS_PER_CONNECTION],
      ["D1 data_cache (before)", legacy, legacy, legacy * MAX_KEYS_PER_CONNECTION],
      ["DO storage, D1 index (after)", index, index, index * MAX_KEYS_PER_CONNECTION],
    ],
  );
  printTable(
    `Cached read, local workerd (${READS} reads each)`,
    ["read", "p50 ms", "p99 ms"],
    [
      ["D1 query + JSON.parse (before)", d1Read.p50_ms, d1Read.p99_ms],
      ["DO storage kv.get (mean)", `${doReads.kv} µs`, ""],
      ["DO storage sql SELECT (mean)", `${doReads.sql} µs`, ""],
      ["RPC readCached + JSON.parse (after)", rpcRead.p50_ms, rpcRead.p99_ms],
    ],
  );
});
