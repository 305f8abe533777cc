// Cached payloads live in the workspace's Durable Object storage and D1 keeps only their index: a
// cached read is one storage read and no upstream call, a payload D1 still holds from before the move
// is moved on its first read, and disconnecting drops the payloads while a failing provider never does.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { cacheDateKey } from "../src/framework/dates";
import type { StoredPayload } from "../src/workspace/payloads";
import { workspaceClient } from "../src/workspace/client";
import { scriptApi, tenantRequests } from "./fake-client";
import { call, getData, seedConnection, token } from "./helpers";

const FROM = "2021-06-01";
const KEY = cacheDateKey(FROM);

interface IndexRow {
  payload: string | null;
  size: number;
  created_at: number;
}

/** The object's storage key of the Xero connection's payload for KEY. */
const payloadKey = (tenant: string) => `payload:Xero/${encodeURIComponent(tenant)}:${KEY}`;

const indexRow = (ws: string) =>
  env.DB.prepare("SELECT payload, size, created_at FROM data_cache WHERE workspace_id = ? AND cache_date = ?")
    .bind(ws, KEY)
    .first<IndexRow>();

/** Every payload the workspace's object holds, by storage key. */
const objectPayloads = (ws: string) =>
  runInDurableObject(env.WORKSPACE.getByName(ws), (_instance, state) =>
    Object.fromEntries(state.storage.kv.list<StoredPayload>({ prefix: "payload:" })),
  );

/** Xero connected and one key fetched. */
async function fetchedXero(ws: string) {
  const grant = await seedConnection(ws, "xero");
  const tenantId = grant.tenantIds.at(-1)!;
  const res = await getData(ws, "Xero", FROM);
  expect(res.status).toBe(200);
  return { grant, tenantId, body: await res.text() };
}

