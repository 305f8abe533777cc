// src/edge/mcp/sdk.generated.js is built from src/edge/mcp/sdk-entry.ts and the installed MCP SDK and
// zod; this fails when it is stale (an upgrade, a changed entry) or hand-edited (npm run mcp:build).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { OUTPUT, renderMcpSdk } from "../../scripts/mcp-build.ts";

describe("src/edge/mcp/sdk.generated.js", () => {
  it("should be what scripts/mcp-build.ts builds from src/edge/mcp/sdk-entry.ts", async () => {
    expect(readFileSync(OUTPUT, "utf8") === (await renderMcpSdk()), "stale: run npm run mcp:build").toBe(true);
  });

  it("should import nothing: wrangler uploads it as it is, unbundled", () => {
    expect(readFileSync(OUTPUT, "utf8")).not.toMatch(/\bimport\s*[("'{*]|\bfrom\s*["']|\brequire\(/);
  });
});
