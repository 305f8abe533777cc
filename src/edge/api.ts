// A route table that validates input with zod, authenticates and authorizes before the handler
// runs, and records every route for the OpenAPI document, so the spec cannot drift from the code.
import type { Context } from "hono";
import { Hono } from "hono";
import { z } from "zod";
import { FailureError } from "../framework/failure";
import { authConfigFromEnv, authenticate, authorize } from "./auth";
import type { AppEnv } from "./env";

/** Who may call a route: anyone, any signed-in user, or a member / admin of the `workspace_id` in the input. */
export type Access = "public" | "user" | "member" | "admin";

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** Defaults to application/json when a schema is given. */
  contentType?: string;
}

export interface RouteSpec<Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType> {
  method: "get" | "post";
  /** Hono path; `:param` segments are documented as OpenAPI path parameters. */
  path: string;
  summary: string;
  description?: string;
  tag: string;
  access: Access;
  query?: Q;
  body?: B;
  responses: Record<number, ResponseSpec>;
}

export interface Input<Q extends z.ZodType, B extends z.ZodType> {
  query: z.output<Q>;
  body: z.output<B>;
}

type Handler<Q extends z.ZodType, B extends z.ZodType> = (c: Context<AppEnv>, input: Input<Q, B>) => Response | Promise<Response>;

export class Api {
  readonly app = new Hono<AppEnv>();
  readonly routes: RouteSpec[] = [];

  route<Q extends z.ZodType = z.ZodUndefined, B extends z.ZodType = z.ZodUndefined>(spec: RouteSpec<Q, B>, handler: Handler<Q, B>): this {
    this.routes.push(spec as unknown as RouteSpec);
    this.app.on(spec.method.toUpperCase(), spec.path, async function validated(c) {
      if (spec.access !== "public") {
        c.set("user", await authenticate(c.req.header("Authorization"), authConfigFromEnv(c.env)));
      }
      const query = spec.query ? parse(spec.query, c.req.query(), "query") : undefined;
      const body = spec.body ? parse(spec.body, await readJson(c), "body") : undefined;
      if (spec.access === "member" || spec.access === "admin") {
        authorize(c.var.user, workspaceOf(query, body), spec.access);
      }
      return handler(c, { query, body } as Input<Q, B>);
    });
    return this;
  }

  /** Adds another route table's routes (e.g. a provider's login and callback) to this one. */
  mount(other: Api): this {
    this.app.route("/", other.app);
    this.routes.push(...other.routes);
    return this;
  }
}

function parse<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const details = result.error.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message));
  throw new FailureError("invalid_request", `Invalid ${where}: ${details.join("; ")}`);
}

async function readJson(c: Context<AppEnv>): Promise<unknown> {
  if (!c.req.header("Content-Type")?.toLowerCase().startsWith("application/json")) {
    throw new FailureError("invalid_request", "The body must be JSON (Content-Type: application/json)");
  }
  try {
    return await c.req.json();
  } catch {
    throw new FailureError("invalid_request", "The body is not valid JSON");
  }
}

function workspaceOf(query: unknown, body: unknown): string {
  for (const source of [query, body]) {
    if (source && typeof source === "object" && "workspace_id" in source && typeof source.workspace_id === "string") {
      return source.workspace_id;
    }
  }
  // A route declared member/admin without a workspace_id field is a programming error.
  throw new Error("Workspace-scoped route has no workspace_id input");
}

/** Shared field schemas. */
export const fields = {
  workspaceId: z.string().min(1).max(200).describe("The host app's workspace id"),
  integration: z.string().min(1).max(100).describe("Provider name from the registry, e.g. Xero"),
};
