// `npm run openapi:generate`: writes public/openapi.json, the OpenAPI document a deploy serves at
// /openapi.json as a static asset (a deploy's bundle leaves out hono-openapi, which builds it: see
// src/edge/docs.ts). It is the live app's document for a production deployment's routes: no
// development-only provider, no /docs. `--check` writes nothing and exits 1 when the file is stale;
// so does test/node/openapi.test.ts. Runs under tsx (it imports the worker's TypeScript).
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createApp } from "../src/edge/app";
import { liveDocument } from "../src/edge/openapi";

export const OPENAPI_FILE = "public/openapi.json";

/** The routes a production deployment mounts: ENVIRONMENT is not development. */
const PRODUCTION_ENV = { ENVIRONMENT: "production" } as Partial<Env> as Env;

/** The document as the file holds it: two-space JSON and a final newline. */
export async function renderOpenApiDocument(): Promise<string> {
  return `${JSON.stringify(await liveDocument(createApp(PRODUCTION_ENV)), null, 2)}\n`;
}

async function main(check: boolean): Promise<number> {
  const file = join(dirname(fileURLToPath(import.meta.url)), "..", OPENAPI_FILE);
  const rendered = await renderOpenApiDocument();
  if (!check) {
    writeFileSync(file, rendered);
    console.log(`wrote ${OPENAPI_FILE}`);
    return 0;
  }
  if (readFileSync(file, "utf8") === rendered) return 0;
  console.error(`${OPENAPI_FILE} is stale: run npm run openapi:generate`);
  return 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  process.exitCode = await main(process.argv.includes("--check"));
}