describe("cached payloads in the workspace's object", () => {
  it("should keep the payload in the object and only its index (no payload, its size) in D1", async () => {
    const ws = "ws-payload-index";
    const { tenantId } = await fetchedXero(ws);
    const stored = (await objectPayloads(ws))[payloadKey(tenantId)]!;
    expect(JSON.parse(stored.json)).toMatchObject({ apiType: "accounting" });
    const row = (await indexRow(ws))!;
    expect(row.payload).toBeNull();
    expect(row.size).toBe(new TextEncoder().encode(stored.json).byteLength);
    expect(row.created_at).toBe(stored.fetchedAt);
  });

  it("should serve a cached read with one storage read, no D1 query and no upstream call", async () => {
    const ws = "ws-payload-hit";
    const { tenantId, body } = await fetchedXero(ws);
    const upstream = (await tenantRequests(tenantId)).length;

    const reads = await runInDurableObject(env.WORKSPACE.getByName(ws), async (instance, state) => {
      const get = vi.spyOn(state.storage.kv, "get");
      const list = vi.spyOn(state.storage.kv, "list");
      const sql = vi.spyOn(state.storage.sql, "exec");
      const prepare = vi.spyOn(env.DB, "prepare");
      try {
        const cached = await instance.readCached({ integration: "Xero" }, KEY);
        expect(cached.ok && cached.payload?.json).toBeTypeOf("string");
        return {
          storage: get.mock.calls.length + list.mock.calls.length + sql.mock.calls.length,
          d1: prepare.mock.calls.length,
        };
      } finally {
        vi.restoreAllMocks();
      }
    });
    expect(reads).toEqual({ storage: 1, d1: 0 });

    expect(await (await getData(ws, "Xero", FROM)).text()).toBe(body);
    expect((await tenantRequests(tenantId)).length).toBe(upstream);
  });

  it("should move a payload D1 still holds into the object on its first read, then null it in D1", async () => {
    const ws = "ws-payload-legacy";
    const { tenantId } = { tenantId: (await seedConnection(ws, "xero")).tenantIds.at(-1)! };
    const payload = JSON.stringify({
      apiType: "accounting",
      batch: { dates: ["2021-06-30"], data: { "Total Income": { "2021-06-30": 1234.5 } } },
    });
    // A row as written before payloads moved: payload in D1, size unknown.
    await env.DB.prepare(
      "INSERT INTO data_cache (workspace_id, integration, tenant_id, cache_date, payload, created_at, last_requested_at) VALUES (?, 'Xero', ?, ?, ?, ?, ?)",
    )
      .bind(ws, tenantId, KEY, payload, 1_700_000_000_000, Date.now())
      .run();
    expect(await objectPayloads(ws)).toEqual({});

    // The same count as for a cached read: the first read of a legacy key goes to D1.
    const d1 = await runInDurableObject(env.WORKSPACE.getByName(ws), async (instance) => {
      // The object's first read of the workspace loads its connections; later ones find them in memory.
      await instance.readCached({ integration: "Xero" }, KEY + 2 * 86_400);
      const prepare = vi.spyOn(env.DB, "prepare");
      const batch = vi.spyOn(env.DB, "batch");
      try {
        await instance.readCached({ integration: "Xero" }, KEY + 86_400);
        return prepare.mock.calls.length + batch.mock.calls.length;
      } finally {
        vi.restoreAllMocks();
      }
    });
    expect(d1).toBe(1);

    // Moved on its first read; written before Xero's data format 2, so a miss rather than served.
    const moved = await runInDurableObject(env.WORKSPACE.getByName(ws), (instance) =>
      instance.readCached({ integration: "Xero" }, KEY),
    );
    expect(moved.ok && moved.payload).toBeNull();
    expect(await objectPayloads(ws)).toEqual({
      [payloadKey(tenantId)]: { json: payload, fetchedAt: 1_700_000_000_000 },
    });
    expect(await indexRow(ws)).toEqual({ payload: null, size: payload.length, created_at: 1_700_000_000_000 });
    expect(await tenantRequests(tenantId)).toHaveLength(0);

    // The read that follows fetches it again.
    const res = await getData(ws, "Xero", FROM);
    expect(res.status).toBe(200);
    const body = await res.json<{ fetched_at: string; data: Record<string, unknown> }>();
    expect(Date.parse(body.fetched_at)).toBeGreaterThan(1_700_000_000_000);
    expect(body.data["Total Income"]).not.toEqual({ "2021-06-30": 1234.5 });
    expect(await tenantRequests(tenantId)).toHaveLength(4);
    expect((await objectPayloads(ws))[payloadKey(tenantId)]).toMatchObject({ format: 2 });
  });

  it("should delete the payloads on disconnect", async () => {
    const ws = "ws-payload-disconnect";
    await fetchedXero(ws);
    expect(Object.keys(await objectPayloads(ws))).toHaveLength(1);
    const res = await call(`/integration/disconnect?workspace_id=${ws}&integration=Xero`, {
      method: "POST",
      bearer: await token({ [ws]: "admin" }),
    });
    expect(res.status).toBe(200);
    expect(await objectPayloads(ws)).toEqual({});
    expect(await indexRow(ws)).toBeNull();
    expect((await getData(ws, "Xero", FROM)).status).toBe(404);
  });

  it("should keep the payload when the provider fails", async () => {
    const ws = "ws-payload-failing";
    const { grant, body } = await fetchedXero(ws);
    const before = await objectPayloads(ws);
    await scriptApi(
      grant.grantId,
      Array.from({ length: 4 }, () => ({ status: 500 })),
    );
    const outcome = await workspaceClient(env, ws).runFetch({ integration: "Xero" }, KEY, "manual");
    expect(outcome.ok).toBe(false);
    expect(await objectPayloads(ws)).toEqual(before);
    expect((await indexRow(ws))?.size).toBeGreaterThan(0);
    expect(await (await getData(ws, "Xero", FROM)).text()).toBe(body);
  });
});
