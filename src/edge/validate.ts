// Input validation for every route: hono-openapi's validators (which also document the input in
// OpenAPI) with one hook that turns any issue into an `invalid_request` naming the field.
import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { Context, MiddlewareHandler } from "hono";
import { validator } from "hono-openapi";
import * as z from "zod/mini";
import { FailureError } from "../framework/failure";
import type { AppEnv } from "./env";

type Target = "query" | "json";

function onInvalid(result: { success: boolean; error?: readonly StandardSchemaV1.Issue[]; target: Target }): void {
  if (result.success) return;
  const details = (result.error ?? []).map((issue) => {
    const path = (issue.path ?? []).map((p) => (typeof p === "object" ? String(p.key) : String(p))).join(".");
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  throw new FailureError(
    "invalid_request",
    `Invalid ${result.target === "json" ? "body" : "query"}: ${details.join("; ")}`,
  );
}

/** Validates (and documents) the query string. */
export const query = <S extends StandardSchemaV1>(schema: S) => validator("query", schema, onInvalid);

/**
 * Validates (and documents) a JSON body. The body must be declared JSON and parse; both failures are
 * `invalid_request` before the schema runs.
 */
export const json = <S extends StandardSchemaV1>(schema: S) => validator("json", schema, onInvalid);

/** Reads the JSON body once (Hono caches it for the validator), refusing other content types and bad JSON. */
export const jsonBody: MiddlewareHandler<AppEnv> = async function jsonBody(c: Context<AppEnv>, next) {
  if (!/^application\/([\w.-]+\+)?json\s*(;|$)/i.test(c.req.header("Content-Type") ?? "")) {
    throw new FailureError("invalid_request", "The body must be JSON (Content-Type: application/json)");
  }
  try {
    await c.req.json();
  } catch {
    throw new FailureError("invalid_request", "The body is not valid JSON");
  }
  await next();
};

const described = <S extends z.ZodMiniType>(schema: S, description: string): S => schema.check(z.describe(description));

/** Field schemas shared by several routes. */
export const fields = {
  workspaceId: described(z.string().check(z.minLength(1), z.maxLength(200)), "The host app's workspace id"),
  integration: described(
    z.string().check(z.minLength(1), z.maxLength(100)),
    "Provider name from the registry, e.g. Xero",
  ),
  describe: described,
};
