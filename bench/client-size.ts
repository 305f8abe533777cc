// The host-app client's weight in a browser bundle: the connect helper alone (what a page that only
// connects ships), the package's entry as published (hono/client, a peer dependency, left out) and
// with hono/client bundled (what createClient costs a page), each minified by esbuild and gzipped. The connect helper's budget is 3 KiB min+gzip: past it, this fails.
// Writes bench/results/client.json.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const ROOT = new URL("..", import.meta.url).pathname;
const BUDGET_GZIP_BYTES = 3 * 1024;

async function weigh(entry: string, external = ["hono", "hono/*"]): Promise<{ min_bytes: number; gzip_bytes: number }> {
  const result = await build({
    entryPoints: [join(ROOT, entry)],
    bundle: true,
    format: "esm",
    target: "es2022",
    minify: true,
    external,
    write: false,
    logLevel: "silent",
  });
  const js = result.outputFiles[0]?.contents;
  if (!js) throw new Error(`esbuild wrote nothing for ${entry}`);
  return { min_bytes: js.byteLength, gzip_bytes: gzipSync(js, { level: 9 }).byteLength };
}

const connect = await weigh("client/src/connect.ts");
const entry = await weigh("client/src/index.ts");
const withHono = await weigh("client/src/index.ts", []);
const result = {
  measured_at: new Date().toISOString(),
  budget_gzip_bytes: BUDGET_GZIP_BYTES,
  connect,
  entry,
  entry_with_hono_client: withHono,
};
mkdirSync(join(ROOT, "bench/results"), { recursive: true });
writeFileSync(join(ROOT, "bench/results/client.json"), `${JSON.stringify(result, null, 2)}\n`);

const kib = (bytes: number) => (bytes / 1024).toFixed(2);
const rows: [string, { min_bytes: number; gzip_bytes: number }][] = [
  ["connect helper (client/src/connect)", connect],
  ["package entry, hono external", entry],
  ["package entry with hono/client", withHono],
];
console.log(`${"client (esbuild --minify, gzip -9)".padEnd(36)}  min KiB  gzip KiB`);
for (const [label, w] of rows)
  console.log(`${label.padEnd(36)}  ${kib(w.min_bytes).padStart(7)}  ${kib(w.gzip_bytes).padStart(8)}`);
if (connect.gzip_bytes > BUDGET_GZIP_BYTES) {
  console.error(`the connect helper is ${kib(connect.gzip_bytes)} KiB min+gzip, over its 3 KiB budget`);
  process.exitCode = 1;
}
