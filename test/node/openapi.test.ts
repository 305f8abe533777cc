// /openapi.json: a deploy serves public/openapi.json, written by `npm run openapi:generate`, and its
// bundle leaves out hono-openapi (src/edge/docs.ts). The workers tests run the development build,
// which builds the document live: this checks the file against that live document, and bundles the
// worker as `wrangler deploy` does to check what a deploy carries and serves.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OPENAPI_FILE, renderOpenApiDocument } from "../../scripts/openapi-generate";
import { TEST_BINDINGS } from "../bindings";
import { OFFLINE_ENV, startDev } from "./dev-server";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
const committed = readFileSync(join(ROOT, OPENAPI_FILE), "utf8");

describe("the generated OpenAPI document", () => {
  it("should be the live app's document", async () => {
    expect(committed, `${OPENAPI_FILE} is stale: run npm run openapi:generate`).toBe(await renderOpenApiDocument());
  });
});

describe("a deploy's bundle", () => {
  let out: string;
  let upload: string;

  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), "zebbra-deploy-"));
    upload = execFileSync("npx", ["wrangler", "deploy", "--dry-run", "--outdir", out], {
      cwd: ROOT,
      // As `npm run deploy` runs it: a NODE_ENV in the environment (vitest sets "test") would be the
      // bundle's process.env.NODE_ENV.
      env: { ...process.env, ...OFFLINE_ENV, NODE_ENV: "" },
      encoding: "utf8",
    });
  }, 120_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it("should leave out hono-openapi and the JSON Schema converter, and upload the document as an asset", () => {
    const sources = (JSON.parse(readFileSync(join(out, "index.js.map"), "utf8")) as { sources: string[] }).sources;
    const left = sources.filter((s) =>
      /hono-openapi|@standard-community|quansync|json-schema-processors|src\/edge\/openapi\.ts|zod-json-schema/.test(s),
    );
    expect(left).toEqual([]);
    expect(readFileSync(join(out, "index.js"), "utf8")).not.toContain('"openapi":"3.1.0"');
    expect(upload).toMatch(/Read 1 file from the assets directory .*\/public/);
  });

  it("should carry hono's one small router (hono/tiny) and none of the others, nor the development surfaces", () => {
    // The source map lists modules esbuild shook out to nothing too: the code is what counts.
    const code = readFileSync(join(out, "index.js"), "utf8");
    const routers = [...code.matchAll(/"(\w+Router)"/g)].map((m) => m[1]);
    expect([...new Set(routers)]).toEqual(["PatternRouter"]);
    expect(code).not.toContain("Run cron now");
    expect(code).not.toContain("swagger-ui");
  });

  it("should serve public/openapi.json at /openapi.json, as it is", async () => {
    // `wrangler dev` bundles as `wrangler deploy` does when NODE_ENV says production, and serves
    // public/ as the platform would (wrangler.toml [assets]).
    const dir = mkdtempSync(join(tmpdir(), "zebbra-openapi-vars-"));
    const vars = join(dir, ".dev.vars");
    writeFileSync(
      vars,
      Object.entries(TEST_BINDINGS)
        .map(([k, v]) => `${k}=${v}\n`)
        .join(""),
    );
    const dev = await startDev({ args: ["--env-file", vars], env: { NODE_ENV: "production" } });
    try {
      // From the host app's origin: the middleware's CORS headers go onto the asset's response.
      const res = await fetch(`${dev.url}/openapi.json`, { headers: { Origin: TEST_BINDINGS.APP_ORIGIN } });
      expect(res.status).toBe(200);
      expect(res.headers.get("Access-Control-Allow-Origin")).toBe(TEST_BINDINGS.APP_ORIGIN);
      // Byte for byte the file: the live document would be JSON.stringify's one line.
      expect(await res.text()).toBe(committed);
      expect(dev.output()).toContain("env.ASSETS");
    } finally {
      await dev.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
