// OpenAPI for every route, through hono-openapi: a route's description (summary, access, responses)
// becomes its operation; its validators add the parameters and body. Also the document itself (the
// Swagger UI page that renders it is docs-page.ts).
import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { Hono } from "hono";
import { type DescribeRouteOptions, describeRoute, openAPIRouteHandler, resolver } from "hono-openapi";
import type { AppEnv } from "./env";

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

const ERROR_REF = { $ref: "#/components/schemas/Error" };

const UNAUTHORIZED = "Missing, malformed, wrongly signed or expired bearer token";
const STANDARD_ERRORS: Record<Access, Record<number, string>> = {
  public: {},
  user: { 401: UNAUTHORIZED },
  member: { 401: UNAUTHORIZED, 403: "The caller is not a member of the workspace" },
  admin: { 401: UNAUTHORIZED, 403: "The caller is not an admin of the workspace" },
};

/** The route's OpenAPI operation; responses ≥ 400 without a schema carry the error shape. */
export function describe(doc: RouteDoc) {
  const responses: NonNullable<DescribeRouteOptions["responses"]> = {};
  for (const [status, spec] of Object.entries(doc.responses)) {
    const schema = spec.schema
      ? resolver(spec.schema)
      : Number(status) >= 400
        ? ERROR_REF
        : spec.contentType
          ? { type: "string" as const }
          : undefined;
    responses[status] = schema
      ? { description: spec.description, content: { [spec.contentType ?? "application/json"]: { schema } } }
      : { description: spec.description };
  }
  for (const [status, description] of Object.entries(STANDARD_ERRORS[doc.access])) {
    responses[status] ??= { description, content: { "application/json": { schema: ERROR_REF } } };
  }
  return describeRoute({
    tags: [doc.tag],
    summary: doc.summary,
    ...(doc.description ? { description: doc.description } : {}),
    ...(doc.access === "public" ? {} : { security: [{ bearerAuth: [] }] }),
    responses,
  });
}

export const INFO = {
  title: "zebbra-integrations",
  version: "0.1.0",
  description:
    "Per-workspace OAuth connections to third-party APIs, token lifecycle and cached provider data. " +
    "Authenticate with a bearer JWT signed by the host app.",
};

/** The OpenAPI 3.1 document of `app`, built on first request once every route is mounted. */
export function openApiDocument(app: Hono<AppEnv>) {
  return openAPIRouteHandler(app, {
    documentation: {
      info: INFO,
      components: {
        securitySchemes: {
          bearerAuth: {
            type: "http",
            scheme: "bearer",
            bearerFormat: "JWT",
            description:
              'HS256 JWT signed by the host app: `sub`, `exp`, `workspaces` ({ workspace id: "admin" | "member" }).',
          },
        },
        schemas: {
          Error: {
            type: "object",
            properties: {
              error: {
                type: "object",
                properties: { code: { type: "string" }, message: { type: "string" } },
                required: ["code", "message"],
              },
            },
            required: ["error"],
          },
        },
      },
    },
    // Keeps /openapi.json itself in the document (hono-openapi skips paths that look like files).
    excludeStaticFile: false,
    defaultValidationErrorResponse: {
      description: "Invalid input",
      content: { "application/json": { schema: ERROR_REF } },
    },
  });
}
