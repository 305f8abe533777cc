// The host app's first hour, as a backend developer meets it: a connect that comes back to a
// server-rendered app, a retry-safe confirm with codes that say why, POSTs that take their fields
// from the query or a JSON body alike, errors that say which mistake, and disconnecting nothing.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { consent } from "./fake-client";
import {
  authorizeThroughPopup,
  call,
  confirm,
  confirmTokenOf,
  connectSession,
  errorOf,
  getData,
  login,
  seedConnection,
  token,
} from "./helpers";

/** A Xero consent covering `n` organisations, as an admin; the organisations from the callback's message. */
async function consentXeroOrganisations(ws: string, n: number) {
  const authorize = await login(await connectSession(ws, "Xero", "admin"));
  authorize.searchParams.set("_fake_organisations", String(n));
  const { location } = await consent(authorize.toString());
  const html = await (await call(location.toString())).text();
  const listed = JSON.parse(/"tenants":(\[[^\]]*\])/.exec(html)![1]!) as { id: string; type: string }[];
  return { confirmToken: confirmTokenOf(html)!, tenants: listed.filter((t) => t.type === "ORGANISATION") };
}

const post = async (path: string, body: unknown, ws: string) =>
  call(path, {
    method: "POST",
    bearer: await token({ [ws]: "admin" }),
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });

describe("one kind of POST", () => {
  it("should disconnect from a JSON body as from the query, and say whether anything was disconnected", async () => {
    const ws = "ws-hour-body";
    await seedConnection(ws, "gusto");
    const res = await post("/integration/disconnect", { workspace_id: ws, integration: "Gusto" }, ws);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ message: "Integration Gusto has been disconnected", disconnected: true });
    const again = await post("/integration/disconnect", { workspace_id: ws, integration: "Gusto" }, ws);
    expect(await again.json()).toMatchObject({ disconnected: false });
  });

  it("should queue a fetch from a JSON body", async () => {
    const ws = "ws-hour-fetch";
    await seedConnection(ws, "gusto");
    const res = await post("/integration/fetch", { workspace_id: ws, integration: "Gusto" }, ws);
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ queued: 1 });
  });

  it("should refuse a body and a query that disagree, naming the field", async () => {
    const ws = "ws-hour-disagree";
    await seedConnection(ws, "gusto");
    const res = await post(`/integration/disconnect?workspace_id=${ws}&integration=Xero`, { integration: "Gusto" }, ws);
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe("invalid_request");
    expect(error.message).toBe("integration is given in the query and the body with different values");
    // Agreeing is fine.
    const same = await post(
      `/integration/disconnect?workspace_id=${ws}&integration=Gusto`,
      { integration: "Gusto" },
      ws,
    );
    expect(same.status).toBe(200);
  });
});

describe("errors that say which mistake", () => {
  it("should say a missing parameter is required", async () => {
    const res = await call("/integration/data?workspace_id=ws-1&from_date=2024-01-01", {
      bearer: await token({ "ws-1": "member" }),
    });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toBe("Invalid query: integration: required");
  });

  it("should give a bad from_date one reason, not two", async () => {
    const res = await getData("ws-1", "Xero", "2024-02-30");
    expect((await errorOf(res)).message).toBe(
      "Invalid query: from_date: must be a date as YYYY-MM-DD (four-digit year)",
    );
  });
});

