// Input validation for every route: Standard Schema validators with one hook that turns any issue
// into an `invalid_request` naming the field. Each records its input for the OpenAPI document (docs.ts).
import { sValidator } from "@hono/standard-validator";
import type { StandardSchemaV1 } from "@standard-schema/spec";
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import * as z from "zod/mini";
import { FailureError } from "../framework/failure";
import { documented } from "./docs";
import type { AppEnv } from "./env";

type Target = "query" | "json" | "param";

const TARGET_NAMES: Record<Target, string> = { query: "query", json: "body", param: "path" };

/**
 * Each issue as `field: problem`, naming only the field (a value may be a token). zod words a missing
 * field as an invalid input; a person reads "required".
 */
export function issueDetails(issues: readonly StandardSchemaV1.Issue[], input: unknown): string {
  const given = typeof input === "object" && input !== null ? input : {};
  return issues
    .map((issue) => {
      const keys = (issue.path ?? []).map((p) => (typeof p === "object" ? String(p.key) : String(p)));
      const path = keys.join(".");
      const missing = keys.length === 1 && !Object.hasOwn(given, keys[0]!);
      const message = missing ? "required" : issue.message;
      return path ? `${path}: ${message}` : message;
    })
    .join("; ");
}

function onInvalid(result: {
  success: boolean;
  error?: readonly StandardSchemaV1.Issue[];
  data?: unknown;
  target: Target;
}): void {
  if (result.success) return;
  throw new FailureError(
    "invalid_request",
    `Invalid ${TARGET_NAMES[result.target]}: ${issueDetails(result.error ?? [], result.data)}`,
  );
}

/** Validates (and documents) the query string. */
export const query = <S extends StandardSchemaV1>(schema: S) =>
  documented(sValidator("query", schema, onInvalid), { target: "query", schema });

/** Validates (and documents) path parameters. */
export const param = <S extends StandardSchemaV1>(schema: S) =>
  documented(sValidator("param", schema, onInvalid), { target: "param", schema });

/**
 * Validates (and documents) a JSON body. The body must be declared JSON and parse; both failures are
 * `invalid_request` before the schema runs.
 */
export const json = <S extends StandardSchemaV1>(schema: S) =>
  documented(sValidator("json", schema, onInvalid), { target: "json", schema });

/** JSON bodies larger than this are refused (413) before they are read. */
export const MAX_JSON_BYTES = 64 * 1024;

const limitBody = bodyLimit({
  maxSize: MAX_JSON_BYTES,
  onError: () => {
    throw new FailureError("payload_too_large", `The body is larger than ${MAX_JSON_BYTES / 1024} KiB`);
  },
});

/**
 * Reads the JSON body once (Hono caches it for the validator): at most 64 KiB, declared as JSON and
 * parseable, else `payload_too_large` or `invalid_request` before any schema runs.
 */
export const jsonBody = createMiddleware<AppEnv>(async function jsonBody(c, next) {
  if (!/^application\/([\w.-]+\+)?json\s*(;|$)/i.test(c.req.header("Content-Type") ?? "")) {
    throw new FailureError("invalid_request", "The body must be JSON (Content-Type: application/json)");
  }
  await limitBody(c, async () => {
    try {
      await c.req.json();
    } catch {
      throw new FailureError("invalid_request", "The body is not valid JSON");
    }
    await next();
  });
});

/**
 * For a POST whose fields are documented as query parameters: takes them from a JSON body too, so
 * both kinds of caller work. A field in both with different values is refused (400); the query, then
 * validated as usual, holds the union. A body that is not JSON is left alone.
 */
export function queryFromJsonBody(names: readonly string[]) {
  return createMiddleware<AppEnv>(async function queryFromJsonBody(c, next) {
    const type = c.req.header("Content-Type") ?? "";
    if (!/^application\/([\w.-]+\+)?json\s*(;|$)/i.test(type)) return next();
    await limitBody(c, async () => {
      const text = await c.req.text();
      if (text.trim() === "") return next();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new FailureError("invalid_request", "The body is not valid JSON");
      }
      if (typeof body !== "object" || body === null || Array.isArray(body))
        throw new FailureError("invalid_request", "The body must be a JSON object");
      const url = new URL(c.req.url);
      for (const name of names) {
        const value: unknown = (body as Record<string, unknown>)[name];
        if (value === undefined) continue;
        if (typeof value !== "string")
          throw new FailureError("invalid_request", `Invalid body: ${name}: must be a string`);
        const inQuery = url.searchParams.getAll(name);
        if (inQuery.length > 0 && inQuery.some((v) => v !== value))
          throw new FailureError("invalid_request", `${name} is given in the query and the body with different values`);
        url.searchParams.set(name, value);
      }
      // The fields now travel in the query the route validates; the body has been read.
      c.req.raw = new Request(url, { method: c.req.method, headers: c.req.raw.headers });
      await next();
    });
  });
}

export const described = <S extends z.ZodMiniType>(schema: S, description: string): S =>
  schema.check(z.describe(description));

/** Field schemas shared by several routes. */
export const fields = {
  workspaceId: described(z.string().check(z.minLength(1), z.maxLength(200)), "The host app's workspace id"),
  integration: described(
    z.string().check(z.minLength(1), z.maxLength(100)),
    "Provider name from the registry, e.g. Xero",
  ),
  tenantId: described(
    z.string().check(z.minLength(1), z.maxLength(256)),
    "The connection's tenant (Xero organisation, QuickBooks realm, …); optional while the workspace has one connection to the provider",
  ),
};

/** The query naming one connection: a workspace's provider, and its tenant when it has several. */
export const connectionQuery = {
  workspace_id: fields.workspaceId,
  integration: fields.integration,
  tenant_id: z.optional(fields.tenantId),
};
