// A loopback load generator: `connections` concurrent request loops against one URL for a fixed
// time, on Node's fetch (keep-alive). Reports throughput and latency percentiles.

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
