// The proxy cannot be turned against the shared OAuth app or against this service's origin: an
// upstream 401 forces at most one refresh a minute per connection, a workspace has a per-minute
// budget (429 with Retry-After), a provider that declares no rate limit gets the default one, every
// answer goes out so that a browser never renders it as this origin's page, and `..;` / `.;`
// segments are refused.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { proxyPathProblem } from "../src/framework/proxy";
import { connKey } from "../src/workspace/connections";
import { FORCED_REFRESH_INTERVAL_MS, FORCED_REFRESH_PREFIX } from "../src/workspace/proxy";
import { DEFAULT_RATE_LIMIT } from "../src/workspace/rate-limit";
import { TEST_BINDINGS } from "./bindings";
import { configureTenant, expireAccessTokens, scriptApi, stats, tenantStats } from "./fake-client";
import { call, errorOf, seedConnection, token } from "./helpers";

const REPORT = "api.xro/2.0/Reports/ProfitAndLoss";

async function proxy(ws: string, path: string, init: RequestInit = {}): Promise<Response> {
  return call(`/integration/proxy/${path}${path.includes("?") ? "&" : "?"}workspace_id=${ws}`, {
    ...init,
    bearer: await token({ [ws]: "member" }),
  });
}

/** Moves the connection's last forced refresh back past the interval, as if a minute had gone by. */
async function rewindForcedRefresh(ws: string, integration: string, tenantId: string): Promise<void> {
  await runInDurableObject(env.WORKSPACE.getByName(ws), (_instance, state) => {
    state.storage.kv.put(
      FORCED_REFRESH_PREFIX + connKey({ integration, tenantId }),
      Date.now() - FORCED_REFRESH_INTERVAL_MS - 1,
    );
  });
}

describe("a 401 from the provider", () => {
  it("should force a refresh at most once a minute per connection, then pass the 401 back", async () => {
    const ws = "ws-limit-401";
    const grant = await seedConnection(ws, "xero");
    const tenant = grant.tenantIds.at(-1)!;
    await expireAccessTokens(grant.grantId);
    expect((await proxy(ws, `Xero/${REPORT}`)).status).toBe(200);
    expect((await stats(grant.grantId)).refreshRequests).toBe(1);

    // A token the provider refuses again (as a scope the grant lacks would make it): within the
    // minute, the provider's 401 is the answer, and the token endpoint hears nothing.
    await scriptApi(grant.grantId, [{ status: 401 }, { status: 401 }]);
    const refused = await proxy(ws, `Xero/${REPORT}`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get("X-Proxied-By")).toBe("zebbra-integrations");
    expect((await stats(grant.grantId)).refreshRequests).toBe(1);

    // A minute later a 401 may force one refresh again; the retry with the new token succeeds.
    await rewindForcedRefresh(ws, "Xero", tenant);
    expect((await proxy(ws, `Xero/${REPORT}`)).status).toBe(200);
    expect((await stats(grant.grantId)).refreshRequests).toBe(2);
  });

  it("should force one refresh for many concurrent 401s, each retried with the new token", async () => {
    const ws = "ws-limit-401-burst";
    const grant = await seedConnection(ws, "xero");
    await expireAccessTokens(grant.grantId);
    const answers = await Promise.all(Array.from({ length: 5 }, () => proxy(ws, `Xero/${REPORT}`)));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect((await stats(grant.grantId)).refreshRequests).toBe(1);
  });
});

