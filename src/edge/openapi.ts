// Builds the OpenAPI 3.1 document from the route table (zod schemas → JSON Schema 2020-12).
import { z } from "zod";
import type { RouteSpec } from "./api";

type JsonObject = Record<string, unknown>;

const errorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

const ERROR_REF = { $ref: "#/components/schemas/Error" };

const STANDARD_ERRORS: Record<string, Record<number, string>> = {
  public: {},
  user: { 401: "Missing, malformed, wrongly signed or expired bearer token" },
  member: { 401: "Missing, malformed, wrongly signed or expired bearer token", 403: "The caller is not a member of the workspace" },
  admin: { 401: "Missing, malformed, wrongly signed or expired bearer token", 403: "The caller is not an admin of the workspace" },
};

export function buildOpenApi(routes: readonly RouteSpec[], info: { title: string; version: string; description: string }): JsonObject {
  const paths: Record<string, Record<string, JsonObject>> = {};
  for (const route of routes) {
    const path = route.path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
    const parameters: JsonObject[] = [...route.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => ({
      name: m[1],
      in: "path",
      required: true,
      schema: { type: "string" },
    }));
    if (route.query) parameters.push(...queryParameters(route.query));

    const responses: Record<string, JsonObject> = {};
    for (const [status, spec] of Object.entries(route.responses)) {
      const schema = spec.schema ? jsonSchema(spec.schema) : Number(status) >= 400 ? ERROR_REF : spec.contentType ? { type: "string" } : undefined;
      responses[status] = schema
        ? { description: spec.description, content: { [spec.contentType ?? "application/json"]: { schema } } }
        : { description: spec.description };
    }
    const errors: Record<number, string> = { ...STANDARD_ERRORS[route.access] };
    if (route.query || route.body) errors[400] ??= "Invalid input";
    for (const [status, description] of Object.entries(errors)) {
      responses[status] ??= { description, content: { "application/json": { schema: ERROR_REF } } };
    }

    const operation: JsonObject = {
      operationId: `${route.method}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_, ch: string | undefined) => (ch ?? "").toUpperCase())}`,
      summary: route.summary,
      tags: [route.tag],
      parameters,
      responses,
    };
    if (route.description) operation.description = route.description;
    if (route.access !== "public") operation.security = [{ bearerAuth: [] }];
    if (route.body) operation.requestBody = { required: true, content: { "application/json": { schema: jsonSchema(route.body) } } };
    (paths[path] ??= {})[route.method] = operation;
  }
  return {
    openapi: "3.1.0",
    info,
    paths,
    components: {
      securitySchemes: {
        bearerAuth: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "JWT",
          description: "HS256 JWT signed by the host app: `sub`, `exp`, `workspaces` ({ workspace id: \"admin\" | \"member\" }).",
        },
      },
      schemas: { Error: jsonSchema(errorSchema) },
    },
  };
}

function jsonSchema(schema: z.ZodType): JsonObject {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonObject;
  return rest;
}

function queryParameters(schema: z.ZodType): JsonObject[] {
  const object = jsonSchema(schema);
  const properties = (object.properties ?? {}) as Record<string, JsonObject>;
  const required = new Set((object.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...propertySchema } = property;
    return { name, in: "query", required: required.has(name), ...(description ? { description } : {}), schema: propertySchema };
  });
}
