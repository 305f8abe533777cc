// Operator routes under /admin/, authorized by ADMIN_API_TOKEN rather than a workspace JWT: they act
// on any workspace. Unset, the whole prefix answers 404. Today: importing connections whose tokens
// another store holds (docs/host-app.md, "Import existing connections").
import { Hono } from "hono/tiny";
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import * as z from "zod/mini";
import { FailureError } from "../../framework/failure";
import { adminApiToken } from "../../framework/settings";
import { type ImportItem, type ImportOutcome, workspaceClient } from "../../workspace/client";
import { describe } from "../docs";
import type { AppEnv } from "../env";
import { notFound } from "../errors";
import { described, fields, issueDetails, json } from "../validate";

// Written by wrangler when it bundles (docs.ts describe): a deploy drops the route docs below.
declare const process: { readonly env: { readonly NODE_ENV?: string } };

/** Most connections one call imports; the CLI sends larger files in batches of this size. */
export const MAX_IMPORT_ITEMS = 1000;
/** Room for 1,000 items with long access tokens (a Xero access token is a JWT of about 1.5 KB). */
const MAX_IMPORT_BYTES = 8 * 1024 * 1024;
/** Items per workspace-object call: bounds the upstream calls (tenant lookups) of one invocation. */
const ITEMS_PER_CALL = 50;
/** Workspaces imported into at once. */
const PARALLEL_CALLS = 6;

const encoder = new TextEncoder();

/** Equal-length digests compared in constant time, so neither the token nor its length leaks through timing. */
async function sameSecret(given: string, expected: string): Promise<boolean> {
  const digest = async (s: string) => crypto.subtle.digest("SHA-256", encoder.encode(s));
  const [a, b] = await Promise.all([digest(given), digest(expected)]);
  return crypto.subtle.timingSafeEqual(a, b);
}

/** 404 for all of /admin/ unless ADMIN_API_TOKEN is set; then its bearer token or 401. */
const operatorOnly = createMiddleware<AppEnv>(async function operatorOnly(c, next) {
  const expected = adminApiToken(c.env);
  if (expected === undefined) return notFound(c);
  const header = c.req.header("Authorization") ?? "";
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match)
    throw new FailureError("token_missing", "Send the operator token: Authorization: Bearer <ADMIN_API_TOKEN>");
  if (!(await sameSecret(match[1]!, expected)))
    throw new FailureError("token_invalid", "This route needs the operator token (ADMIN_API_TOKEN)");
  await next();
});

const limitImportBody = bodyLimit({
  maxSize: MAX_IMPORT_BYTES,
  onError: () => {
    throw new FailureError("payload_too_large", `The body is larger than ${MAX_IMPORT_BYTES / 1024 / 1024} MiB`);
  },
});

/** An ISO 8601 date-time with its offset, or epoch seconds. */
const expiresAt = z.union([
  z.iso.datetime({ offset: true }),
  z.number().check(z.int(), z.positive(), z.lt(1e11, "must be epoch seconds, not milliseconds")),
]);

const token = z.string().check(z.minLength(1), z.maxLength(16 * 1024));

/** One connection; checked item by item, so a bad one is that item's error, not the call's. */
const itemSchema = z.object({
  workspace_id: fields.workspaceId,
  integration: fields.integration,
  tenant_id: z.optional(fields.tenantId),
  tenant_name: z.optional(z.string().check(z.maxLength(500))),
  access_token: token,
  refresh_token: z.optional(z.nullable(token)),
  expires_at: z.optional(z.nullable(expiresAt)),
  scopes: z.optional(z.union([z.string().check(z.maxLength(4000)), z.array(z.string().check(z.maxLength(500)))])),
  connected_by: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
  connection_config: z.optional(z.record(z.string(), z.string().check(z.maxLength(500)))),
});

const envelopeSchema = z.object({
  connections: described(
    z.array(z.unknown()).check(z.maxLength(MAX_IMPORT_ITEMS, `holds at most ${MAX_IMPORT_ITEMS} connections a call`)),
    `Up to ${MAX_IMPORT_ITEMS} connections: {workspace_id, integration, tenant_id?, tenant_name?, access_token, refresh_token?, expires_at? (ISO 8601 or epoch seconds), scopes? (string or list), connected_by?, connection_config?}`,
  ),
});

