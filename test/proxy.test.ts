// The proxy to any provider endpoint: what is forwarded (method, query, body, safe headers, the
// connection's token and tenant), what comes back (status, safe headers, body), the role per
// method, refresh once on a 401, short and long Retry-After, the rate limit shared per tenant, the
// size caps, and every path that would leave the API base refused before anything is sent. How each
// provider's tenant is pinned: test/tenant-pinning.test.ts.
import { describe, expect, it } from "vitest";
import {
  configureTenant,
  expireAccessTokens,
  findGrant,
  revokeGrant,
  scriptApi,
  stats,
  tenantRequests,
  tenantStats,
} from "./fake-client";
import { proxyPathProblem } from "../src/framework/proxy";
import { call, connectThroughPopup, errorOf, seedConnection, token } from "./helpers";

const REPORT = "api.xro/2.0/Reports/ProfitAndLoss";

async function proxy(
  ws: string,
  path: string,
  init: RequestInit & { role?: "admin" | "member"; query?: string } = {},
): Promise<Response> {
  const { role = "member", query = "", ...rest } = init;
  return call(`/integration/proxy/${path}?workspace_id=${ws}${query}`, {
    ...rest,
    bearer: await token({ [ws]: role }),
  });
}

describe("proxy", () => {
  it("should forward a member's GET with the query, safe headers, token and tenant, and pass the answer back", async () => {
    const ws = "ws-proxy-get";
    const grant = await seedConnection(ws, "xero");
    const tenant = grant.tenantIds.at(-1)!;
    const res = await proxy(ws, `Xero/${REPORT}`, {
      query: "&fromDate=2024-01-01&toDate=2024-03-31",
      headers: { Accept: "application/json", Cookie: "session=host-app", "X-Custom": "no" },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("X-Proxied-By")).toBe("zebbra-integrations");
    expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
    const body = await res.json<{ Reports: { ReportID: string }[] }>();
    expect(body.Reports[0]!.ReportID).toBe("ProfitAndLoss");

    const [sent] = await tenantRequests(tenant);
    expect(sent).toMatchObject({ method: "GET", path: `/${REPORT}`, grantId: grant.grantId });
    expect(sent!.query).toEqual({ fromDate: "2024-01-01", toDate: "2024-03-31" });
    expect(sent!.headers["authorization"]).toBe(`Bearer ${grant.access_token}`);
    expect(sent!.headers["xero-tenant-id"]).toBe(tenant);
    expect(sent!.headers["accept"]).toBe("application/json");
    expect(sent!.headers["cookie"]).toBeUndefined();
    expect(sent!.headers["x-custom"]).toBeUndefined();
  });

  it("should need the admin role for anything but GET and HEAD, and forward the method and body", async () => {
    const ws = "ws-proxy-post";
    const grant = await seedConnection(ws, "xero");
    const tenant = grant.tenantIds.at(-1)!;
    const payload = JSON.stringify({ Contacts: [{ Name: "Test" }] });
    const init = { method: "POST", headers: { "Content-Type": "application/json" }, body: payload };
    const member = await proxy(ws, "Xero/api.xro/2.0/Contacts", init);
    expect(member.status).toBe(403);
    expect(await tenantRequests(tenant)).toHaveLength(0);

    const admin = await proxy(ws, "Xero/api.xro/2.0/Contacts", { ...init, role: "admin" });
    // The fake Xero has no Contacts route: its own 404 comes back as the provider's answer.
    expect(admin.status).toBe(404);
    expect(admin.headers.get("X-Proxied-By")).toBe("zebbra-integrations");
    const [sent] = await tenantRequests(tenant);
    expect(sent).toMatchObject({ method: "POST", path: "/api.xro/2.0/Contacts", body: payload });
    expect(sent!.headers["content-type"]).toBe("application/json");

    const head = await proxy(ws, `Xero/${REPORT}`, { method: "HEAD" });
    expect(head.headers.get("X-Proxied-By")).toBe("zebbra-integrations");
    expect((await tenantRequests(tenant)).at(-1)?.method).toBe("HEAD");
  });

  it("should refresh once on a 401 and retry, and answer reconnect_required when the grant is gone", async () => {
    const ws = "ws-proxy-401";
    const grant = await seedConnection(ws, "xero");
    await expireAccessTokens(grant.grantId);
    expect((await proxy(ws, `Xero/${REPORT}`)).status).toBe(200);
    expect((await stats(grant.grantId)).refreshRequests).toBe(1);

    // (A second 401 within the minute would get the provider's answer: test/proxy-limits.test.ts.)
    const revoked = await seedConnection("ws-proxy-401-gone", "xero");
    await revokeGrant(revoked.grantId);
    const gone = await proxy("ws-proxy-401-gone", `Xero/${REPORT}`);
    expect(gone.status).toBe(409);
    expect(await errorOf(gone)).toMatchObject({ code: "reconnect_required" });
    expect((await stats(revoked.grantId)).refreshRequests).toBe(1);
  });

  it("should wait out a short Retry-After and pass a long one back", async () => {
    const ws = "ws-proxy-429";
    const grant = await seedConnection(ws, "xero");
    await scriptApi(grant.grantId, [{ status: 429, retryAfter: 1 }]);
    expect((await proxy(ws, `Xero/${REPORT}`)).status).toBe(200);
    expect((await stats(grant.grantId)).apiRequests).toBe(2);

    await scriptApi(grant.grantId, [{ status: 429, retryAfter: 3600 }]);
    const long = await proxy(ws, `Xero/${REPORT}`);
    expect(long.status).toBe(429);
    expect(long.headers.get("Retry-After")).toBe("3600");
    expect((await stats(grant.grantId)).apiRequests).toBe(3);
  });

  it("should keep concurrent calls within the provider's per-tenant limit", async () => {
    const ws = "ws-proxy-limit";
    const grant = await seedConnection(ws, "xero");
    const tenant = grant.tenantIds.at(-1)!;
    await configureTenant(tenant, { latencyMs: 150, concurrentLimit: 5 });
    const answers = await Promise.all(Array.from({ length: 12 }, () => proxy(ws, `Xero/${REPORT}`)));
    expect(answers.map((r) => r.status)).toEqual(Array.from({ length: 12 }, () => 200));
    const seen = await tenantStats(tenant);
    expect(seen.requests).toBe(12);
    expect(seen.rateLimited).toBe(0);
    expect(seen.maxConcurrent).toBeLessThanOrEqual(5);
  });

  it("should refuse an answer over the size cap and a body over the request limit", async () => {
    const ws = "ws-proxy-size";
    const grant = await seedConnection(ws, "xero");
    await scriptApi(grant.grantId, [{ status: 203, body: "x".repeat(150_000) }]);
    const big = await proxy(ws, `Xero/${REPORT}`);
    expect(big.status).toBe(502);
    expect((await errorOf(big)).message).toMatch(/more than the proxy passes/);

    const tenant = grant.tenantIds.at(-1)!;
    const before = (await tenantRequests(tenant)).length;
    const upload = await proxy(ws, "Xero/api.xro/2.0/Contacts", {
      method: "POST",
      role: "admin",
      headers: { "Content-Type": "application/octet-stream" },
      body: new Uint8Array(1024 * 1024 + 1),
    });
    expect(upload.status).toBe(413);
    expect(await tenantRequests(tenant)).toHaveLength(before);
  });

  it.each([
    ["an encoded slash", `${REPORT}/..%2f..%2fsecret`],
    ["an encoded dot", `api.xro/%2e.%2fsecret`],
    ["an encoded backslash", "api.xro/..%5csecret"],
    ["an encoded @", "api.xro%40evil.example/x"],
    ["an absolute URL", "https://evil.example/api.xro"],
    ["a protocol-relative URL", "/evil.example/api.xro"],
    ["an @", "api.xro@evil.example/x"],
    ["an empty segment", "api.xro//secret"],
    ["a double-encoded dot", "api.xro/%252e%252e/secret"],
  ])("should refuse a path with %s, sending nothing", async (_what, path) => {
    const ws = "ws-proxy-confine";
    const grant = await seedConnection(ws, "xero");
    const res = await proxy(ws, `Xero/${path}`);
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ code: "invalid_request" });
    expect((await stats(grant.grantId)).apiRequests).toBe(0);
  });

  it("should answer not_connected, unknown_integration and invalid input as this service's errors", async () => {
    const ws = "ws-proxy-errors";
    const none = await proxy(ws, `Xero/${REPORT}`);
    expect(none.status).toBe(404);
    expect(none.headers.get("X-Proxied-By")).toBeNull();
    expect(await errorOf(none)).toMatchObject({ code: "not_connected" });
    expect(await errorOf(await proxy(ws, "NoSuchProvider/x"))).toMatchObject({ code: "unknown_integration" });
    expect(await errorOf(await proxy(ws, "%E0%A4%A/x"))).toMatchObject({ code: "invalid_request" });
    expect((await call(`/integration/proxy/Xero/${REPORT}`, { bearer: await token({ [ws]: "member" }) })).status).toBe(
      400,
    );
    expect((await proxy("ws-other", `Xero/${REPORT}`, { headers: {} })).status).toBe(404);
    const foreign = await call(`/integration/proxy/Xero/${REPORT}?workspace_id=${ws}`, {
      bearer: await token({ "ws-else": "admin" }),
    });
    expect(foreign.status).toBe(403);
  });

  it("should put QuickBooks calls under the connection's company", async () => {
    const ws = "ws-proxy-qbo";
    const { code } = await connectThroughPopup(ws, "QuickBooks");
    const grant = (await findGrant({ code }))!;
    const realm = grant.tenantIds[0]!;
    const res = await proxy(ws, "QuickBooks/companyinfo/1", { query: "&minorversion=75" });
    expect(await res.json()).toMatchObject({ CompanyInfo: { CompanyName: "Sandbox Company_US_1" } });
    // After the callback's own read of the company, the proxied call.
    const sent = (await tenantRequests(realm)).at(-1);
    expect(sent).toMatchObject({ method: "GET", path: `/v3/company/${realm}/companyinfo/1` });
    expect(sent!.query).toEqual({ minorversion: "75" });
  });
});

