// `npm run build:client`: client/dist/, the package client/package.json publishes. esbuild bundles
// client/src/index.ts into one minified ES module (hono, a peer dependency, stays an import); tsc
// emits the declarations. The program it checks reaches the worker's sources through AppType, so
// tsc writes theirs too: only the client's are kept, and they must not point back into the worker.
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";

const ROOT = new URL("..", import.meta.url).pathname;
const DIST = join(ROOT, "client/dist");

rmSync(DIST, { recursive: true, force: true });
await build({
  entryPoints: [join(ROOT, "client/src/index.ts")],
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: true,
  external: ["hono", "hono/*"],
  outfile: join(DIST, "index.js"),
  logLevel: "warning",
});

const out = mkdtempSync(join(tmpdir(), "zebbra-client-types-"));
try {
  execFileSync(
    "npx",
    ["tsc", "-p", "client/tsconfig.json", "--declaration", "--emitDeclarationOnly", "--outDir", out],
    { cwd: ROOT, stdio: "inherit" },
  );
  const types = join(out, "client/src");
  for (const file of readdirSync(types)) {
    if (/(from |import\()["'](\.\.\/)+src\//.test(readFileSync(join(types, file), "utf8")))
      throw new Error(`client/dist/${file} refers to the worker's sources: a consumer could not resolve it`);
    cpSync(join(types, file), join(DIST, file));
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
console.log(`wrote ${DIST}: ${readdirSync(DIST).join(", ")}`);
