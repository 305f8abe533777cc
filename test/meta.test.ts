import { describe, expect, it } from "vitest";
import { call, callDevelopment, errorOf, token } from "./helpers";

describe("service routes", () => {
  it("should answer /health", async () => {
    const res = await call("/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });

  it("should answer an unknown route with a JSON 404 in the error shape", async () => {
    const res = await call("/nope");
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe("not_found");
  });

  it("should describe every route in an OpenAPI 3.1 document", async () => {
    const res = await call("/openapi.json");
    const doc = await res.json<{
      openapi: string;
      paths: Record<string, Record<string, { security?: unknown; parameters: { name: string; required: boolean }[] }>>;
    }>();
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(["/health", "/integration/providers", "/integration/disconnect", "/openapi.json"]),
    );
    // /docs loads Swagger UI from a CDN: a local development page, not part of a deployed API.
    expect(Object.keys(doc.paths)).not.toContain("/docs");
    const disconnect = doc.paths["/integration/disconnect"]!.post!;
    expect(disconnect.security).toBeDefined();
    expect(disconnect.parameters.map((p) => [p.name, p.required ?? false])).toEqual([
      ["workspace_id", true],
      ["integration", true],
      ["tenant_id", false],
    ]);
  });

  it("should serve /docs only to a local development run", async () => {
    expect((await call("/docs")).status).toBe(404);
    const reachable = await callDevelopment("https://integrations.example.test/docs");
    expect(reachable.status).toBe(404);
  });

  it("should render /docs with Swagger UI over /openapi.json, under a strict CSP, locally", async () => {
    const res = await callDevelopment("/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toContain("text/html");
    const csp = res.headers.get("Content-Security-Policy")!;
    expect(csp).toContain("default-src 'none'");
    // Scripts: our nonce'd inline script and the pinned Swagger UI bundle, nothing else.
    const nonce = /script-src 'nonce-([^']+)' (\S+);/.exec(csp);
    expect(nonce?.[2]).toBe("https://cdn.jsdelivr.net/npm/swagger-ui-dist@5.35.0/");
    expect(csp).toContain("connect-src 'self'");
    const html = await res.text();
    expect(html).toContain(
      `<script nonce="${nonce?.[1]}" src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5.35.0/swagger-ui-bundle.js"`,
    );
    expect(html).toContain('url: "/openapi.json"');
    // Every script element carries the nonce.
    expect(html.split("<script").length).toBe(html.split(`<script nonce="${nonce?.[1]}"`).length);
  });

  it("should keep the console, the sandbox and its providers from a development deploy reached on another host", async () => {
    const remote = (path: string, init: RequestInit & { bearer?: string } = {}) =>
      callDevelopment(new URL(path, "https://integrations.example.test").toString(), init);
    // No admin JWT minted for whoever opens the page.
    const page = await remote("/");
    expect(page.status).toBe(404);
    expect(await page.text()).not.toMatch(/eyJ/);
    expect((await remote("/sandbox/oauth/authorize")).status).toBe(404);
    expect((await remote("/sandbox/api/v1/company")).status).toBe(404);
    expect((await remote("/integration/sandbox/login?workspace_id=ws-1")).status).toBe(404);
    // Served as production serves: which, with development's published secrets, is a refusal.
    const providers = await remote("/integration/providers?workspace_id=ws-1", {
      bearer: await token({ "ws-1": "member" }),
    });
    const names = providers.status === 200 ? (await providers.json<{ name: string }[]>()).map((p) => p.name) : [];
    expect(names).not.toContain("Sandbox");
    // The same app on a loopback host: the console and the sandbox.
    expect((await callDevelopment("/")).status).toBe(200);
    expect((await callDevelopment("/sandbox/api/v1/company")).status).toBe(401);
  });
});
