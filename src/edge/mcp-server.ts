// The MCP server behind /mcp (routes/mcp.ts loads this module on its first request): three read-only
// tools over the same reads as the data routes, for an AI client acting as the JWT's user. Stateless
// Streamable HTTP: a new server and transport per request, so no session lives in the isolate.
// The SDK's low-level Server, not its McpServer (which Cloudflare's `agents` createMcpHandler wraps):
// McpServer adds zod 3 to the bundle and words argument errors its own way, not as `invalid_request`.
// The SDK itself is a module of its own, prebuilt (./mcp/sdk-entry.ts says why), imported on first use.
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { CallToolResult, Tool } from "@modelcontextprotocol/sdk/types.js";
import type { jsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/types.js";
import * as z from "zod/mini";
import { FailureError } from "../framework/failure";
import { authorize } from "./auth";
import type { AuthUser } from "./env";
import { errorBody } from "./errors";
import type * as SdkModule from "./mcp/sdk.generated.js";
import { dataEndpointsQuery, dataQuery, readData, readDataEndpoints, readStatus, statusQuery } from "./routes/data";
import { issueDetails } from "./validate";

interface ToolSpec<S extends z.ZodMiniObject> {
  description: string;
  input: S;
  run: (env: Env, args: z.output<S>) => Promise<unknown>;
  /** MCP's structured content is an object: a list is given under this key (the text content is the bare list). */
  listKey?: string;
}

/** Checks a tool's `run` against its own input schema. */
const tool = <S extends z.ZodMiniObject>(spec: ToolSpec<S>): ToolSpec<z.ZodMiniObject> => spec;

/** The tools, by name. Each takes a `workspace_id` the caller must be a member of. */
const TOOLS: Record<string, ToolSpec<z.ZodMiniObject>> = {
  list_connections: tool({
    description:
      "The workspace's connections to providers (one per tenant: integration, tenant_id, tenant_name), each with its " +
      "last fetch, next scheduled run and token state; the GET /integration/status body (as `connections` in the structured content). Call it first: " +
      "its integration and tenant_id name a connection for get_data.",
    input: statusQuery,
    run: readStatus,
    listKey: "connections",
  }),
  get_data: tool({
    description:
      "One connection's normalized data from from_date, exactly the body of GET /integration/data. Accounting: " +
      "{ fetched_at, cache_date, dates, data: { title: { date: number|null } } }; payroll: { fetched_at, cache_date, " +
      "employees }. tenant_id is needed when the workspace has several connections to the provider.",
    input: dataQuery,
    run: readData,
  }),
  get_data_endpoints: tool({
    description:
      "Every data point (Integration[Title]) of the workspace's connected accounting providers, exactly the body of " +
      "GET /integration/dataEndpoints (as `data_points` in the structured content); integration and tenant_id " +
      "narrow the list.",
    input: dataEndpointsQuery,
    run: readDataEndpoints,
    listKey: "data_points",
  }),
};

type Sdk = typeof SdkModule;

/**
 * The tools as tools/list names them. Their JSON Schemas come from the SDK module's zod (the same
 * converter as zod/mini's), which keeps zod's JSON Schema code (~6 KiB gzip) out of the main module.
 */
const listed = (sdk: Sdk): Tool[] =>
  Object.entries(TOOLS).map(([name, spec]) => ({
    name,
    description: spec.description,
    inputSchema: sdk.toJSONSchema(spec.input, { io: "input" }) as Tool["inputSchema"],
    annotations: { readOnlyHint: true, openWorldHint: false },
  }));

/** The SDK module, imported on the first /mcp request, and the tool list built with it. */
let loaded: Promise<{ sdk: Sdk; tools: Tool[] }> | undefined;
const load = async () => {
  const sdk = await import("./mcp/sdk.generated.js");
  return { sdk, tools: listed(sdk) };
};

/** A tool's answer: the body as text, and as structured content (a list under `listKey`). */
const result = (body: unknown, isError = false, listKey?: string): CallToolResult => ({
  content: [{ type: "text", text: JSON.stringify(body) }],
  structuredContent: (listKey === undefined ? body : { [listKey]: body }) as Record<string, unknown>,
  ...(isError ? { isError } : {}),
});

/** A tool's failure as the HTTP route would answer it: `{ error: { code, message } }` (with `tenants` when it has them). */
function failed(err: unknown, name: string): CallToolResult {
  if (err instanceof FailureError) {
    const { reason, message, tenants } = err.failure;
    return result(tenants ? { ...errorBody(reason, message), tenants } : errorBody(reason, message), true);
  }
  console.error("unhandled error in MCP tool", name, err);
  return result(errorBody("internal_error", "Internal server error"), true);
}

/** This server validates no JSON Schema itself (it elicits nothing); the tools' arguments are checked by zod. */
const noSchemaValidation: jsonSchemaValidator = {
  getValidator: () => () => ({ valid: false, data: undefined, errorMessage: "this server validates no JSON Schema" }),
};

function createServer({ sdk, tools }: { sdk: Sdk; tools: Tool[] }, env: Env, user: AuthUser): Server {
  const { Server, CallToolRequestSchema, ListToolsRequestSchema } = sdk;
  const server = new Server(
    { name: "zebbra-integrations", version: "1.0.0" },
    { capabilities: { tools: {} }, jsonSchemaValidator: noSchemaValidation },
  );
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools }));
  server.setRequestHandler(CallToolRequestSchema, async ({ params }) => {
    const spec = Object.hasOwn(TOOLS, params.name) ? TOOLS[params.name] : undefined;
    if (!spec)
      return failed(new FailureError("not_found", `No tool named ${JSON.stringify(params.name)}`), params.name);
    const args = params.arguments ?? {};
    try {
      const parsed = z.safeParse(spec.input, args);
      if (!parsed.success)
        throw new FailureError("invalid_request", `Invalid arguments: ${issueDetails(parsed.error.issues, args)}`);
      authorize(user, (parsed.data as { workspace_id: string }).workspace_id, "member");
      return result(await spec.run(env, parsed.data), false, spec.listKey);
    } catch (err) {
      return failed(err, params.name);
    }
  });
  return server;
}

/** Answers one MCP request (Streamable HTTP, JSON responses) for an authenticated `user`. */
export async function serveMcp(request: Request, env: Env, user: AuthUser): Promise<Response> {
  loaded ??= load();
  const mcp = await loaded;
  const server = createServer(mcp, env, user);
  // Plain JSON answers, not an SSE stream: every tool answers once, and nothing is pushed later.
  const transport = new mcp.sdk.WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
  });
  await server.connect(transport);
  const res = await transport.handleRequest(request);
  return res.status < 400 ? res : inApiShape(res);
}

/**
 * The transport's refusals (an Accept or Content-Type it does not serve, a body that is not JSON-RPC)
 * are JSON-RPC error objects; like every 4xx here they carry `{ error: { code, message } }`, with the
 * transport's status and words. An MCP client reads only the status of a refused POST.
 */
async function inApiShape(res: Response): Promise<Response> {
  let message = "The MCP transport refused the request";
  try {
    const body: unknown = await res.json();
    const said = (body as { error?: { message?: unknown } } | null)?.error?.message;
    if (typeof said === "string" && said !== "") message = said;
  } catch {
    // Not JSON: the status says enough.
  }
  const headers = new Headers(res.headers);
  headers.delete("Content-Length");
  return Response.json(errorBody("invalid_request", message), { status: res.status, headers });
}
