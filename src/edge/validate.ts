// Input validation for every route: hono-openapi's validators (which also document the input in
// OpenAPI) with one hook that turns any issue into an `invalid_request` naming the field.
import type { StandardSchemaV1 } from "@standard-schema/spec";
import { validator } from "hono-openapi";
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import * as z from "zod/mini";
import { FailureError } from "../framework/failure";
import type { AppEnv } from "./env";

type Target = "query" | "json" | "param";

const TARGET_NAMES: Record<Target, string> = { query: "query", json: "body", param: "path" };

function onInvalid(result: { success: boolean; error?: readonly StandardSchemaV1.Issue[]; target: Target }): void {
  if (result.success) return;
  const details = (result.error ?? []).map((issue) => {
    const path = (issue.path ?? []).map((p) => (typeof p === "object" ? String(p.key) : String(p))).join(".");
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  throw new FailureError("invalid_request", `Invalid ${TARGET_NAMES[result.target]}: ${details.join("; ")}`);
}

/** Validates (and documents) the query string. */
export const query = <S extends StandardSchemaV1>(schema: S) => validator("query", schema, onInvalid);

/** Validates (and documents) path parameters. */
export const param = <S extends StandardSchemaV1>(schema: S) => validator("param", schema, onInvalid);

/**
 * Validates (and documents) a JSON body. The body must be declared JSON and parse; both failures are
 * `invalid_request` before the schema runs.
 */
export const json = <S extends StandardSchemaV1>(schema: S) => validator("json", schema, onInvalid);

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
