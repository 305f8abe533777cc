// MCP at /mcp (Streamable HTTP, stateless): the read-only data tools for an AI client, behind the
// same bearer JWT as the API. The MCP SDK is loaded on the first /mcp request only, so the API's
// startup never evaluates it.
import { Hono } from "hono/tiny";
import type { Handler } from "hono";
import { authenticated } from "../auth";
import { describe } from "../docs";
import type { AppEnv } from "../env";
import { errorBody } from "../errors";
import type * as McpServer from "../mcp-server";

// Written by wrangler when it bundles (docs.ts describe): a deploy drops the route docs below.
declare const process: { readonly env: { readonly NODE_ENV?: string } };

let loaded: Promise<typeof McpServer> | undefined;

const serve: Handler<AppEnv> = async function serveMcp(c) {
  loaded ??= import("../mcp-server");
  return (await loaded).serveMcp(c.req.raw, c.env, c.var.user);
};

export const mcpRoutes = new Hono<AppEnv>()
  .post(
    "/mcp",
    describe(
      process.env.NODE_ENV !== "production" && {
        tag: "MCP",
        summary: "Model Context Protocol server (Streamable HTTP, stateless, JSON responses)",
        description:
          "JSON-RPC 2.0 messages as MCP's Streamable HTTP transport sends them (Accept: application/json, " +
          "text/event-stream). Read-only tools, each taking a `workspace_id` the caller must be a member of: " +
          "`list_connections` (the GET /integration/status body), `get_data` (the GET /integration/data body) and " +
          "`get_data_endpoints` (the GET /integration/dataEndpoints body). A tool's failure is a result with " +
          "`isError: true` whose structured content is the route's `{ error: { code, message } }`. docs/host-app.md#mcp.",
        access: "user",
        responses: { 200: { description: "The JSON-RPC response" } },
      },
    ),
    authenticated,
    serve,
  )
  // Stateless: no stream for the server to push on (GET) and no session to end (DELETE). MCP's
  // Streamable HTTP lets a server answer both 405; the SDK's transport would hold a GET open instead.
  .on(["GET", "DELETE"], "/mcp", authenticated, (c) =>
    c.json(errorBody("method_not_allowed", "This MCP server is stateless: send each message with POST"), 405, {
      Allow: "POST",
    }),
  );
