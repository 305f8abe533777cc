// Bundle weight and startup CPU of the worker against a hello-world Hono worker, in the same run:
// `wrangler deploy --dry-run` for the upload size, `wrangler check startup` (median of several
// runs, interleaved so both see the same machine load) for startup CPU. Writes bench/results/weight.json.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const ROOT = new URL("..", import.meta.url).pathname;
const RUNS = Number(process.env.STARTUP_RUNS ?? 9);
const env = {
  ...process.env,
  CI: "true",
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  NO_COLOR: "1",
};

const workers = { service: join(ROOT, "wrangler.toml"), "hello-world": join(ROOT, "bench/hello-world/wrangler.toml") };

function wrangler(args: string[]): string {
  return execFileSync("npx", ["wrangler", ...args], {
    cwd: ROOT,
    env,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/**
 * The whole upload, and the main module alone (gzip): what every isolate evaluates at startup. The
 * other modules (the MCP SDK's, wrangler.toml [[rules]]) load on first use; they sit in subfolders.
 */
function bundle(config: string): { kib: number; gzipKib: number; mainGzipKib: number } {
  const out = mkdtempSync(join(tmpdir(), "zebbra-bundle-"));
  try {
    const text = wrangler(["deploy", "--dry-run", "--config", config, "--outdir", out]);
    const m = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(text);
    if (!m) throw new Error(`no upload size in:\n${text}`);
    const main = readdirSync(out).filter((f) => f.endsWith(".js"));
    if (main.length !== 1) throw new Error(`not one main module in ${out}: ${main.join(", ")}`);
    const mainGzipKib = Number((gzipSync(readFileSync(join(out, main[0]!))).length / 1024).toFixed(2));
    return { kib: Number(m[1]), gzipKib: Number(m[2]), mainGzipKib };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * One startup: wrangler's "Active" figure, and the time the profile's samples spent inside the
 * worker's own script (module evaluation; wrangler's figure also counts compile and runtime work,
 * which one ~1 ms sample interval makes noisy).
 */
function startup(config: string): { activeMs: number; scriptMs: number } {
  const out = mkdtempSync(join(tmpdir(), "zebbra-startup-"));
  try {
    const file = join(out, "profile.cpuprofile");
    const text = wrangler(["check", "startup", "--config", config, "--outfile", file]);
    const m = /Active: ([\d.]+) ms/.exec(text);
    if (!m) throw new Error(`no startup figure in:\n${text}`);
    const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
    const inScript = new Set(profile.nodes.filter((n) => n.callFrame.url.endsWith("index.js")).map((n) => n.id));
    let micros = 0;
    // A sample's delta is the time since the previous sample: the sampled frame ran for the next delta.
    profile.samples.forEach((id, i) => {
      if (inScript.has(id)) micros += profile.timeDeltas[i + 1] ?? 0;
    });
    return { activeMs: Number(m[1]), scriptMs: Number((micros / 1000).toFixed(1)) };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const row = (f: {
  kib: number;
  gzipKib: number;
  mainGzipKib: number;
  startup_ms_median: number;
  script_ms_median: number;
}) =>
  [f.kib, f.gzipKib, f.mainGzipKib, f.startup_ms_median, f.script_ms_median]
    .map((v, i) => String(v).padStart([10, 8, 13, 10, 9][i]!))
    .join("  ");

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const sizes = Object.fromEntries(Object.entries(workers).map(([name, config]) => [name, bundle(config)]));
const runs: Record<string, { activeMs: number; scriptMs: number }[]> = { service: [], "hello-world": [] };
for (let i = 0; i < RUNS; i++) for (const [name, config] of Object.entries(workers)) runs[name]!.push(startup(config));

const figures = (name: string) => {
  // A run where the profiler caught no sample reports 0 ms; it says nothing about startup.
  const active = runs[name]!.map((r) => r.activeMs).filter((ms) => ms > 0);
  const script = runs[name]!.map((r) => r.scriptMs);
  return {
    ...sizes[name]!,
    startup_ms_median: median(active),
    script_ms_median: median(script),
    startup_ms: active,
    script_ms: script,
  };
};
const service = figures("service");
const helloWorld = figures("hello-world");
const RESULTS = join(ROOT, "bench/results/weight.json");
/** A baseline recorded by hand (what a change is measured against), kept from run to run. */
const before: unknown = existsSync(RESULTS)
  ? (JSON.parse(readFileSync(RESULTS, "utf8")) as { before?: unknown }).before
  : undefined;
const result = {
  ...(before === undefined ? {} : { before }),
  measured_at: new Date().toISOString(),
  runs: RUNS,
  service,
  hello_world: helloWorld,
  startup_ratio: Number((service.startup_ms_median / helloWorld.startup_ms_median).toFixed(2)),
  script_ratio: Number((service.script_ms_median / helloWorld.script_ms_median).toFixed(2)),
};

mkdirSync(join(ROOT, "bench/results"), { recursive: true });
writeFileSync(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
console.log(`
Bundle and startup (wrangler deploy --dry-run, wrangler check startup; median of ${RUNS})
worker        upload KiB  gzip KiB  main gzip KiB  startup ms  script ms
service       ${row(service)}
hello-world   ${row(helloWorld)}
ratio service / hello-world: startup ${result.startup_ratio}, script ${result.script_ratio}`);