// The runtime resolves `..` and backslashes before the worker sees a URL (test/node/sandbox-flow
// sends them on a raw request line); the rule itself refuses them too, for any path that reaches it.
describe("proxyPathProblem", () => {
  it.each([
    ["a/../b", /\.\. segment/],
    ["..", /\.\. segment/],
    ["a/./b", /\. or \.\./],
    ["a\\b", /backslash/],
    ["a/%2E%2E/b", /encoded/],
    ["a%2Fb", /encoded/],
    ["a%5cb", /encoded/],
    ["a%00b", /encoded/],
    ["a%252e", /encoded/],
    ["user@host/x", /@/],
    ["https://evil.example/x", /absolute/],
    ["mailto:x", /absolute/],
    ["/x", /absolute/],
    ["a//b", /empty segment/],
    ["a b", /space/],
    ["", /empty/],
    ["a".repeat(2049), /2048/],
  ])("should refuse %j", (path, problem) => {
    expect(proxyPathProblem(path)).toMatch(problem);
  });

  it.each(["api.xro/2.0/Reports/ProfitAndLoss", "v1/company", "a.b/c-d_e~f/%20x", "query"])(
    "should allow %j",
    (path) => {
      expect(proxyPathProblem(path)).toBeNull();
    },
  );
});

describe("the proxy's OpenAPI description", () => {
  it("should document every method of the proxy route", async () => {
    const doc = await (await call("/openapi.json")).json<{ paths: Record<string, Record<string, unknown>> }>();
    const entry = Object.entries(doc.paths).find(([path]) => path.startsWith("/integration/proxy/"));
    expect(entry?.[0]).toMatch(/^\/integration\/proxy\/\{integration\}\//);
    expect(Object.keys(entry![1]).sort()).toEqual(["delete", "get", "head", "patch", "post", "put"]);
  });
});
