// The dev console at `/`: served only in development, as a page under a strict CSP whose demo JWT
// the API accepts; outside development `/` is an unknown route.
import { describe, expect, it } from "vitest";
import { call, callDevelopment, errorOf } from "./helpers";

describe("the dev console", () => {
  it("should not exist outside development", async () => {
    const res = await call("/");
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe("not_found");
  });

  it("should serve a page under a strict CSP in development", async () => {
    const res = await callDevelopment("/");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
    const csp = res.headers.get("Content-Security-Policy")!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("form-action 'none'");
    expect(csp).toMatch(/script-src 'nonce-[^']+'(;|$)/);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    const html = await res.text();
    expect(html).toContain('data-testid="run-cron"');
  });

  it("should embed a demo JWT that the API accepts for the demo workspace", async () => {
    const html = await (await callDevelopment("/")).text();
    const jwt = /"jwt":"([A-Za-z0-9_.-]+)"/.exec(html)?.[1];
    expect(jwt).toBeDefined();
    const res = await callDevelopment("/integration/providers?workspace_id=demo-workspace", { bearer: jwt! });
    expect(res.status).toBe(200);
    const other = await callDevelopment("/integration/providers?workspace_id=another-workspace", { bearer: jwt! });
    expect(other.status).toBe(403);
  });
});
