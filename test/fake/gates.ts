// Gates: a scripted answer (`{ hold: "<gate>" }`) is parked until the test releases the gate, so a
// test orders a race by what has happened (the request is parked; the worker gave up on it) instead
// of by a delay that a loaded machine can outrun. `/_control/gates/<name>`: state, wait, release.
import { json, jsonOf } from "./http.ts";
import type { Ctx, Reply } from "./http.ts";
import type { GateState } from "./types.ts";

interface Gate {
  open: boolean;
  /** Resolvers of the requests parked here. */
  parked: Set<() => void>;
  arrived: number;
  passed: number;
  abandoned: number;
  /** Control requests waiting for the gate's counts to change. */
  watchers: Set<() => void>;
}

export type Gates = Map<string, Gate>;

export const createGates = (): Gates => new Map();

function gateOf(gates: Gates, name: string): Gate {
  let gate = gates.get(name);
  if (!gate) {
    gate = { open: false, parked: new Set(), arrived: 0, passed: 0, abandoned: 0, watchers: new Set() };
    gates.set(name, gate);
  }
  return gate;
}

const stateOf = (name: string, gate: Gate): GateState => ({
  name,
  open: gate.open,
  waiting: gate.parked.size,
  arrived: gate.arrived,
  passed: gate.passed,
  abandoned: gate.abandoned,
});

function changed(gate: Gate): void {
  for (const wake of [...gate.watchers]) wake();
}

/**
 * Parks a request at the gate until it is released, or until `signal` aborts (the client hung up:
 * counted as abandoned). An open gate lets it through at once.
 */
export function hold(gates: Gates, name: string, signal: AbortSignal): Promise<void> {
  const gate = gateOf(gates, name);
  gate.arrived++;
  if (gate.open || signal.aborted) {
    if (signal.aborted) gate.abandoned++;
    else gate.passed++;
    changed(gate);
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const leave = (abandoned: boolean) => {
      gate.parked.delete(release);
      signal.removeEventListener("abort", abort);
      if (abandoned) gate.abandoned++;
      else gate.passed++;
      changed(gate);
      resolve();
    };
    const release = () => leave(false);
    const abort = () => leave(true);
    gate.parked.add(release);
    signal.addEventListener("abort", abort, { once: true });
    changed(gate);
  });
}

/** Opens the gate: what is parked goes on, and later arrivals pass at once. */
function release(gate: Gate): void {
  gate.open = true;
  for (const go of [...gate.parked]) go();
}

interface Want {
  waiting?: number;
  abandoned?: number;
  passed?: number;
}

const met = (gate: Gate, want: Want) =>
  gate.parked.size >= (want.waiting ?? 0) &&
  gate.abandoned >= (want.abandoned ?? 0) &&
  gate.passed >= (want.passed ?? 0);

/** Resolves true once the gate's counts reach `want`, false after `timeoutMs` or when `signal` aborts. */
function until(gate: Gate, want: Want, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  if (met(gate, want)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      gate.watchers.delete(check);
      signal.removeEventListener("abort", give);
      resolve(ok);
    };
    const check = () => {
      if (met(gate, want)) done(true);
    };
    const give = () => done(false);
    const timer = setTimeout(give, timeoutMs);
    gate.watchers.add(check);
    signal.addEventListener("abort", give, { once: true });
  });
}

const count = (v: unknown): number | undefined =>
  typeof v === "number" && Number.isInteger(v) && v >= 0 ? v : undefined;

/** `GET /_control/gates/<name>`, `POST …/wait` `{ waiting?, abandoned?, passed?, timeoutMs? }`, `POST …/release`. */
export async function gateRoutes(gates: Gates, ctx: Ctx, path: string): Promise<Reply> {
  const [, name, action] = /^\/_control\/gates\/([^/]+)(?:\/(wait|release))?$/.exec(path) ?? [];
  if (!name) return json(404, { error: "not_found", message: `no route ${ctx.method} ${path}` });
  const gateName = decodeURIComponent(name);
  const gate = gateOf(gates, gateName);
  if (!action && ctx.method === "GET") return json(200, stateOf(gateName, gate));
  if (action === "release" && ctx.method === "POST") {
    release(gate);
    return json(200, stateOf(gateName, gate));
  }
  if (action === "wait" && ctx.method === "POST") {
    let body: Record<string, unknown>;
    try {
      body = (jsonOf(ctx) ?? {}) as Record<string, unknown>;
    } catch {
      return json(400, { error: "bad_request", message: "body is not JSON" });
    }
    const want: Want = {
      waiting: count(body["waiting"]),
      abandoned: count(body["abandoned"]),
      passed: count(body["passed"]),
    };
    const timeoutMs = count(body["timeoutMs"]) ?? 10_000;
    if (await until(gate, want, timeoutMs, ctx.signal)) return json(200, stateOf(gateName, gate));
    return json(408, {
      error: "gate_timeout",
      message: `gate ${gateName} did not reach ${JSON.stringify(want)} within ${timeoutMs} ms`,
      gate: stateOf(gateName, gate),
    });
  }
  return json(405, { error: "method_not_allowed" });
}
