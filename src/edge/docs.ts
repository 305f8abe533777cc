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

const passOn: MiddlewareHandler = async function describedRoute(_c, next) {
  await next();
};

/**
 * The route's OpenAPI operation (./openapi.ts); as a middleware it only passes the request on. A
 * deploy serves the document built ahead of time (public/openapi.json), so call sites write
 * `describe(process.env.NODE_ENV !== "production" && {...})`: wrangler's bundler writes
 * "production" there for `wrangler deploy`, and the text and response schemas drop out of the
 * deploy's bundle. (The comparison must be written out at each call: the edge is imported lazily,
 * and esbuild does not inline a constant of a lazily imported module.)
 */
export function describe(doc: RouteDoc | false): MiddlewareHandler {
  return doc === false ? passOn : documented<MiddlewareHandler>(async (c, next) => passOn(c, next), doc);
}

export const INFO = {
  title: "zebbra-integrations",
  version: "0.1.0",
  description:
    "Per-workspace OAuth connections to third-party APIs, token lifecycle and cached provider data. " +
    "Authenticate with a bearer JWT signed by the host app.",
};
