// MCP at /mcp through the MCP SDK's own client, its requests sent to the worker's fetch handler:
// the handshake, the tool list, get_data answering exactly what GET /integration/data answers, the
// API's bearer JWT and workspace roles, and failures as tool errors in the API's error shape.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { jsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/types.js";
import { describe, expect, it } from "vitest";
import { call, errorOf, getData, seedConnection, token } from "./helpers";

const URL_MCP = new URL("https://integrations.example.test/mcp");

/**
 * The client checks a tool's structured content against its output schema with ajv, which compiles
 * with `new Function`, refused in workerd; these tools declare none, so nothing is ever validated.
 */
const noSchemaValidation: jsonSchemaValidator = {
  getValidator: () => () => ({ valid: false, data: undefined, errorMessage: "no JSON Schema validation here" }),
};

/** An MCP client connected to the worker as the holder of `bearer`. */
async function connect(bearer: string | undefined): Promise<Client> {
  const client = new Client({ name: "mcp-test", version: "1.0.0" }, { jsonSchemaValidator: noSchemaValidation });
  const transport = new StreamableHTTPClientTransport(URL_MCP, {
    ...(bearer ? { requestInit: { headers: { Authorization: `Bearer ${bearer}` } } } : {}),
    fetch: (input, init) => call(input instanceof Request ? input.url : input.toString(), init),
  });
  await client.connect(transport);
  return client;
}

const callTool = async (client: Client, name: string, args: Record<string, unknown>) =>
  (await client.callTool({ name, arguments: args })) as CallToolResult;

describe("MCP", () => {
  it("should list its three read-only tools after the handshake", async () => {
    const client = await connect(await token({ "ws-mcp-list": "member" }));
    expect(client.getServerVersion()?.name).toBe("zebbra-integrations");
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(["list_connections", "get_data", "get_data_endpoints"]);
    for (const t of tools) expect(t.annotations?.readOnlyHint).toBe(true);
    const getDataTool = tools.find((t) => t.name === "get_data")!;
    expect(getDataTool.inputSchema.required).toEqual(["workspace_id", "integration", "from_date"]);
    await client.close();
  });

  it("should answer get_data with exactly the body of GET /integration/data", async () => {
    const ws = "ws-mcp-data";
    const grant = await seedConnection(ws, "xero");
    const client = await connect(await token({ [ws]: "member" }));
    const viaMcp = await callTool(client, "get_data", {
      workspace_id: ws,
      integration: "Xero",
      from_date: "2024-04-15",
    });
    // Cached by the first read: the route serves the same entry, fetched_at included.
    const viaRoute = await (await getData(ws, "Xero", "2024-04-15")).json<Record<string, unknown>>();
    expect(viaMcp.isError).toBeUndefined();
    expect(viaMcp.structuredContent).toEqual(viaRoute);
    expect(Object.keys(viaRoute)).toEqual(["fetched_at", "cache_date", "dates", "data"]);
    expect(JSON.parse((viaMcp.content[0] as { text: string }).text)).toEqual(viaRoute);

    const listed = await callTool(client, "list_connections", { workspace_id: ws });
    const status = await call(`/integration/status?workspace_id=${ws}`, { bearer: await token({ [ws]: "member" }) });
    const statusBody: unknown = await status.json();
    // Structured content is an object in MCP: the route's list is under a key, and is the text as is.
    expect(listed.structuredContent).toEqual({ connections: statusBody });
    expect(JSON.parse((listed.content[0] as { text: string }).text)).toEqual(statusBody);
    expect(statusBody).toMatchObject([{ integration: "Xero", tenant_id: grant.tenantIds.at(-1) }]);

    const points = await callTool(client, "get_data_endpoints", { workspace_id: ws, from_date: "2024-04-15" });
    const route = await call(`/integration/dataEndpoints?workspace_id=${ws}&from_date=2024-04-15`, {
      bearer: await token({ [ws]: "member" }),
    });
    const pointsBody: unknown[] = await route.json();
    expect(pointsBody.length).toBeGreaterThan(0);
    expect(points.structuredContent).toEqual({ data_points: pointsBody });
    await client.close();
  });

  it("should refuse a request without a bearer token with the API's 401", async () => {
    const res = await call("/mcp", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get("WWW-Authenticate")).toContain("Bearer");
    expect((await errorOf(res)).code).toBe("token_missing");
    await expect(connect(undefined)).rejects.toThrow(/token_missing/);
  });

  it("should answer what the transport refuses in the API's error shape, with the transport's status", async () => {
    const bearer = await token({ "ws-mcp-refused": "member" });
    const list = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" });
    const json = { "Content-Type": "application/json" };
    for (const [init, status] of [
      [{ headers: json, body: list }, 406], // Accept must name JSON and event streams
      [{ headers: { ...json, Accept: "application/json, text/event-stream" }, body: "{" }, 400],
      [{ headers: { "Content-Type": "text/plain", Accept: "application/json, text/event-stream" }, body: list }, 415],
    ] as const) {
      const res = await call("/mcp", { method: "POST", bearer, ...init });
      expect(res.status).toBe(status);
      const error = await errorOf(res);
      expect(error.code).toBe("invalid_request");
      expect(error.message).not.toBe("");
    }
  });

  it("should answer GET and DELETE 405: a stateless server has no stream to open and no session to end", async () => {
    const bearer = await token({ "ws-mcp-get": "member" });
    for (const method of ["GET", "DELETE"]) {
      const res = await call("/mcp", { method, bearer, headers: { Accept: "text/event-stream" } });
      expect(res.status).toBe(405);
      expect(res.headers.get("Allow")).toBe("POST");
      expect((await errorOf(res)).code).toBe("method_not_allowed");
    }
  });

  it("should answer a tool call for another workspace as a forbidden tool error", async () => {
    await seedConnection("ws-mcp-theirs", "xero");
    const client = await connect(await token({ "ws-mcp-mine": "admin" }));
    const result = await callTool(client, "get_data", {
      workspace_id: "ws-mcp-theirs",
      integration: "Xero",
      from_date: "2024-04-15",
    });
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toEqual({
      error: { code: "forbidden", message: 'No access to workspace "ws-mcp-theirs"' },
    });
    await client.close();
  });

  it("should answer invalid arguments and a route's failures as tool errors in the API's error shape", async () => {
    const ws = "ws-mcp-invalid";
    const client = await connect(await token({ [ws]: "member" }));
    const missing = await callTool(client, "get_data", { workspace_id: ws, from_date: "2024-13-01" });
    expect(missing.isError).toBe(true);
    expect(missing.structuredContent).toEqual({
      error: {
        code: "invalid_request",
        message: "Invalid arguments: integration: required; from_date: must be a date as YYYY-MM-DD (four-digit year)",
      },
    });
    // The same failure the route answers 404 for.
    const notConnected = await callTool(client, "get_data", {
      workspace_id: ws,
      integration: "Xero",
      from_date: "2024-04-15",
    });
    const route = await getData(ws, "Xero", "2024-04-15");
    expect(route.status).toBe(404);
    expect(notConnected.structuredContent).toEqual(await route.json());
    const unknown = await callTool(client, "delete_everything", { workspace_id: ws });
    expect(unknown.isError).toBe(true);
    expect((unknown.structuredContent as { error: { code: string } }).error.code).toBe("not_found");
    await client.close();
  });
});
