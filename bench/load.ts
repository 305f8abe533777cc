// A loopback load generator: `connections` concurrent request loops against one URL for a fixed
// time, on Node's fetch (keep-alive). Reports throughput and latency percentiles.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { resolve } from "node:path";

export interface LoadResult {
  requests: number;
  errors: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
}

export interface LoadOptions {
  connections?: number;
  seconds?: number;
  headers?: Record<string, string>;
  /** The status every response must have; anything else counts as an error. */
  expectStatus?: number;
}

export async function load(url: string, options: LoadOptions = {}): Promise<LoadResult> {
  const { connections = 16, seconds = 5, headers = {}, expectStatus = 200 } = options;
  const latencies: number[] = [];
  let errors = 0;
  const until = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < until) {
        const t0 = performance.now();
        try {
          const res = await fetch(url, { headers });
          await res.arrayBuffer();
          if (res.status === expectStatus) latencies.push(performance.now() - t0);
          else errors++;
        } catch {
          errors++;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    Number((latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN).toFixed(2));
  return {
    requests: latencies.length,
    errors,
    rps: Number((latencies.length / elapsed).toFixed(1)),
    p50_ms: at(0.5),
    p99_ms: at(0.99),
  };
}

/**
 * CPU seconds used so far by the workerd processes running in `cwd` (wrangler dev's, not another
 * checkout's): per request, a figure that a machine shared with other work disturbs far less than
 * requests per second. Linux only; 0 elsewhere.
 */
export function workerdCpuSeconds(cwd: string): number {
  let ticks = 0;
  let pids: string[] = [];
  try {
    pids = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return 0;
  }
  for (const pid of pids) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("workerd")) continue;
      if (resolve(readlinkSync(`/proc/${pid}/cwd`)) !== resolve(cwd)) continue;
      // utime and stime, fields 14 and 15 of stat, counted after the command name's closing parenthesis.
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // exited meanwhile
    }
  }
  // Linux's USER_HZ.
  return ticks / 100;
}

/** `load`, plus the worker's CPU per request (µs) over the run. */
export async function loadWithCpu(url: string, cwd: string, options: LoadOptions = {}) {
  const before = workerdCpuSeconds(cwd);
  const result = await load(url, options);
  const cpu = workerdCpuSeconds(cwd) - before;
  return { ...result, cpu_us_per_request: result.requests > 0 ? Math.round((cpu / result.requests) * 1e6) : null };
}
