// A cached read, GET /integration/data for a warm key, under plain `wrangler dev` with the loopback
// load generator at 1 and LOAD_CONNECTIONS (16) connections: Sandbox connected through the dev flow
// and fetched once, then only cache hits.
// Writes bench/results/cached-read.json; `CACHED_READ_AS=before` records the figures as the baseline
// (measured once on the commit before payloads moved to Durable Object storage), otherwise as `after`.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { api, bearer, connectSandbox, type Dev } from "../test/node/dev-flow.ts";
import { developmentVars, exampleVars, freePort, startDev } from "../test/node/dev-server.ts";
import { loadWithCpu } from "./load.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const OUT = join(ROOT, "bench/results/cached-read.json");
const SECONDS = Number(process.env.LOAD_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.LOAD_CONNECTIONS ?? 16);
// Another name (letters and underscores) records a further baseline beside them.
const label = /^[a-z_]+$/.test(process.env.CACHED_READ_AS ?? "") ? process.env.CACHED_READ_AS! : "after";

const port = await freePort();
const server = await startDev({ port, args: ["--env-file", developmentVars(port)] });
try {
  const dev: Dev = { url: server.url, jwtSecret: exampleVars().AUTH_JWT_SECRET! };
  const ws = "ws-bench-cached";
  await connectSandbox(dev, ws, "Sandbox");
  const jwt = await bearer(dev, { [ws]: "member" });
  const path = `/integration/data?workspace_id=${ws}&integration=Sandbox&from_date=2024-01-01`;
  // The first read fetches the key from the sandbox; every later one is a cache hit.
  const first = await api<{ fetched_at: string }>(dev, path, { bearer: jwt });
  if (first.status !== 200) throw new Error(`the first read answered ${first.status}`);
  const body = await (await fetch(`${dev.url}${path}`, { headers: { Authorization: `Bearer ${jwt}` } })).text();
  const hit = JSON.parse(body) as { fetched_at: string };
  if (hit.fetched_at !== first.body.fetched_at) throw new Error("the second read was not served from the cache");

  // One connection: the read's own latency; CONNECTIONS: under load. /health alongside each, as a
  // control: the machine is shared, so a slow run shows up in both.
  const headers = { Authorization: `Bearer ${jwt}` };
  const run = async (connections: number) => {
    const data = await loadWithCpu(`${dev.url}${path}`, ROOT, { seconds: SECONDS, connections, headers });
    const health = await loadWithCpu(`${dev.url}/health`, ROOT, { seconds: SECONDS, connections });
    return {
      connections,
      data,
      health,
      p50_ratio: Number((data.p50_ms / health.p50_ms).toFixed(2)),
      cpu_ratio:
        data.cpu_us_per_request && health.cpu_us_per_request
          ? Number((data.cpu_us_per_request / health.cpu_us_per_request).toFixed(2))
          : null,
    };
  };
  const runs = [await run(1), await run(CONNECTIONS)];
  const previous = existsSync(OUT) ? (JSON.parse(readFileSync(OUT, "utf8")) as Record<string, unknown>) : {};
  const result = {
    ...previous,
    route: "GET /integration/data (Sandbox, warm key)",
    seconds: SECONDS,
    response_bytes: body.length,
    [label]: {
      commit: execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim(),
      measured_at: new Date().toISOString(),
      runs,
    },
  };
  mkdirSync(join(ROOT, "bench/results"), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
  const row = (name: string, r: (typeof runs)[number]["data"]) =>
    `${name.padEnd(22)}${[r.rps, r.p50_ms, r.p99_ms, r.errors].map((v, i) => String(v).padStart([8, 8, 8, 7][i]!)).join(" ")}`;
  console.log(
    [
      `\nCached read under wrangler dev (${SECONDS} s per figure), recorded as "${label}"`,
      `${"route".padEnd(22)}   req/s   p50 ms   p99 ms  errors`,
      ...runs.flatMap((r) => [
        `${r.connections} connection(s)`,
        row("GET /integration/data", r.data),
        row("GET /health (control)", r.health),
        `p50 data / health: ${r.p50_ratio}; worker CPU per request data / health: ${r.cpu_ratio}`,
      ]),
    ].join("\n"),
  );
} finally {
  await server.stop();
}
