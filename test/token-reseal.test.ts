// The re-seal job after a key rotation and the change of format: every stored token set (connection
// rows, pending grants, a refreshed set the workspace object still holds) ends under the current key,
// bound to its record; a step is bounded and resumes from its cursor; a set a refresh wrote after the
// step read the row is never replaced by the older one; a row that cannot be opened is reported and
// passed. Storage is shared by the tests of this file, so each runs its pass to the end.
import { createExecutionContext, createMessageBatch, getQueueResult, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { KeyRing, openTokens, SEAL_FORMAT, sealTokens, type TokenRecord } from "../src/framework/crypto";
import worker from "../src/index";
import {
  RESEAL_START,
  RESEAL_STATE_KEY,
  type ResealCursor,
  type ResealMessage,
  resealStep,
  runResealMessage,
  startReseal,
} from "../src/jobs/reseal";
import { type ConnectionWrite, saveConnections } from "../src/storage/connections";
import { db } from "../src/storage/db";
import { insertPendingGrant } from "../src/storage/pending";
import { staleConnections } from "../src/storage/reseal";
import { workspaceClient } from "../src/workspace/client";
import { createGrant, stats } from "./fake-client";
import { accessOutcome } from "./helpers";
import { sealLegacy } from "./legacy-seal";

const CURRENT_KEY = env.TOKEN_ENCRYPTION_KEY; // "test1:…"
const OLD_KEY = env.TOKEN_ENCRYPTION_PREVIOUS_KEYS; // "test0:…"
const d = db(env.DB);

const tokensOf = (name: string) => ({ accessToken: `at-${name}`, refreshToken: `rt-${name}`, tokenType: "Bearer" });

/** Connection rows of one grant, sealed as given (the rows of one grant share the ciphertext). */
async function seedGrant(
  workspaceId: string,
  integration: string,
  sealed: { ciphertext: string; keyId: string },
  opts: { generation?: number; tenants?: string[]; expiresAt?: number | null } = {},
): Promise<void> {
  const rows = (opts.tenants ?? ["t-1"]).map((tenantId): ConnectionWrite => ({
    workspaceId,
    integration,
    sealed,
    expiresAt: opts.expiresAt ?? Date.now() + 3600_000,
    scope: null,
    tenantId,
    tenantName: null,
    requiresReconnect: false,
    additionalInfo: {},
    config: {},
    tokensIssuedAt: Date.now() - 60_000,
    refreshHardExpiresAt: null,
    lastRefreshAt: null,
    lastRefreshError: null,
    refreshFailures: 0,
    generation: opts.generation ?? 1,
    connectedBy: "user-1",
    connectedAt: Date.now(),
  }));
  await saveConnections(d, rows, Date.now(), []);
}

interface Row {
  workspace_id: string;
  integration: string;
  tenant_id: string;
  generation: number;
  token_ciphertext: string;
  key_id: string;
}

const rowsOf = async (workspaceId: string) =>
  (
    await env.DB.prepare("SELECT * FROM integration_access WHERE workspace_id = ? ORDER BY id")
      .bind(workspaceId)
      .all<Row>()
  ).results;

/** Opens a row with the current key alone: proof it no longer needs the old one. */
async function openCurrent(row: Row) {
  const ring = await KeyRing.fromConfig(CURRENT_KEY);
  const record: TokenRecord = {
    kind: "connection",
    workspaceId: row.workspace_id,
    integration: row.integration,
    generation: row.generation,
  };
  return openTokens(ring, record, { ciphertext: row.token_ciphertext, keyId: row.key_id });
}

/** Runs a pass to its end, step after step; returns the sums. */
async function drain(limit?: number) {
  const sum = { steps: 0, scanned: 0, resealed: 0, changed: 0, failed: 0 };
  for (let cursor: ResealCursor | null = RESEAL_START; cursor;) {
    const step = await resealStep(env, cursor, limit);
    sum.steps++;
    sum.scanned += step.scanned;
    sum.resealed += step.resealed;
    sum.changed += step.changed;
    sum.failed += step.failed;
    cursor = step.next;
  }
  return sum;
}

const staleCount = async () =>
  (
    await env.DB.prepare(
      "SELECT count(*) AS n FROM integration_access WHERE key_id <> 'test1' OR substr(token_ciphertext, 1, 3) <> 'v2.'",
    ).first<{ n: number }>()
  )?.n;

describe("the re-seal job", () => {
  it("should move every stored token set under the current key and format, pending grants included", async () => {
    const oldRing = await KeyRing.fromConfig(OLD_KEY);
    // First format under the retired key, first format under the current key, current format under the retired key.
    await seedGrant("ws-rs-a", "Xero", await sealLegacy(OLD_KEY, "ws-rs-a", "Xero", tokensOf("a")));
    await seedGrant("ws-rs-b", "Gusto", await sealLegacy(CURRENT_KEY, "ws-rs-b", "Gusto", tokensOf("b")));
    const shared = { kind: "connection" as const, workspaceId: "ws-rs-c", integration: "Xero", generation: 5 };
    await seedGrant("ws-rs-c", "Xero", await sealTokens(oldRing, shared, tokensOf("c")), {
      generation: 5,
      tenants: ["org-1", "org-2"],
    });
    await insertPendingGrant(d, {
      id: "p-rs-a",
      workspaceId: "ws-rs-a",
      integration: "Xero",
      userId: "user-1",
      sealed: await sealLegacy(OLD_KEY, "ws-rs-a", "Xero", tokensOf("pending")),
      expiresAt: null,
      scope: null,
      tenants: [],
      config: {},
      tokensIssuedAt: Date.now(),
      refreshHardExpiresAt: null,
      createdAt: Date.now(),
      pendingUntil: Date.now() + 600_000,
    });

    const pass = await drain();
    expect(pass).toMatchObject({ scanned: 5, resealed: 5, changed: 0, failed: 0 });
    expect(await staleCount()).toBe(0);
    for (const [ws, name] of [
      ["ws-rs-a", "a"],
      ["ws-rs-b", "b"],
      ["ws-rs-c", "c"],
    ] as const) {
      for (const row of await rowsOf(ws)) {
        expect(row.key_id).toBe("test1");
        expect(row.token_ciphertext.startsWith(SEAL_FORMAT)).toBe(true);
        expect(await openCurrent(row)).toEqual(tokensOf(name));
      }
    }
    // The connections of one grant still share one ciphertext.
    expect(new Set((await rowsOf("ws-rs-c")).map((r) => r.token_ciphertext)).size).toBe(1);
    const pending = await env.DB.prepare(
      "SELECT token_ciphertext, key_id FROM pending_grants WHERE id = 'p-rs-a'",
    ).first<{
      token_ciphertext: string;
      key_id: string;
    }>();
    const pendingRecord = { kind: "pending_grant" as const, workspaceId: "ws-rs-a", integration: "Xero", id: "p-rs-a" };
    expect(
      await openTokens(await KeyRing.fromConfig(CURRENT_KEY), pendingRecord, {
        ciphertext: pending!.token_ciphertext,
        keyId: pending!.key_id,
      }),
    ).toEqual(tokensOf("pending"));
    // Nothing left: the next pass reads no row.
    expect(await drain()).toMatchObject({ steps: 1, scanned: 0 });
  });

  it("should take at most `limit` rows a step and resume from the cursor it returned", async () => {
    for (const n of [1, 2, 3, 4, 5])
      await seedGrant(
        `ws-rs-page-${n}`,
        "Xero",
        await sealLegacy(OLD_KEY, `ws-rs-page-${n}`, "Xero", tokensOf(`p${n}`)),
      );
    const first = await resealStep(env, RESEAL_START, 2);
    expect(first).toMatchObject({ scanned: 2, resealed: 2 });
    expect(first.next?.pending).toBeNull();
    expect(first.next?.connection).toBeGreaterThan(0);
    expect(await staleCount()).toBe(3);
    // A queue retry of a step that already ran reads what is still stale after its cursor: no row twice.
    const again = await resealStep(env, RESEAL_START, 2);
    expect(again).toMatchObject({ scanned: 2, resealed: 2 });
    expect(await staleCount()).toBe(1);
    const last = await resealStep(env, again.next!, 2);
    expect(last).toMatchObject({ scanned: 1, resealed: 1, next: null });
    expect(await staleCount()).toBe(0);
    for (const n of [1, 2, 3, 4, 5])
      expect(await openCurrent((await rowsOf(`ws-rs-page-${n}`))[0]!)).toEqual(tokensOf(`p${n}`));
  });

  it("should never write over a token set a refresh wrote after the step read the row", async () => {
    const ws = "ws-rs-race";
    const grant = await createGrant({ provider: "xero", expiresIn: -60 });
    const issued = { accessToken: grant.access_token, refreshToken: grant.refresh_token, tokenType: "Bearer" };
    await seedGrant(ws, "Xero", await sealLegacy(OLD_KEY, ws, "Xero", issued), { expiresAt: Date.now() - 60_000 });

    // The job reads the row (the step's first half) …
    const current = { keyId: "test1", prefix: SEAL_FORMAT };
    const [read] = (await staleConnections(d, current, 0, 100)).filter((r) => r.workspaceId === ws);
    // … a refresh rotates the tokens and writes them (under the current key) …
    const refreshed = await accessOutcome(ws, "Xero");
    expect(refreshed.ok).toBe(true);
    // … and the object gets the rows as the job read them: the newer set stays.
    const outcome = await workspaceClient(env, ws).resealTokens({
      grants: [{ integration: "Xero", generation: read!.generation, sealed: read!.sealed }],
      pendingGrants: [],
    });
    expect(outcome).toEqual({ resealed: 0, changed: 1, failed: 0 });
    const summary = await stats(grant.grantId);
    const [row] = await rowsOf(ws);
    expect((await openCurrent(row!)).refreshToken).toBe(summary.currentRefreshToken);
    expect(summary).toMatchObject({ refreshRequests: 1, revoked: false });
    // The connection works on with the rotated set: no second refresh, no reuse of the consumed token.
    const next = await accessOutcome(ws, "Xero");
    expect(next.ok && next.access.accessToken).toBe(summary.currentAccessToken);
    expect((await stats(grant.grantId)).refreshRequests).toBe(1);
  });

  it("should first write a refreshed set the object still holds, then leave D1's older one alone", async () => {
    const ws = "ws-rs-held";
    await seedGrant(ws, "Xero", await sealLegacy(OLD_KEY, ws, "Xero", tokensOf("d1-older")), { generation: 3 });
    // A refresh before the rotation whose D1 write failed: its set waits in the object, under the old key.
    const held = await sealLegacy(OLD_KEY, ws, "Xero", tokensOf("held-newer"));
    const stub = env.WORKSPACE.getByName(ws);
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.kv.put("rotated:Xero:3", {
        generation: 3,
        sealed: held,
        expiresAt: Date.now() + 3600_000,
        scope: null,
        tokensIssuedAt: Date.now(),
      });
    });

    expect(await drain()).toMatchObject({ scanned: 1, resealed: 0, changed: 1, failed: 0 });
    const [row] = await rowsOf(ws);
    expect(row).toMatchObject({ key_id: "test1" });
    expect(await openCurrent(row!)).toEqual(tokensOf("held-newer"));
    expect(
      await runInDurableObject(stub, (_instance, state) => [...state.storage.kv.list({ prefix: "rotated:" })]),
    ).toEqual([]);
  });

  it("should report a row it cannot open and carry on past it", async () => {
    const ws = "ws-rs-lost";
    await seedGrant(ws, "Xero", { ciphertext: "AAAAAAAAAAAAAAAAAAAAAAAAAAAA", keyId: "retired-and-gone" });
    await seedGrant("ws-rs-after", "Xero", await sealLegacy(OLD_KEY, "ws-rs-after", "Xero", tokensOf("after")));
    expect(await drain(1)).toMatchObject({ scanned: 2, resealed: 1, failed: 1 });
    expect((await rowsOf(ws))[0]).toMatchObject({ key_id: "retired-and-gone" });
    expect(await openCurrent((await rowsOf("ws-rs-after"))[0]!)).toEqual(tokensOf("after"));
    await env.DB.prepare("DELETE FROM integration_access WHERE workspace_id = ?").bind(ws).run();
  });

  it("should be started by the cron when the key changed, and run on DISPATCH_QUEUE to the end", async () => {
    const ws = "ws-rs-cron";
    await seedGrant(ws, "Gusto", await sealLegacy(OLD_KEY, ws, "Gusto", tokensOf("cron")));
    const now = Date.now();
    const sent: ResealMessage[] = [];
    const collect = (m: ResealMessage) => {
      sent.push(m);
      return Promise.resolve();
    };
    // A pass finished under the retired key: the current one differs, so a pass is due.
    await env.OAUTH_KV.put(
      RESEAL_STATE_KEY,
      JSON.stringify({ keyId: "test0", format: SEAL_FORMAT, at: now, done: true }),
    );
    expect(await startReseal(env, now, collect)).toEqual({ started: true });
    expect(sent).toEqual([{ kind: "reseal", pending: "", connection: 0, keyId: "test1", beatAt: now }]);

    // The step, as the DISPATCH_QUEUE consumer receives it.
    const batch = createMessageBatch("zebbra-dispatch", [
      { id: "reseal-1", timestamp: new Date(), attempts: 1, body: sent[0] },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["reseal-1"]);
    expect(await openCurrent((await rowsOf(ws))[0]!)).toEqual(tokensOf("cron"));
    expect(await env.OAUTH_KV.get(RESEAL_STATE_KEY, "json")).toMatchObject({ keyId: "test1", done: true });

    // Done under this key: not again within a day; again after one; at once when the key changes.
    expect(await startReseal(env, now + 3600_000, collect)).toEqual({ started: false });
    expect(await startReseal(env, now + 25 * 3600_000, collect)).toEqual({ started: true });
    // A pass that started before the latest rotation is recorded as done for the key it started
    // with (rows it passed early stay under that key), so the next tick starts another.
    await runResealMessage(env, { kind: "reseal", ...RESEAL_START, keyId: "test0", beatAt: now }, { send: collect });
    expect(await env.OAUTH_KV.get(RESEAL_STATE_KEY, "json")).toMatchObject({ keyId: "test0", done: true });
    expect(await startReseal(env, now + 60_000, collect)).toEqual({ started: true });
  });

  it("should send the next step with its cursor until the pass is done", async () => {
    for (const n of [1, 2, 3])
      await seedGrant(
        `ws-rs-chain-${n}`,
        "Xero",
        await sealLegacy(OLD_KEY, `ws-rs-chain-${n}`, "Xero", tokensOf(`c${n}`)),
      );
    const sent: ResealMessage[] = [{ kind: "reseal", ...RESEAL_START, keyId: "test1", beatAt: Date.now() }];
    const collect = (m: ResealMessage) => {
      sent.push(m);
      return Promise.resolve();
    };
    const scanned: number[] = [];
    for (let message = sent.shift(); message; message = sent.shift())
      scanned.push((await runResealMessage(env, message, { send: collect, limit: 2 })).scanned);
    // Two rows, then the last one (a short step ends the pass, and sends nothing more).
    expect(scanned).toEqual([2, 1]);
    expect(await staleCount()).toBe(0);
    expect(await env.OAUTH_KV.get(RESEAL_STATE_KEY, "json")).toMatchObject({ keyId: "test1", done: true });
  });
});
