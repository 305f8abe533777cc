// OpenAPI for every route: a route's description (summary, access, responses) becomes its operation;
// its validators (validate.ts) add the parameters and body. Both only record what they document:
// `/openapi.json` is built from those records by ./openapi.ts (hono-openapi) in development and the
// tests, and in a deploy is public/openapi.json, a static asset holding the same document, written at
// build time by `npm run openapi:generate` (test/node/openapi.test.ts fails when it is stale). A
// deploy's bundle thus carries neither hono-openapi, nor the JSON Schema converter it loads, nor the
// document (bench/weight.ts; app.ts serves /openapi.json).
import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { MiddlewareHandler } from "hono";

/** Who may call a route: anyone, any signed-in user, or a member / admin of the input's `workspace_id`. */
export type Access = "public" | "user" | "member" | "admin";

export interface ResponseDoc {
  description: string;
  schema?: StandardSchemaV1;
  /** Defaults to application/json when a schema is given. */
  contentType?: string;
}

export interface RouteDoc {
  tag: string;
  summary: string;
  description?: string;
  access: Access;
  responses: Record<number, ResponseDoc>;
}

/** Where a route's middleware keeps what it documents, for ./openapi.ts to read. */
export const DOCUMENTED = Symbol("documented");

export interface DocumentedInput {
  target: "query" | "json" | "param";
  schema: StandardSchemaV1;
}

/** A middleware and what it documents: its route's description, or the input it validates. */
export type Documented<M> = M & { readonly [DOCUMENTED]: RouteDoc | DocumentedInput };

export const documented = <M extends object>(middleware: M, doc: RouteDoc | DocumentedInput): Documented<M> =>
  Object.assign(middleware, { [DOCUMENTED]: doc });

/** The route's OpenAPI operation (./openapi.ts); as a middleware it only passes the request on. */
export function describe(doc: RouteDoc): MiddlewareHandler {
  return documented<MiddlewareHandler>(async function describedRoute(_c, next) {
    await next();
  }, doc);
}

export const INFO = {
  title: "zebbra-integrations",
  version: "0.1.0",
  description:
    "Per-workspace OAuth connections to third-party APIs, token lifecycle and cached provider data. " +
    "Authenticate with a bearer JWT signed by the host app.",
};
