// Each provider's cache carries a data format version: an entry cached under an older reading of the
// provider's answer (Xero's rolling sums, format 1) is never served as fresh; the next read fetches it
// again, a failed fetch serves nothing rather than the old figures, and the cron finds it due at once
// however recently it was fetched.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { cacheDateKey } from "../src/framework/dates";
import { dataFormatOf } from "../src/framework/provider";
import { dataFormats, providers } from "../src/providers/registry";
import { defaultDueKeys, requestedDueKeys } from "../src/storage/dispatch";
import type { StoredPayload } from "../src/workspace/payloads";
import { scriptApi, tenantRequests } from "./fake-client";
import { errorOf, getData, seedConnection } from "./helpers";

const FROM = "2021-06-01";
const KEY = cacheDateKey(FROM);
const OLD = JSON.stringify({
  apiType: "accounting",
  batch: { dates: ["2021-06-30"], data: { "Total Income": { "2021-06-30": 31735.85 } } },
});

/** The object's storage key of the Xero connection's payload for KEY. */
const payloadKey = (tenant: string) => `payload:Xero/${encodeURIComponent(tenant)}:${KEY}`;

/** A Xero key of the connection to `tenant` cached just now, as format 1 wrote it: payload in the object, index row in D1. */
async function cachedAsFormat1(ws: string, tenant: string, now: number) {
  await runInDurableObject(env.WORKSPACE.getByName(ws), (_instance, state) => {
    state.storage.kv.put<StoredPayload>(payloadKey(tenant), { json: OLD, fetchedAt: now });
  });
  await env.DB.prepare(
    "INSERT INTO data_cache (workspace_id, integration, tenant_id, cache_date, created_at, last_requested_at, size) VALUES (?, 'Xero', ?, ?, ?, ?, ?)",
  )
    .bind(ws, tenant, KEY, now, now, OLD.length)
    .run();
}

describe("the cache's data format", () => {
  it("should give Xero, QuickBooks and Gusto format 2 and every other provider format 1", () => {
    expect(JSON.parse(dataFormats())).toEqual({ Gusto: 3, QuickBooks: 2, SandboxPayroll: 2, Xero: 2 });
    expect(dataFormatOf(providers.Sandbox)).toBe(1);
  });

  it("should fetch an entry of an older format again on the next read, and store it with the current format", async () => {
    const ws = "ws-format-read";
    const tenantId = (await seedConnection(ws, "xero")).tenantIds.at(-1)!;
    await cachedAsFormat1(ws, tenantId, Date.now());
    const res = await getData(ws, "Xero", FROM);
    expect(res.status).toBe(200);
    const body = await res.json<{ data: Record<string, Record<string, number | null>> }>();
    expect(body.data["Total Income"]?.["2021-06-30"]).not.toBe(31735.85);
    expect(await tenantRequests(tenantId)).toHaveLength(4);
    const row = await env.DB.prepare("SELECT format_version FROM data_cache WHERE workspace_id = ?")
      .bind(ws)
      .first<{ format_version: number }>();
    expect(row?.format_version).toBe(2);
    // Now current: the next read is a cache hit.
    expect((await getData(ws, "Xero", FROM)).status).toBe(200);
    expect(await tenantRequests(tenantId)).toHaveLength(4);
  });

  it("should never serve an older format's figures, even when the fetch that replaces them fails", async () => {
    const ws = "ws-format-failed";
    const grant = await seedConnection(ws, "xero");
    const tenant = grant.tenantIds.at(-1)!;
    await cachedAsFormat1(ws, tenant, Date.now());
    await scriptApi(
      grant.grantId,
      Array.from({ length: 4 }, () => ({ status: 500 })),
    );
    const res = await getData(ws, "Xero", FROM);
    expect(res.status).toBe(503);
    expect((await errorOf(res)).code).toBe("provider_unavailable");
    // Kept, not deleted: a failing provider never costs stored data.
    const kept = await runInDurableObject(env.WORKSPACE.getByName(ws), (_instance, state) =>
      state.storage.kv.get<StoredPayload>(payloadKey(tenant)),
    );
    expect(kept?.json).toBe(OLD);
  });

  it("should make the cron see an older format's entry as due however fresh it is", async () => {
    const ws = "ws-format-cron";
    const tenant = (await seedConnection(ws, "xero")).tenantIds.at(-1)!;
    const now = Date.now();
    await cachedAsFormat1(ws, tenant, now);
    const window = { requestedAfter: now - 3600_000, staleBefore: now - 3600_000, defaultKey: KEY };
    const range = { lo: 0, hi: Number.MAX_SAFE_INTEGER };
    const mine = <T extends { workspaceId: string }>(keys: T[]) => keys.filter((k) => k.workspaceId === ws);
    // The key was asked for within the window: requestedDueKeys owns it.
    expect(mine(await requestedDueKeys(env.DB, { ...window, formats: dataFormats() }, 0, range))).toHaveLength(1);
    expect(mine(await requestedDueKeys(env.DB, { ...window, formats: "{}" }, 0, range))).toHaveLength(0);
    // Not asked for: as the connection's default key it is due too.
    await env.DB.prepare("UPDATE data_cache SET last_requested_at = 0 WHERE workspace_id = ?").bind(ws).run();
    expect(mine(await defaultDueKeys(env.DB, { ...window, formats: dataFormats() }, 0, range))).toHaveLength(1);
    expect(mine(await defaultDueKeys(env.DB, { ...window, formats: "{}" }, 0, range))).toHaveLength(0);
  });
});
