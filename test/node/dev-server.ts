// Runs the worker under plain `wrangler dev` (local D1, KV, Durable Objects, Queues) for Node-side
// tests and benchmarks: its own state directory, secrets only from a .env-style file (never on the
// command line), stopped by process group.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEnv } from "node:util";

const ROOT = new URL("../..", import.meta.url).pathname;

export const OFFLINE_ENV = {
  CI: "true",
  NO_COLOR: "1",
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
};

export interface DevServer {
  url: string;
  /** Everything wrangler printed so far. */
  output: () => string;
  stop: () => Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

export interface DevOptions {
  /** The directory wrangler runs in (default: the repository); its .dev.vars is what wrangler reads. */
  cwd?: string;
  /** Extra `wrangler dev` arguments. */
  args?: string[];
  /** Environment for the wrangler process (merged over this process's). */
  env?: Record<string, string>;
  timeoutMs?: number;
  /** The port to listen on (default: a free one). */
  port?: number;
  /** The path that must answer 2xx before the server counts as ready; null: any answer will do. */
  readyPath?: string | null;
}

/** Applies the D1 migrations to a fresh state directory, then starts `wrangler dev` on a free port. */
export async function startDev(options: DevOptions = {}): Promise<DevServer> {
  const cwd = options.cwd ?? ROOT;
  const state = mkdtempSync(join(tmpdir(), "zebbra-dev-state-"));
  const env = { ...process.env, ...OFFLINE_ENV, ...options.env };
  const migrate = spawnSync("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local", "--persist-to", state], {
    cwd,
    env,
    encoding: "utf8",
  });
  if (migrate.status !== 0) throw new Error(`migrations failed:\n${migrate.stdout}${migrate.stderr}`);

  const port = options.port ?? (await freePort());
  const child: ChildProcess = spawn(
    "npx",
    ["wrangler", "dev", "--ip", "127.0.0.1", "--port", String(port), "--persist-to", state, ...(options.args ?? [])],
    {
      cwd,
      env,
      detached: true, // its own process group, so stop() ends wrangler and workerd together
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));

  const stop = async () => {
    if (child.exitCode === null && child.pid) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // already gone
      }
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
    }
    rmSync(state, { recursive: true, force: true });
  };

  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`wrangler dev exited with ${child.exitCode}:\n${output}`);
    }
    if (/Ready on/.test(output)) {
      try {
        const readyPath = options.readyPath === undefined ? "/health" : options.readyPath;
        const res = await fetch(`${url}${readyPath ?? "/health"}`);
        if (res.ok || readyPath === null) return { url, output: () => output, stop };
      } catch {
        // not listening yet
      }
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`wrangler dev did not get ready within ${options.timeoutMs ?? 60_000} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * A .env-style file for `wrangler dev --env-file`: .dev.vars.example (ENVIRONMENT=development, the
 * sandbox's apps) with APP_ORIGIN and `extra` pointed at `port`. The sandbox needs nothing: its
 * endpoints follow the origin the worker is served at. Returns its path.
 */
export function developmentVars(port: number, extra: Record<string, string> = {}): string {
  const vars: Record<string, string> = { APP_ORIGIN: `http://127.0.0.1:${port}`, ...extra };
  const dir = mkdtempSync(join(tmpdir(), "zebbra-dev-vars-"));
  const path = join(dir, ".dev.vars");
  const example = readFileSync(join(ROOT, ".dev.vars.example"), "utf8");
  writeFileSync(
    path,
    `${example}
${Object.entries(vars)
  .map(([k, v]) => `${k}=${v}`)
  .join("\n")}\n`,
  );
  return path;
}

/** The values of .dev.vars.example, e.g. the local AUTH_JWT_SECRET. */
export function exampleVars(): Record<string, string | undefined> {
  return parseEnv(readFileSync(join(ROOT, ".dev.vars.example"), "utf8"));
}
