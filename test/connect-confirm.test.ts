// A grant lands only where its user meant it: a completed consent is held, not connected, until the
// user who started the flow confirms it in the same workspace, once, within 10 minutes. Replacing a
// connection needs an admin; the replaced grant is revoked and its tenant's data dropped.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import { findGrant, stats } from "./fake-client";
import { authorizeThroughPopup, call, confirm, connectThroughPopup, errorOf, rawAccessRow, token } from "./helpers";

const count = async (sql: string, ...binds: unknown[]) =>
  (
    await env.DB.prepare(sql)
      .bind(...binds)
      .first<{ n: number }>()
  )?.n ?? 0;

const pendingGrants = (workspaceId: string) =>
  count("SELECT count(*) AS n FROM pending_grants WHERE workspace_id = ?", workspaceId);

describe("connect confirmation", () => {
  it("should not connect a victim's consent to the attacker's workspace (grant hijack by link)", async () => {
    // The attacker starts a connection in their own workspace and sends the login link to a victim,
    // who consents at the provider. The callback page posts the confirm token only to APP_ORIGIN,
    // where the victim's own session (not the attacker's) would try to confirm it.
    const { confirmToken, code } = await authorizeThroughPopup("ws-attacker", "Xero", { sub: "attacker" });
    const asVictim = await confirm("ws-attacker", "Xero", confirmToken, { sub: "victim" });
    expect(asVictim.status).toBe(403);
    expect((await errorOf(asVictim)).code).toBe("forbidden");
    expect(await rawAccessRow("ws-attacker", "Xero")).toBeNull();
    // The refused attempt changed nothing: the grant is still pending, unconnected and unrevoked.
    expect(await pendingGrants("ws-attacker")).toBe(1);
    expect((await stats((await findGrant({ code }))!.grantId)).revoked).toBe(false);
  });

  it("should refuse another workspace, another provider and a forged token, and answer a retry the same", async () => {
    const { confirmToken } = await authorizeThroughPopup("ws-c1", "Gusto");
    const otherWorkspace = await call("/integration/connections/confirm", {
      method: "POST",
      bearer: await token({ "ws-c1": "member", "ws-c2": "admin" }),
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ workspace_id: "ws-c2", integration: "Gusto", confirm_token: confirmToken }),
    });
    expect(otherWorkspace.status).toBe(400);
    expect((await errorOf(otherWorkspace)).code).toBe("confirm_token_unknown");
    expect((await confirm("ws-c1", "Xero", confirmToken)).status).toBe(400);
    const forged = await confirm("ws-c1", "Gusto", `${confirmToken.slice(0, -1)}x`);
    expect([forged.status, (await errorOf(forged)).code]).toEqual([400, "confirm_token_unknown"]);
    expect(await rawAccessRow("ws-c2", "Gusto")).toBeNull();
    expect(await rawAccessRow("ws-c1", "Gusto")).toBeNull();

    const first = await confirm("ws-c1", "Gusto", confirmToken);
    expect(first.status).toBe(200);
    const firstBody = await first.json<{ connections: unknown[] }>();
    // The same confirm again (a lost answer retried): the same connections, and nothing changes.
    const row = await rawAccessRow("ws-c1", "Gusto");
    const second = await confirm("ws-c1", "Gusto", confirmToken);
    expect(second.status).toBe(200);
    expect((await second.json<{ connections: unknown[] }>()).connections).toEqual(firstBody.connections);
    expect(await rawAccessRow("ws-c1", "Gusto")).toEqual(row);
    // Another user with the token is still refused.
    expect((await confirm("ws-c1", "Gusto", confirmToken, { sub: "user-2" })).status).toBe(403);
  });

  it("should let exactly one of two concurrent confirms win", async () => {
    const { confirmToken } = await authorizeThroughPopup("ws-race", "Xero");
    const statuses = (await Promise.all([1, 2].map(() => confirm("ws-race", "Xero", confirmToken)))).map(
      (r) => r.status,
    );
    // The loser is a retry of the winner: the same answer, one connection.
    expect(statuses.sort()).toEqual([200, 200]);
    expect(await count("SELECT count(*) AS n FROM integration_access WHERE workspace_id = 'ws-race'")).toBe(1);
  });

  it("should answer the provider's listing entry with who connected it and when", async () => {
    const before = Date.now();
    const { confirmed } = await connectThroughPopup("ws-who", "Gusto", { sub: "alice" });
    const entry = await confirmed.json<{
      name: string;
      connected: boolean;
      connected_by: string;
      connected_at: string;
    }>();
    expect(entry).toMatchObject({ name: "Gusto", connected: true, requires_reconnect: false, connected_by: "alice" });
    expect(Date.parse(entry.connected_at)).toBeGreaterThanOrEqual(before - 1000);
    const listing = await (
      await call("/integration/providers?workspace_id=ws-who", { bearer: await token({ "ws-who": "member" }) })
    ).json<{ name: string; connected_by: string | null; connected_at: string | null }[]>();
    expect(listing.find((p) => p.name === "Gusto")).toMatchObject({
      connected_by: "alice",
      connected_at: entry.connected_at,
    });
  });

  it("should revoke and drop a grant nobody confirmed within 10 minutes, on the cron", async () => {
    const { code } = await authorizeThroughPopup("ws-expire", "Gusto");
    const grant = (await findGrant({ code }))!;
    const tick = async (at: number) => {
      const ctx = createExecutionContext();
      worker.scheduled(createScheduledController({ cron: "0 * * * *", scheduledTime: at }), env, ctx);
      await waitOnExecutionContext(ctx);
    };
    await tick(Date.now() + 5 * 60_000);
    expect(await pendingGrants("ws-expire")).toBe(1);
    await tick(Date.now() + 11 * 60_000);
    expect(await pendingGrants("ws-expire")).toBe(0);
    expect(await stats(grant.grantId)).toMatchObject({ revoked: true });
    expect(await rawAccessRow("ws-expire", "Gusto")).toBeNull();
  });
});

