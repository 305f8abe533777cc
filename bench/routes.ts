// GET /integration/providers (JWT check, D1 read, registry) against GET /health (nothing) under
// plain `wrangler dev`, with a loopback load generator. Writes bench/results/routes.json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sign } from "hono/jwt";
import { startDev } from "../test/node/dev-server.ts";
import { loadWithCpu } from "./load.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const SECONDS = Number(process.env.LOAD_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.LOAD_CONNECTIONS ?? 16);

// Secrets for this run only, from a file (never on a command line).
const dir = mkdtempSync(join(tmpdir(), "zebbra-bench-"));
const jwtSecret = `bench-${crypto.randomUUID()}`;
const envFile = join(dir, "bench.env");
const key = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64");
// Production-like: the settings a safe deploy needs (docs/configuration.md), no ENVIRONMENT.
const issuer = "https://app.example.test";
const audience = "zebbra-integrations";
writeFileSync(
  envFile,
  `AUTH_JWT_SECRET=${jwtSecret}\nTOKEN_ENCRYPTION_KEY=bench:${key}\nAUTH_JWT_ISSUER=${issuer}\nAUTH_JWT_AUDIENCE=${audience}\nAPP_ORIGIN=${issuer}\n`,
);

const dev = await startDev({ args: ["--env-file", envFile] });
try {
  const bearer = await sign(
    {
      sub: "bench",
      iat: Math.floor(Date.now() / 1000),
      exp: Math.floor(Date.now() / 1000) + 3600,
      iss: issuer,
      aud: audience,
      workspaces: { "ws-bench": "member" },
    },
    jwtSecret,
    "HS256",
  );
  const providers = `${dev.url}/integration/providers?workspace_id=ws-bench`;
  // Warm up: the first request loads the HTTP app.
  for (const url of [`${dev.url}/health`, providers])
    await fetch(url, { headers: { Authorization: `Bearer ${bearer}` } });

  const trivial = await loadWithCpu(`${dev.url}/health`, ROOT, { seconds: SECONDS, connections: CONNECTIONS });
  const listing = await loadWithCpu(providers, ROOT, {
    seconds: SECONDS,
    connections: CONNECTIONS,
    headers: { Authorization: `Bearer ${bearer}` },
  });
  const result = {
    measured_at: new Date().toISOString(),
    seconds: SECONDS,
    connections: CONNECTIONS,
    health: trivial,
    providers: listing,
    rps_ratio: Number((listing.rps / trivial.rps).toFixed(2)),
    // The rps ratio the worker's own CPU allows (health's CPU per request over the listing's): what
    // rps_ratio tends to when nothing else competes for the machine.
    cpu_ratio:
      trivial.cpu_us_per_request && listing.cpu_us_per_request
        ? Number((trivial.cpu_us_per_request / listing.cpu_us_per_request).toFixed(2))
        : null,
  };
  mkdirSync(join(ROOT, "bench/results"), { recursive: true });
  writeFileSync(join(ROOT, "bench/results/routes.json"), `${JSON.stringify(result, null, 2)}\n`);
  console.log(`
Routes under wrangler dev (${CONNECTIONS} connections, ${SECONDS} s each)
route                      req/s   p50 ms   p99 ms  errors
GET /health             ${[trivial.rps, trivial.p50_ms, trivial.p99_ms, trivial.errors].map((v, i) => String(v).padStart([8, 8, 8, 7][i]!)).join(" ")}
GET /integration/providers ${[listing.rps, listing.p50_ms, listing.p99_ms, listing.errors].map((v, i) => String(v).padStart([5, 8, 8, 7][i]!)).join(" ")}
ratio providers / health: ${result.rps_ratio} (by the worker's CPU per request: ${result.cpu_ratio})`);
} finally {
  await dev.stop();
  rmSync(dir, { recursive: true, force: true });
}
