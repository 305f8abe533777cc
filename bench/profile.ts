// A CPU profile of one route under plain `wrangler dev`, through its devtools inspector: the route
// is loaded for PROFILE_SECONDS while the profiler samples the worker's isolate, then the functions
// holding the most self time (and the bundle modules they come from) are printed. Not a benchmark:
// the profiler slows the worker; it shows where the time goes, the benches measure how much.
//   node bench/profile.ts providers|data|health [out.cpuprofile]
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { sign } from "hono/jwt";
import { api, bearer, connectSandbox, type Dev } from "../test/node/dev-flow.ts";
import { developmentVars, exampleVars, freePort, startDev } from "../test/node/dev-server.ts";
import { load } from "./load.ts";

const route = process.argv[2] ?? "providers";
const out = process.argv[3];
const SECONDS = Number(process.env.PROFILE_SECONDS ?? 8);

/** The part of `ws` (a devDependency, untyped here) this uses: the inspector refuses Node's WebSocket. */
interface Socket {
  on(event: "message", listener: (data: unknown) => void): void;
  once(event: "open" | "error", listener: (arg?: unknown) => void): Socket;
  send(text: string): void;
  close(): void;
}
const WebSocket = createRequire(import.meta.url)("ws") as new (url: string) => Socket;

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const port = await freePort();
const inspectorPort = await freePort();
const server = await startDev({
  port,
  args: ["--env-file", developmentVars(port), "--inspector-port", String(inspectorPort), "--minify=false"],
});
try {
  const dev: Dev = { url: server.url, jwtSecret: exampleVars().AUTH_JWT_SECRET! };
  let url: string;
  let headers: Record<string, string>;
  if (route === "data") {
    const ws = "ws-profile";
    await connectSandbox(dev, ws, "Sandbox");
    headers = { Authorization: `Bearer ${await bearer(dev, { [ws]: "member" })}` };
    url = `${dev.url}/integration/data?workspace_id=${ws}&integration=Sandbox&from_date=2024-01-01`;
    const first = await api(dev, url.slice(dev.url.length), { bearer: headers.Authorization!.slice(7) });
    if (first.status !== 200) throw new Error(`the first read answered ${first.status}`);
  } else {
    const now = Math.floor(Date.now() / 1000);
    const jwt = await sign({ sub: "p", iat: now, exp: now + 3600, workspaces: { "ws-p": "member" } }, dev.jwtSecret);
    headers = { Authorization: `Bearer ${jwt}` };
    url = route === "health" ? `${dev.url}/health` : `${dev.url}/integration/providers?workspace_id=ws-p`;
  }
  await fetch(url, { headers });

  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as {
    webSocketDebuggerUrl: string;
  }[];
  const socket = new WebSocket(targets[0]!.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
  let next = 1;
  const pending = new Map<number, (result: unknown) => void>();
  socket.on("message", (data) => {
    const msg = JSON.parse(String(data)) as { id?: number; result?: unknown };
    if (msg.id !== undefined) pending.get(msg.id)?.(msg.result);
  });
  const send = <T>(method: string, params: object = {}) =>
    new Promise<T>((resolve) => {
      const id = next++;
      pending.set(id, resolve as (r: unknown) => void);
      socket.send(JSON.stringify({ id, method, params }));
    });
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: 100 });
  await send("Profiler.start");
  const result = await load(url, { seconds: SECONDS, connections: 4, headers });
  const { profile } = await send<{ profile: Profile }>("Profiler.stop");
  socket.close();
  if (out) writeFileSync(out, JSON.stringify(profile));

  // The dev bundle (unminified) names each module in a `// path` comment before its code.
  const tmp = join(new URL("..", import.meta.url).pathname, ".wrangler/tmp");
  const bundleDir = readdirSync(tmp).find((d) => d.startsWith("dev-"));
  const lines = bundleDir ? readFileSync(join(tmp, bundleDir, "index.js"), "utf8").split("\n") : [];
  const moduleAt: string[] = [];
  let current = "?";
  lines.forEach((line, i) => {
    const m = /^\/\/ ((?:src|node_modules|\.\.\/)\S+)$/.exec(line);
    if (m) current = m[1]!.replace(/^.*node_modules\//, "");
    moduleAt[i] = current;
  });
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const perModule = new Map<string, number>();
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id)!;
    const micros = profile.timeDeltas[i + 1] ?? 0;
    total += micros;
    const { functionName, url: file, lineNumber } = node.callFrame;
    const where = file.endsWith("index.js") ? (moduleAt[lineNumber] ?? "?") : file || "(runtime)";
    perModule.set(where, (perModule.get(where) ?? 0) + micros);
    const key = `${functionName || "(anonymous)"} ${where}:${lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + micros);
  });
  console.log(`${route}: ${result.requests} requests, ${result.rps} req/s under the profiler`);
  console.log(`self time per request (µs), of ${(total / result.requests).toFixed(0)} µs sampled per request:`);
  for (const [key, micros] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 40))
    console.log(`${(micros / result.requests).toFixed(1).padStart(8)}  ${key}`);
  console.log("\nself time per request (µs) by module:");
  for (const [key, micros] of [...perModule].sort((a, b) => b[1] - a[1]).slice(0, 25))
    console.log(`${(micros / result.requests).toFixed(1).padStart(8)}  ${key}`);
} finally {
  await server.stop();
}