describe("replacing a connection", () => {
  it("should let a member start and add another company, but not replace one", async () => {
    const ws = "ws-replace-member";
    await connectThroughPopup(ws, "Xero", { role: "admin", sub: "admin-1" });
    const organisation = (await rawAccessRow(ws, "Xero"))!.tenant_id as string;
    // Starting is open to members: the consent may be for a company not connected yet.
    const session = await call("/integration/connect-sessions", {
      method: "POST",
      bearer: await token({ [ws]: "member" }, { sub: "member-1" }),
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ workspace_id: ws, integration: "Xero" }),
    });
    expect(session.status).toBe(201);
    const direct = await call(`/integration/xero/login?workspace_id=${ws}`, {
      redirect: "manual",
      bearer: await token({ [ws]: "member" }, { sub: "member-1" }),
    });
    expect(direct.status).toBe(302);

    // The same organisation again, confirmed by a member: refused, and the connection is untouched.
    const again = await authorizeThroughPopup(ws, "Xero", { role: "member", sub: "member-1", tenant: organisation });
    const refused = await confirm(ws, "Xero", again.confirmToken, { role: "member", sub: "member-1" });
    expect(refused.status).toBe(403);
    expect((await rawAccessRow(ws, "Xero"))!.connected_by).toBe("admin-1");

    // Another organisation: added beside the first.
    const added = await connectThroughPopup(ws, "Xero", { role: "member", sub: "member-1" });
    expect((await added.confirmed.json<{ connections: { replaced: boolean }[] }>()).connections).toEqual([
      expect.objectContaining({ replaced: false }),
    ]);
    expect(await count("SELECT count(*) AS n FROM integration_access WHERE workspace_id = ?", ws)).toBe(2);
  });

  it("should revoke the replaced grant and keep the company's cached data; another company goes beside it", async () => {
    const ws = "ws-replace";
    const first = await connectThroughPopup(ws, "Gusto", { role: "admin" });
    const oldGrant = (await findGrant({ code: first.code }))!;
    const company = oldGrant.tenantIds[0]!;
    await env.DB.prepare(
      "INSERT INTO data_cache (workspace_id, integration, tenant_id, cache_date, payload, created_at) VALUES (?, 'Gusto', ?, 1640908800, '{}', 1)",
    )
      .bind(ws, company)
      .run();

    const second = await connectThroughPopup(ws, "Gusto", { role: "admin", sub: "admin-2", tenant: company });
    const newGrant = (await findGrant({ code: second.code }))!;
    expect(newGrant.tenantIds[0]).toBe(company);
    expect((await second.confirmed.json<{ connections: { replaced: boolean }[] }>()).connections[0]?.replaced).toBe(
      true,
    );
    expect((await stats(oldGrant.grantId)).revoked).toBe(true);
    expect((await stats(newGrant.grantId)).revoked).toBe(false);
    const row = (await rawAccessRow(ws, "Gusto"))!;
    expect(row).toMatchObject({ tenant_id: company, connected_by: "admin-2" });
    expect(row.generation).toBeGreaterThan(0);
    // The same company's books: still its own.
    expect(await count("SELECT count(*) AS n FROM data_cache WHERE workspace_id = ?", ws)).toBe(1);

    const third = await connectThroughPopup(ws, "Gusto", { role: "admin" });
    const thirdGrant = (await findGrant({ code: third.code }))!;
    expect(thirdGrant.tenantIds[0]).not.toBe(company);
    expect((await stats(newGrant.grantId)).revoked).toBe(false);
    expect(await count("SELECT count(*) AS n FROM integration_access WHERE workspace_id = ?", ws)).toBe(2);
  });
});