describe("a retry-safe confirm", () => {
  it("should answer the same confirm again with the same connections, no second webhook, no change", async () => {
    const ws = "ws-hour-retry";
    const { confirmToken, tenants } = await consentXeroOrganisations(ws, 2);
    const ids = tenants.map((t) => t.id);
    const first = await confirm(ws, "Xero", confirmToken, { role: "admin", tenantIds: ids });
    expect(first.status).toBe(200);
    const body = await first.json<{ connections: { tenant_id: string; replaced: boolean }[] }>();
    const again = await confirm(ws, "Xero", confirmToken, { role: "admin", tenantIds: [...ids].reverse() });
    expect(again.status).toBe(200);
    expect((await again.json<{ connections: unknown[] }>()).connections).toEqual(body.connections);
    expect(body.connections.every((k) => !k.replaced)).toBe(true);

    // Redeemed with other tenants: confirm_token_used, a code of its own.
    const other = await confirm(ws, "Xero", confirmToken, { role: "admin", tenantIds: [ids[0]!] });
    expect(other.status).toBe(409);
    expect((await errorOf(other)).code).toBe("confirm_token_used");
    const unnamed = await confirm(ws, "Xero", confirmToken, { role: "admin" });
    expect((await errorOf(unnamed)).code).toBe("confirm_token_used");
  });

  it("should say confirm_token_expired once the token's ten minutes are over", async () => {
    const ws = "ws-hour-expired";
    const { confirmToken } = await authorizeThroughPopup(ws, "Gusto");
    await env.DB.prepare("UPDATE pending_grants SET pending_until = ? WHERE workspace_id = ?")
      .bind(Date.now() - 1, ws)
      .run();
    const res = await confirm(ws, "Gusto", confirmToken);
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe("confirm_token_expired");
  });

  it("should keep invalid_request for schema errors", async () => {
    const res = await call("/integration/connections/confirm", {
      method: "POST",
      bearer: await token({ "ws-1": "member" }),
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ workspace_id: "ws-1", integration: "Xero" }),
    });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toEqual({ code: "invalid_request", message: "Invalid body: confirm_token: required" });
  });
});

describe("a connect that comes back to a server-rendered app", () => {
  /** A connect session with `return_to`, as the host app's backend would start it. */
  const session = async (ws: string, returnTo: string) =>
    call("/integration/connect-sessions", {
      method: "POST",
      bearer: await token({ [ws]: "member" }),
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ workspace_id: ws, integration: "Gusto", return_to: returnTo }),
    });

  it("should send the browser back to return_to (303) with the confirm token, bound to the user", async () => {
    const ws = "ws-hour-return";
    const started = await session(ws, "https://app.example.test/settings/integrations?tab=payroll");
    expect(started.status).toBe(201);
    const authorize = await login((await started.json<{ url: string }>()).url);
    const { location } = await consent(authorize.toString());
    const back = await call(location.toString(), { redirect: "manual" });
    expect(back.status).toBe(303);
    const target = new URL(back.headers.get("Location")!);
    expect(target.origin + target.pathname).toBe("https://app.example.test/settings/integrations");
    expect(target.searchParams.get("tab")).toBe("payroll");
    expect(target.searchParams.get("integration")).toBe("Gusto");
    const confirmToken = target.searchParams.get("confirm_token")!;
    expect(confirmToken).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    // Useless without the starting user's JWT.
    expect((await confirm(ws, "Gusto", confirmToken, { sub: "someone-else" })).status).toBe(403);
    expect((await confirm(ws, "Gusto", confirmToken)).status).toBe(200);
  });

  it("should bring a refusal back as error, clamped to [a-z_]", async () => {
    const ws = "ws-hour-refused";
    const started = await session(ws, "https://app.example.test/back");
    const authorize = await login((await started.json<{ url: string }>()).url);
    authorize.searchParams.set("_fake_error", "access_denied");
    const { location } = await consent(authorize.toString());
    const back = await call(location.toString(), { redirect: "manual" });
    expect(back.status).toBe(303);
    const target = new URL(back.headers.get("Location")!);
    expect([...target.searchParams.keys()].sort()).toEqual(["error", "integration"]);
    expect(target.searchParams.get("error")).toBe("access_denied");
  });

  it("should refuse a return_to on a foreign origin with 400 invalid_return_to", async () => {
    for (const foreign of [
      "https://evil.example/steal",
      "javascript:alert(1)",
      "/relative",
      "https://app.example.test.evil.example/",
    ]) {
      const res = await session("ws-hour-foreign", foreign);
      expect(res.status, foreign).toBe(400);
      expect((await errorOf(res)).code).toBe("invalid_return_to");
    }
    const direct = await call(
      `/integration/gusto/login?workspace_id=ws-hour-foreign&return_to=${encodeURIComponent("https://evil.example/")}`,
      { bearer: await token({ "ws-hour-foreign": "member" }), redirect: "manual" },
    );
    expect((await errorOf(direct)).code).toBe("invalid_return_to");
  });
});