describe("the workspace's proxy budget", () => {
  it("should answer 429 with Retry-After past LIMIT_PROXY_CALLS_PER_MINUTE, sending nothing", async () => {
    const ws = "ws-limit-budget";
    const grant = await seedConnection(ws, "xero");
    const budget = Number(TEST_BINDINGS.LIMIT_PROXY_CALLS_PER_MINUTE);
    for (let i = 0; i < budget; i++) expect((await proxy(ws, `Xero/${REPORT}`)).status).toBe(200);
    const over = await proxy(ws, `Xero/${REPORT}`);
    expect(over.status).toBe(429);
    expect(over.headers.get("X-Proxied-By")).toBeNull();
    expect(await errorOf(over)).toMatchObject({ code: "rate_limited" });
    const retryAfter = Number(over.headers.get("Retry-After"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((await stats(grant.grantId)).apiRequests).toBe(budget);
    // Another workspace has its own budget.
    await seedConnection("ws-limit-budget-other", "xero");
    expect((await proxy("ws-limit-budget-other", `Xero/${REPORT}`)).status).toBe(200);
  });
});

describe("a provider that declares no rate limit", () => {
  it("should get the default limit, shared by the tenant's proxied calls", async () => {
    const ws = "ws-limit-default";
    const grant = await seedConnection(ws, "gusto");
    const company = grant.tenantIds.at(-1)!;
    // The fake Gusto takes any number in flight, each for 400 ms: only our limiter keeps them apart.
    await configureTenant(company, { latencyMs: 400, concurrentLimit: 0 });
    const calls = DEFAULT_RATE_LIMIT.concurrent + 5;
    const answers = await Promise.all(Array.from({ length: calls }, () => proxy(ws, `Gusto/v1/companies/${company}`)));
    expect(answers.every((r) => r.status === 200)).toBe(true);
    const seen = await tenantStats(company);
    expect(seen.requests).toBe(calls);
    expect(seen.maxConcurrent).toBeLessThanOrEqual(DEFAULT_RATE_LIMIT.concurrent);
  });
});

describe("what a proxied answer goes out with", () => {
  it("should never be cached, sniffed or rendered: JSON inline, anything else as a download", async () => {
    const ws = "ws-limit-headers";
    const grant = await seedConnection(ws, "xero");
    const json = await proxy(ws, `Xero/${REPORT}`, { headers: { Accept: "application/json" } });
    expect(json.headers.get("Content-Type")).toMatch(/^application\/json/);
    expect(json.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(json.headers.get("Content-Security-Policy")).toBe("sandbox; default-src 'none'");
    expect(json.headers.get("Cache-Control")).toBe("private, no-store");
    expect(json.headers.get("Content-Disposition")).toBeNull();

    await scriptApi(grant.grantId, [
      {
        status: 203,
        body: "<script>document.cookie</script>",
        headers: { "Content-Type": "text/html", "Cache-Control": "public, max-age=86400" },
      },
      { status: 302, location: "https://elsewhere.example/next" },
    ]);
    const html = await proxy(ws, `Xero/${REPORT}`);
    expect(html.status).toBe(203);
    expect(html.headers.get("Content-Type")).toBe("text/html");
    expect(html.headers.get("Content-Disposition")).toBe("attachment");
    expect(html.headers.get("Content-Security-Policy")).toBe("sandbox; default-src 'none'");
    expect(html.headers.get("Cache-Control")).toBe("private, no-store");
    expect(html.headers.get("X-Content-Type-Options")).toBe("nosniff");

    const moved = await proxy(ws, `Xero/${REPORT}`, { redirect: "manual" });
    expect(moved.status).toBe(302);
    expect(moved.headers.get("Location")).toBe("https://elsewhere.example/next");
    expect(moved.headers.get("Cache-Control")).toBe("private, no-store");
  });
});

describe("path parameters that servers resolve as dot segments", () => {
  const refused = [
    "api.xro/..;/Connections",
    "api.xro/.;/2.0",
    "..;x/api.xro",
    ".;/api.xro",
    "api.xro/..;jsessionid=1/x",
  ];

  it.each(refused)("should refuse %j", (path) => {
    expect(proxyPathProblem(path)).toMatch(/\.\.; or \.;/);
  });

  it("should answer each with 400 before anything is sent", async () => {
    const ws = "ws-limit-dotsemi";
    const grant = await seedConnection(ws, "xero");
    for (const path of refused) {
      const res = await proxy(ws, `Xero/${path}`);
      expect(res.status, path).toBe(400);
      expect(await errorOf(res)).toMatchObject({ code: "invalid_request" });
    }
    expect((await stats(grant.grantId)).apiRequests).toBe(0);
  });

  it.each(["api.xro/a..;/x", "api.xro/x;..", "api.xro/...;/x"])("should allow %j", (path) => {
    expect(proxyPathProblem(path)).toBeNull();
  });
});
