// One linearizable history per connection: confirm, disconnect, refresh, keep-alive and fetch
// completion for one integration are ordered in its workspace object, and work done for an earlier
// grant (its generation) is dropped. Each pair is interleaved here by a provider answer held until
// the other operation has finished.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { keyRingFromEnv } from "../src/framework/crypto";
import { db } from "../src/storage/db";
import { workspaceClient } from "../src/workspace/client";
import { loadAccess } from "../src/workspace/integration-access";
import { findGrant, type Gate, gate, script, stats } from "./fake-client";
import {
  accessOutcome,
  authorizeThroughPopup,
  call,
  confirm,
  connectThroughPopup,
  fetchRuns,
  getData,
  rawAccessRow,
  seedConnection,
  token,
} from "./helpers";

const cacheRows = async (workspaceId: string) =>
  (
    await env.DB.prepare("SELECT count(*) AS n FROM data_cache WHERE workspace_id = ?")
      .bind(workspaceId)
      .first<{ n: number }>()
  )?.n ?? 0;

/**
 * The grant's next answer (API call or refresh) held after the provider processed it (read the data,
 * rotated the tokens), so that it lands only after the other operation has finished.
 */
async function holdNextAnswer(grantId: string, endpoint: "api" | "token"): Promise<Gate> {
  const answer = gate(`${endpoint}-answer`);
  await script(grantId, endpoint, [{ hold: answer.name, holdAt: "answer" }]);
  return answer;
}

async function disconnect(workspaceId: string, integration: string): Promise<string> {
  const res = await call(`/integration/disconnect?workspace_id=${workspaceId}&integration=${integration}`, {
    method: "POST",
    bearer: await token({ [workspaceId]: "admin" }),
  });
  expect(res.status).toBe(200);
  return (await res.json<{ message: string }>()).message;
}

describe("disconnect against in-flight work", () => {
  it("fetch × disconnect: the late fetch writes nothing, and nothing is served after the disconnect", async () => {
    const ws = "ws-lin-fetch";
    const grant = await seedConnection(ws, "gusto");
    // The provider reads the data at once but answers late: after the disconnect revoked the grant.
    const answer = await holdNextAnswer(grant.grantId, "api");
    const read = getData(ws, "Gusto", "2024-01-15");
    await answer.held();
    expect(await disconnect(ws, "Gusto")).toMatch(/has been disconnected/);
    await answer.release();
    // From here on nothing may serve this connection's data.
    expect((await getData(ws, "Gusto", "2024-01-15")).status).toBe(404);
    expect((await read).status).toBe(404);
    expect(await cacheRows(ws)).toBe(0);
    expect(await rawAccessRow(ws, "Gusto")).toBeNull();
    const [run] = await fetchRuns(ws, "Gusto");
    expect(run).toMatchObject({ outcome: "error", error: expect.stringMatching(/^not_connected/) as string });
  });

  it("refresh × disconnect: the rotated tokens are dropped and revoked, and the row does not come back", async () => {
    const ws = "ws-lin-refresh";
    const grant = await seedConnection(ws, "xero", { expiresInSeconds: -5 });
    // The provider rotates at once but answers late: the answer lands after the disconnect.
    const answer = await holdNextAnswer(grant.grantId, "token");
    const pending = accessOutcome(ws, "Xero");
    await answer.held();
    await disconnect(ws, "Xero");
    await answer.release();
    const outcome = await pending;
    expect(!outcome.ok && outcome.failure.reason).toBe("not_connected");
    expect(await rawAccessRow(ws, "Xero")).toBeNull();
    expect((await stats(grant.grantId)).revoked).toBe(true);
  });

  it("keep-alive × disconnect: a forced refresh finishing late does not resurrect the connection", async () => {
    const ws = "ws-lin-keepalive";
    const grant = await seedConnection(ws, "gusto", { issuedAgoMs: 90 * 24 * 3600_000 });
    const answer = await holdNextAnswer(grant.grantId, "token");
    const pending = workspaceClient(env, ws).refreshNow({ integration: "Gusto" });
    await answer.held();
    await disconnect(ws, "Gusto");
    await answer.release();
    expect((await pending).ok).toBe(false);
    expect(await rawAccessRow(ws, "Gusto")).toBeNull();
  });

  it("confirm × disconnect: whichever runs first, the outcome is one the other saw", async () => {
    const ws = "ws-lin-confirm";
    const first = await connectThroughPopup(ws, "Gusto", { role: "admin" });
    const company = (await findGrant({ code: first.code }))!.tenantIds[0]!;
    const { confirmToken } = await authorizeThroughPopup(ws, "Gusto", { role: "admin", tenant: company });
    const [confirmed, message] = await Promise.all([
      confirm(ws, "Gusto", confirmToken, { role: "admin" }),
      disconnect(ws, "Gusto"),
    ]);
    expect(confirmed.status).toBe(200);
    const row = await rawAccessRow(ws, "Gusto");
    // The disconnect either removed the old connection before the confirm added the new one (row
    // present), or removed the new one (row absent); both saw a connection to remove.
    expect(message).toMatch(/has been disconnected/);
    if (row === null) expect(await cacheRows(ws)).toBe(0);
    else expect(row.connected_by).toBe("user-1");
  });
});

