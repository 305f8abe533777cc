// The proxy: any endpoint of a connected provider's API, called with the workspace's connection.
// The edge checks the caller (GET for members, anything else for admins), confines the path to the
// API base and filters the headers; the workspace's object counts the call against the workspace's
// budget, adds the token and tenant, honours the rate limit and refreshes on a 401 at most once a
// minute per connection (src/workspace/proxy.ts). Answers go out so that no browser renders them here.
import { Hono } from "hono/tiny";
import type { Context } from "hono";
import * as z from "zod/mini";
import { FailureError } from "../../framework/failure";
import { pickHeaders, proxiedResponseHeaders, proxyPathProblem, proxyRequestHeaders } from "../../framework/proxy";
import { proxySettings } from "../../framework/settings";
import { requireProvider } from "../../providers/registry";
import { workspaceClient } from "../../workspace/client";
import { authenticated, authorize } from "../auth";
import { describe } from "../docs";
import type { AppEnv } from "../env";
import { described, fields, query } from "../validate";

// Written by wrangler when it bundles (docs.ts describe): a deploy drops the route docs below.
declare const process: { readonly env: { readonly NODE_ENV?: string } };

const PREFIX = "/integration/proxy/";
const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];
const READS = new Set(["GET", "HEAD"]);

/** The raw (still encoded) path after `/integration/proxy/<provider>/`, from the URL as it arrived. */
function rawProxyPath(url: string): { provider: string; path: string } {
  const pathname = url.slice(url.indexOf("/", url.indexOf("//") + 2)).split(/[?#]/, 1)[0]!;
  const rest = pathname.slice(PREFIX.length);
  const slash = rest.indexOf("/");
  return slash < 0 ? { provider: rest, path: "" } : { provider: rest.slice(0, slash), path: rest.slice(slash + 1) };
}

/** The provider segment, decoded; a malformed escape is the caller's error, not ours. */
function decodedName(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new FailureError("invalid_request", "Invalid path: the provider name is not valid percent-encoding");
  }
}

/** The request body, refused past the proxy's limit before it is all read. */
async function boundedBody(c: Context<AppEnv>, max: number): Promise<ArrayBuffer | null> {
  if (READS.has(c.req.method) || !c.req.raw.body) return null;
  const declared = Number(c.req.header("Content-Length") ?? "0");
  const tooLarge = () => new FailureError("payload_too_large", `The body is larger than ${max} bytes`);
  if (declared > max) throw tooLarge();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of c.req.raw.body as ReadableStream<Uint8Array>) {
    size += chunk.byteLength;
    if (size > max) throw tooLarge();
    chunks.push(chunk);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body.buffer;
}

export const proxyRoutes = new Hono<AppEnv>().on(
  METHODS,
  `${PREFIX}:integration/*`,
  describe(
    process.env.NODE_ENV !== "production" && {
      tag: "Proxy",
      summary: "Call any endpoint of a connected provider's API with the workspace's connection",
      description:
        "Forwards the method, the query (without `workspace_id` and `tenant_id`), the body and the headers Accept, Accept-Language, " +
        "Content-Type, If-*, Idempotency-Key to `<API base>/<path>`, with the connection's token. The connection's " +
        "tenant is pinned where the provider takes it (Xero-Tenant-Id, Sage's X-Business, Zoho's organization_id, " +
        "QuickBooks' v3/company/<realm>/, …): a call naming another tenant there is a 400. Answers with the provider's status, body " +
        "and its Content-Type, ETag, Last-Modified, Link, Location and Retry-After, plus X-Content-Type-Options: nosniff, " +
        "Content-Security-Policy: sandbox; default-src 'none', Cache-Control: private, no-store and, unless the body is JSON, " +
        "Content-Disposition: attachment. GET and HEAD need the member role, other methods admin. The path must stay under " +
        "the API base: `..`, `.`, a segment starting `..;` or `.;`, encoded dots, slashes or backslashes, `@`, a backslash, " +
        "an absolute URL or an empty segment is a 400. At most LIMIT_PROXY_CALLS_PER_MINUTE calls a minute per workspace. docs/proxy.md",
      access: "member",
      responses: {
        200: {
          description: "The provider's answer (any status it gave), streamed",
          contentType: "application/octet-stream",
        },
        400: {
          description:
            "invalid_request: a path that would leave the API base, a call naming another tenant than the connection's, or invalid input",
        },
        404: { description: "not_connected: the workspace has no connection to the provider" },
        409: { description: "reconnect_required: the provider refused the stored grant" },
        413: { description: "payload_too_large: a request body over PROXY_MAX_REQUEST_BYTES" },
        429: {
          description:
            "rate_limited (no X-Proxied-By): the workspace's LIMIT_PROXY_CALLS_PER_MINUTE is spent; Retry-After says when the next minute starts",
        },
        502: { description: "provider_error: the provider's answer is larger than PROXY_MAX_RESPONSE_BYTES" },
        503: { description: "provider_unavailable: the provider could not be reached or did not answer in time" },
      },
    },
  ),
  authenticated,
  query(
    z.looseObject({
      workspace_id: described(fields.workspaceId, "The workspace whose connection is used"),
      tenant_id: z.optional(described(fields.tenantId, "The connection's tenant; never forwarded upstream")),
    }),
  ),
  async (c) => {
    const { workspace_id: workspaceId, tenant_id: tenantId } = c.req.valid("query");
    authorize(c.var.user, workspaceId, READS.has(c.req.method) ? "member" : "admin");
    const raw = rawProxyPath(c.req.url);
    const provider = requireProvider(decodedName(raw.provider), c.env);
    const problem = proxyPathProblem(raw.path);
    if (problem) throw new FailureError("invalid_request", `Invalid path: ${problem}`);

    const params = new URL(c.req.url).searchParams;
    params.delete("workspace_id");
    params.delete("tenant_id");
    const settings = proxySettings(c.env);
    const outcome = await workspaceClient(c.env, workspaceId).forward({
      integration: provider.name,
      tenantId,
      method: c.req.method,
      path: raw.path,
      query: params.toString(),
      headers: pickHeaders(c.req.raw.headers, proxyRequestHeaders(provider.proxy)),
      body: await boundedBody(c, settings.maxRequestBytes),
    });
    if (!outcome.ok) throw FailureError.of(outcome.failure);
    // The provider's own status and body, marked so a caller can tell them from this service's
    // errors, and never a page of this origin (proxiedResponseHeaders).
    const bodyless = c.req.method === "HEAD" || [101, 204, 205, 304].includes(outcome.status);
    if (bodyless) await outcome.body?.cancel();
    return new Response(bodyless ? null : outcome.body, {
      status: outcome.status,
      headers: proxiedResponseHeaders(outcome.headers),
    });
  },
);