const resultSchema = () =>
  z.object({
    index: z.number(),
    status: z.enum(["imported", "replaced", "error"]),
    tenant_id: z.optional(z.nullable(z.string())),
    error: z.optional(z.object({ code: z.string(), message: z.string() })),
  });
type ItemResult = z.output<ReturnType<typeof resultSchema>>;

function toImportItem(item: z.output<typeof itemSchema>): ImportItem {
  const expires = item.expires_at;
  return {
    integration: item.integration,
    tenantId: item.tenant_id,
    tenantName: item.tenant_name,
    accessToken: item.access_token,
    refreshToken: item.refresh_token ?? undefined,
    expiresAt: expires == null ? undefined : typeof expires === "number" ? expires * 1000 : Date.parse(expires),
    scope: Array.isArray(item.scopes) ? item.scopes.join(" ") : item.scopes,
    connectedBy: item.connected_by,
    config: item.connection_config,
  };
}

function resultOf(index: number, outcome: ImportOutcome): ItemResult {
  return outcome.ok
    ? { index, status: outcome.status, tenant_id: outcome.tenantId }
    : { index, status: "error", error: { code: outcome.failure.reason, message: outcome.failure.message } };
}

/** Runs `tasks` with at most `limit` in flight. */
async function inParallel(tasks: (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) await tasks[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}

export const adminRoutes = new Hono<AppEnv>().use("/admin/*", operatorOnly).post(
  "/admin/connections/import",
  describe(
    process.env.NODE_ENV !== "production" && {
      tag: "Admin",
      summary: "Import connections whose tokens another store holds (operator only: bearer ADMIN_API_TOKEN)",
      description:
        "Answers 404 while ADMIN_API_TOKEN is unset. Each item is looked up (or its tenant_id verified) at the provider with its access token, then stored encrypted through its workspace's object; importing the same (workspace, integration, tenant) again replaces it. One bad item is that item's error: the call answers 200 with a status per item, in order.",
      access: "user",
      responses: {
        200: {
          description: "One result per item, in order; tokens never appear",
          schema: z.object({
            imported: z.number(),
            replaced: z.number(),
            errors: z.number(),
            results: z.array(resultSchema()),
          }),
        },
        400: { description: "The body is not JSON, or `connections` is missing or holds more than 1,000 items" },
        404: { description: "ADMIN_API_TOKEN is not set on this server" },
        413: { description: "The body is larger than 8 MiB" },
      },
    },
  ),
  limitImportBody,
  async function readJson(c, next) {
    if (!/^application\/([\w.-]+\+)?json\s*(;|$)/i.test(c.req.header("Content-Type") ?? ""))
      throw new FailureError("invalid_request", "The body must be JSON (Content-Type: application/json)");
    try {
      await c.req.json();
    } catch {
      throw new FailureError("invalid_request", "The body is not valid JSON");
    }
    await next();
  },
  json(envelopeSchema),
  async function importConnections(c) {
    const { connections } = c.req.valid("json");
    const results: ItemResult[] = new Array<ItemResult>(connections.length);
    const byWorkspace = new Map<string, { index: number; item: ImportItem }[]>();
    connections.forEach((raw, index) => {
      const parsed = itemSchema.safeParse(raw);
      if (!parsed.success) {
        results[index] = {
          index,
          status: "error",
          error: { code: "invalid_request", message: issueDetails(parsed.error.issues, raw) },
        };
        return;
      }
      const list = byWorkspace.get(parsed.data.workspace_id) ?? [];
      list.push({ index, item: toImportItem(parsed.data) });
      byWorkspace.set(parsed.data.workspace_id, list);
    });
    // A workspace's chunks go one after another, so a connection listed twice ends as its later
    // item; different workspaces overlap.
    const tasks = [...byWorkspace].map(([workspaceId, list]) => async () => {
      const workspace = workspaceClient(c.env, workspaceId);
      for (let at = 0; at < list.length; at += ITEMS_PER_CALL) {
        const chunk = list.slice(at, at + ITEMS_PER_CALL);
        const outcomes = await workspace.importConnections(chunk.map((e) => e.item));
        chunk.forEach((e, i) => (results[e.index] = resultOf(e.index, outcomes[i]!)));
      }
    });
    await inParallel(tasks, PARALLEL_CALLS);
    const count = (status: ItemResult["status"]) => results.filter((r) => r.status === status).length;
    return c.json({ imported: count("imported"), replaced: count("replaced"), errors: count("error"), results }, 200);
  },
);