describe("replacing a connection against in-flight work", () => {
  it("fetch × confirm: data read with the replaced grant is not cached for the new one", async () => {
    const ws = "ws-lin-replace-fetch";
    const first = await connectThroughPopup(ws, "Gusto", { role: "admin" });
    const oldGrant = (await findGrant({ code: first.code }))!;
    // The new grant (for the same company) is authorized first, so only its confirm races the slow fetch.
    const second = await authorizeThroughPopup(ws, "Gusto", { role: "admin", tenant: oldGrant.tenantIds[0]! });
    const newGrant = (await findGrant({ code: second.code }))!;
    const answer = await holdNextAnswer(oldGrant.grantId, "api");
    // The tenant lookups at connect time already count as API requests.
    const [oldBefore, newBefore] = [
      (await stats(oldGrant.grantId)).apiRequests,
      (await stats(newGrant.grantId)).apiRequests,
    ];
    const read = getData(ws, "Gusto", "2024-01-15");
    await answer.held();
    expect((await confirm(ws, "Gusto", second.confirmToken, { role: "admin" })).status).toBe(200);
    await answer.release();
    expect((await read).status).toBe(404);
    expect(await cacheRows(ws)).toBe(0);
    expect((await stats(oldGrant.grantId)).apiRequests).toBe(oldBefore + 1);
    // The next read fetches with the new grant.
    expect((await getData(ws, "Gusto", "2024-01-15")).status).toBe(200);
    expect((await stats(newGrant.grantId)).apiRequests).toBe(newBefore + 1);
  });

  it("refresh × confirm: a late refresh of the replaced grant does not overwrite the new tokens", async () => {
    const ws = "ws-lin-replace-refresh";
    const oldGrant = await seedConnection(ws, "xero", { expiresInSeconds: -5 });
    const next = await authorizeThroughPopup(ws, "Xero", { role: "admin", tenant: oldGrant.tenantIds.at(-1)! });
    const newGrant = (await findGrant({ code: next.code }))!;
    const answer = await holdNextAnswer(oldGrant.grantId, "token");
    const pending = accessOutcome(ws, "Xero");
    await answer.held();
    expect((await confirm(ws, "Xero", next.confirmToken, { role: "admin" })).status).toBe(200);
    await answer.release();
    const outcome = await pending;
    expect(!outcome.ok && outcome.failure.reason).toBe("not_connected");
    const stored = await loadAccess(db(env.DB), await keyRingFromEnv(env), ws, "Xero");
    expect(stored?.tokens.accessToken).toBe(newGrant.currentAccessToken);
    expect((await stats(newGrant.grantId)).revoked).toBe(false);
  });
});
