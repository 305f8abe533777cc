import { describe, expect, it } from "vitest";
import { call, errorOf } from "./helpers";

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
      expect.arrayContaining([
        "/health",
        "/integration/providers",
        "/integration/disconnect",
        "/openapi.json",
        "/docs",
      ]),
    );
    const disconnect = doc.paths["/integration/disconnect"]!.post!;
    expect(disconnect.security).toBeDefined();
    expect(disconnect.parameters.map((p) => [p.name, p.required ?? false])).toEqual([
      ["workspace_id", true],
      ["integration", true],
      ["tenant_id", false],
    ]);
  });

  it("should render /docs with Swagger UI over /openapi.json, under a strict CSP", async () => {
    const res = await call("/docs");
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
});
