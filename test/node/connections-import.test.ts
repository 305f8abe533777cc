// The import tools on the operator's machine: scripts/connections-import.ts sends a JSONL file in
// batches of at most 1,000 to a (here: local stand-in) worker and reports each line's fate by line
// number; scripts/connections-from-nango.ts turns Nango's connection export into that JSONL.
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { convert, nangoConnections } from "../../scripts/connections-from-nango.ts";
import { batches, formatSummary, importFile, parseArgs } from "../../scripts/connections-import.ts";

const TOKEN = "operator-token-for-the-cli-test-0123456789";

/** A stand-in for POST /admin/connections/import: items with `fail` set are errors, others imported once, then replaced. */
const received: { authorization: string | undefined; count: number }[] = [];
const seen = new Set<string>();
const server = createServer((req: IncomingMessage, res) => {
  let body = "";
  req.on("data", (chunk: Buffer) => (body += chunk.toString()));
  req.on("end", () => {
    const auth = req.headers.authorization;
    if (auth !== `Bearer ${TOKEN}`) {
      res
        .writeHead(401, { "Content-Type": "application/json" })
        .end('{"error":{"code":"token_invalid","message":"no"}}');
      return;
    }
    const { connections } = JSON.parse(body) as { connections: { workspace_id: string; fail?: boolean }[] };
    received.push({ authorization: auth, count: connections.length });
    const results = connections.map((c, index) => {
      if (c.fail) return { index, status: "error", error: { code: "tenant_required", message: "give tenant_id" } };
      const known = seen.has(c.workspace_id);
      seen.add(c.workspace_id);
      return { index, status: known ? "replaced" : "imported" };
    });
    res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ results }));
  });
});
let url = "";

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const line = (i: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ workspace_id: `ws-${i}`, integration: "Xero", access_token: `secret-access-${i}`, ...extra });

describe("npm run connections:import", () => {
  it("should send 2,500 lines as three batches of at most 1,000 and sum up by line number", async () => {
    received.length = 0;
    const lines = Array.from({ length: 2500 }, (_, i) => line(i % 2400, i === 7 ? { fail: true } : {}));
    lines.splice(10, 0, "{not json", "");
    const progress: string[] = [];
    const summary = await importFile({
      text: lines.join("\n"),
      url,
      token: TOKEN,
      progress: { write: (s: string) => progress.push(s), isTTY: false },
    });
    expect(received.map((r) => r.count)).toEqual([1000, 1000, 500]);
    // Line 8 (ws-7) refused by the worker, so ws-7's second line imports; 99 others seen again replace.
    expect(summary.imported).toBe(2400);
    expect(summary.replaced).toBe(99);
    expect(summary.errors).toEqual([
      { line: 8, code: "tenant_required", message: "give tenant_id" },
      { line: 11, code: "invalid_json", message: "the line is not a JSON object" },
    ]);
    expect(progress).toEqual(["1000/2500 sent\n", "2000/2500 sent\n", "2500/2500 sent\n"]);
    const printed = formatSummary(summary);
    expect(printed).toContain("imported: 2400, replaced: 99, errors: 2");
    expect(printed).toContain("line 8: tenant_required");
    for (const text of [printed, ...progress]) expect(text).not.toContain("secret-access");
  });

  it("should draw a progress bar on a terminal", async () => {
    const progress: string[] = [];
    await importFile({
      text: line(9000),
      url,
      token: TOKEN,
      progress: { write: (s: string) => progress.push(s), isTTY: true },
    });
    expect(progress.join("")).toMatch(/^\r\[#{30}\] 1\/1\n$/);
  });

  it("should stop at a token the worker refuses", async () => {
    await expect(importFile({ text: line(1), url, token: "wrong", progress: { write: () => true } })).rejects.toThrow(
      /401/,
    );
  });

  it("should take the file and --url from argv, and nothing that could be the token", () => {
    expect(parseArgs(["conns.jsonl", "--url", "https://w.example"])).toEqual({
      file: "conns.jsonl",
      url: "https://w.example",
    });
    expect(parseArgs(["conns.jsonl"])).toBeNull();
  });

  it("should cut a batch early when its bytes would pass the body limit", () => {
    const big = Array.from({ length: 10 }, () => ({ bytes: 1024 * 1024 }));
    expect(batches(big).map((b) => b.length)).toEqual([6, 4]);
  });
});

describe("npm run connections:from-nango", () => {
  const fixture = (name: string): unknown =>
    JSON.parse(readFileSync(new URL(`../fixtures/nango/${name}`, import.meta.url), "utf8"));

  it("should turn Nango's connections into import lines, naming what it leaves out", () => {
    const { lines, skipped } = convert(
      nangoConnections(fixture("connections.json")),
      fixture("workspace-map.json") as Record<string, string>,
    );
    expect(lines).toEqual([
      {
        workspace_id: "ws-acme",
        integration: "Xero",
        access_token: "nango-fixture-xero-access-token",
        refresh_token: "nango-fixture-xero-refresh-token",
        expires_at: "2025-06-01T10:42:44.000Z",
        scopes: "openid profile email accounting.reports.read accounting.settings.read offline_access",
      },
      {
        workspace_id: "ws-globex",
        integration: "QuickBooks",
        tenant_id: "9341452149718376",
        access_token: "nango-fixture-quickbooks-access-token",
        refresh_token: "nango-fixture-quickbooks-refresh-token",
        expires_at: "2025-06-01T10:00:00.000Z",
        scopes: "com.intuit.quickbooks.accounting",
      },
      {
        workspace_id: "ws-initech",
        integration: "Gusto",
        access_token: "nango-fixture-gusto-access-token",
        refresh_token: "nango-fixture-gusto-refresh-token",
        expires_at: "2025-06-01T10:30:00.000Z",
      },
    ]);
    expect(skipped).toEqual([
      { connectionId: "initech", reason: "credentials.type is BASIC, not OAUTH2" },
      { connectionId: "unmapped-customer", reason: "no workspace in --workspace-map" },
    ]);
    expect(JSON.stringify(skipped)).not.toContain("nango-fixture");
  });

  it("should read one connection or {connections}, and take --integration-map over the built-in names", () => {
    const [first] = nangoConnections(fixture("connections.json"));
    expect(nangoConnections(first)).toHaveLength(1);
    expect(nangoConnections({ connections: [first, first] })).toHaveLength(2);
    const renamed = { ...first, provider: "xero-custom", provider_config_key: "xero-eu" };
    expect(convert([renamed], { "acme-ltd": "ws-acme" }).skipped[0]?.reason).toMatch(/no counterpart/);
    expect(convert([renamed], { "acme-ltd": "ws-acme" }, { "xero-eu": "Xero" }).lines[0]?.integration).toBe("Xero");
  });
});
