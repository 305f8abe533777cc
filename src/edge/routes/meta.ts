// Service routes: health, the OpenAPI document and a page that renders it (the seed had FastAPI's /docs).
import { z } from "zod";
import type { Api } from "../api";
import { escapeHtml, newNonce, pageHeaders, scriptJson } from "../html";
import { buildOpenApi } from "../openapi";

const INFO = {
  title: "zebbra-integrations",
  version: "0.1.0",
  description:
    "Per-workspace OAuth connections to third-party APIs, token lifecycle and cached provider data. " +
    "Authenticate with a bearer JWT signed by the host app.",
};

export function metaRoutes(api: Api): void {
  let document: Record<string, unknown> | undefined;
  // Built on first use, after every route has been added.
  const openapi = () => (document ??= buildOpenApi(api.routes, INFO));

  api.route(
    {
      method: "get",
      path: "/health",
      tag: "Service",
      summary: "Liveness check",
      access: "public",
      responses: { 200: { description: "The worker is up", schema: z.object({ status: z.literal("ok") }) } },
    },
    (c) => c.json({ status: "ok" as const }),
  );

  api.route(
    {
      method: "get",
      path: "/openapi.json",
      tag: "Service",
      summary: "This API's OpenAPI 3.1 document",
      access: "public",
      responses: { 200: { description: "OpenAPI 3.1 document", schema: z.record(z.string(), z.unknown()) } },
    },
    (c) => c.json(openapi()),
  );

  api.route(
    {
      method: "get",
      path: "/docs",
      tag: "Service",
      summary: "Human-readable API reference rendered from /openapi.json",
      access: "public",
      responses: { 200: { description: "HTML page", contentType: "text/html" } },
    },
    (c) => {
      const nonce = newNonce();
      return c.body(docsPage(openapi(), nonce), 200, pageHeaders(nonce));
    },
  );
}

function docsPage(spec: Record<string, unknown>, nonce: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(INFO.title)} API</title>
<style nonce="${nonce}">
body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:960px;padding:1.5rem;color:#1d2330}
h1{margin-bottom:.2rem}.op{border:1px solid #d8dde6;border-radius:6px;margin:1rem 0;padding:.6rem 1rem}
.m{display:inline-block;min-width:3.5rem;font-weight:700;text-transform:uppercase}.get{color:#1769aa}.post{color:#2e7d32}
code,pre{font:13px ui-monospace,monospace;background:#f4f6f9;border-radius:4px}pre{padding:.5rem;overflow:auto}
table{border-collapse:collapse}td,th{border-bottom:1px solid #e4e7ec;padding:.2rem .6rem;text-align:left;vertical-align:top}
.lock{color:#8a5a00;font-size:.85em}
</style></head>
<body><h1>${escapeHtml(INFO.title)}</h1><p>${escapeHtml(INFO.description)} Machine-readable: <a href="/openapi.json">/openapi.json</a>.</p>
<main id="ops"></main>
<script nonce="${nonce}">
const spec = ${scriptJson(spec)};
const el = (tag, attrs, ...kids) => { const e = document.createElement(tag); Object.assign(e, attrs); e.append(...kids); return e; };
const pre = (v) => el("pre", {}, JSON.stringify(v, null, 2));
const ops = document.getElementById("ops");
for (const [path, methods] of Object.entries(spec.paths)) {
  for (const [method, op] of Object.entries(methods)) {
    const box = el("section", { className: "op" },
      el("h3", {}, el("span", { className: "m " + method }, method), " ", el("code", {}, path), " ",
        op.security ? el("span", { className: "lock" }, "bearer JWT") : ""),
      el("p", {}, op.summary || ""), op.description ? el("p", {}, op.description) : "");
    if (op.parameters && op.parameters.length) {
      const rows = op.parameters.map((p) => el("tr", {}, el("td", {}, el("code", {}, p.name)), el("td", {}, p.in),
        el("td", {}, p.required ? "required" : "optional"), el("td", {}, p.description || JSON.stringify(p.schema))));
      box.append(el("h4", {}, "Parameters"), el("table", {}, ...rows));
    }
    if (op.requestBody) box.append(el("h4", {}, "Body"), pre(op.requestBody.content["application/json"].schema));
    box.append(el("h4", {}, "Responses"));
    for (const [status, r] of Object.entries(op.responses)) {
      const content = r.content && Object.values(r.content)[0];
      box.append(el("p", {}, el("strong", {}, status), " " + r.description));
      if (content && content.schema && !content.schema.$ref) box.append(pre(content.schema));
    }
    ops.append(box);
  }
}
</script></body></html>`;
}
