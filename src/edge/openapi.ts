// The live OpenAPI 3.1 document, through hono-openapi, from what each route's middleware records
// (docs.ts `describe`, validate.ts's validators). Development and the tests serve it at /openapi.json;
// `npm run openapi:generate` writes it to openapi.generated.json, which a deploy serves instead, so
// a deploy's bundle never imports this module.
import type { Hono } from "hono";
import {
  type DescribeRouteOptions,
  type GenerateSpecOptions,
  generateSpecs,
  resolver,
  uniqueSymbol,
} from "hono-openapi";
import { findTargetHandler } from "hono/utils/handler";
import { type Access, DOCUMENTED, type DocumentedInput, INFO, type RouteDoc } from "./docs";
import type { AppEnv } from "./env";

const ERROR_REF = { $ref: "#/components/schemas/Error" };

const UNAUTHORIZED = "Missing, malformed, wrongly signed or expired bearer token";
const STANDARD_ERRORS: Record<Access, Record<number, string>> = {
  public: {},
  user: { 401: UNAUTHORIZED },
  member: { 401: UNAUTHORIZED, 403: "The caller is not a member of the workspace" },
  admin: { 401: UNAUTHORIZED, 403: "The caller is not an admin of the workspace" },
};

/** The route's OpenAPI operation; responses ≥ 400 without a schema carry the error shape. */
function operation(doc: RouteDoc): DescribeRouteOptions {
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
  return {
    tags: [doc.tag],
    summary: doc.summary,
    ...(doc.description ? { description: doc.description } : {}),
    ...(doc.access === "public" ? {} : { security: [{ bearerAuth: [] }] }),
    responses,
  };
}

/** What hono-openapi's `describeRoute` and `validator` attach to their middleware, for generateSpecs. */
const openApiRecord = (doc: RouteDoc | DocumentedInput) =>
  "schema" in doc ? { target: doc.target, ...resolver(doc.schema) } : { spec: operation(doc) };

const OPTIONS: Partial<GenerateSpecOptions> = {
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
};

/** The OpenAPI 3.1 document of `app`, once every route is mounted. */
export function liveDocument(app: Hono<AppEnv>): ReturnType<typeof generateSpecs> {
  for (const route of app.routes) {
    const handler: object = findTargetHandler(route.handler);
    if (!(DOCUMENTED in handler) || uniqueSymbol in handler) continue;
    // Only docs.ts `documented` sets DOCUMENTED.
    Object.assign(handler, { [uniqueSymbol]: openApiRecord(handler[DOCUMENTED] as RouteDoc | DocumentedInput) });
  }
  return generateSpecs(app, OPTIONS);
}
