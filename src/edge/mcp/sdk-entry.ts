// The MCP SDK pieces /mcp uses (edge/mcp-server.ts), prebuilt with the zod they need into one
// self-contained ES module, ./sdk.generated.js, that the deploy uploads as a module of its own
// (wrangler.toml [[rules]]): the worker's main module stays without the SDK and full zod (~45 KiB
// gzip), and workerd loads them on the first /mcp request only. Wrangler bundles a dynamic import of
// anything else into the main module, hence the prebuilt file. Committed, so plain `wrangler dev` and
// the tests need no build step; `npm run mcp:build` (scripts/mcp-build.ts) rewrites it after an SDK
// upgrade or a change here, and test/node/mcp-build.test.ts fails when it is stale.
// Only the SDK belongs here: our own code in this module would be a second copy with its own state.
export { Server } from "@modelcontextprotocol/sdk/server/index.js";
export { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
export { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
// zod/mini's JSON Schema converter, which the SDK's zod holds anyway: the tools' input schemas (mcp-server.ts).
export { toJSONSchema } from "zod/v4";
