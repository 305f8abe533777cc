// The fault-injection soak (`npm run soak`, docs/soak.md): plain `wrangler dev` (local D1, KV, Durable
// Objects, Queues) with Xero, Gusto and QuickBooks played by the fake providers (test/fake/), which
// answer 5xx, 429, timeouts, dropped connections, slow answers and `invalid_grant` on a few grants,
// over SOAK_WORKSPACES (200) workspaces for SOAK_MINUTES (10) of cron ticks every SOAK_TICK_SECONDS
// (60), reads (`GET /integration/data`, `/integration/status`, manual fetches) at SOAK_READS_PER_SECOND
// (8), and some disconnects, reconnects and confirms. Access tokens live 60–120 s, so every grant is
// refreshed many times. Webhooks go to the fake's receiver, which fails a few deliveries.
//
// Prints and writes bench/results/soak.json (SOAK_OUT to write elsewhere): connections wrongly marked
// for reconnect, refresh requests per expiry, reads answered 5xx (500s apart: bugs), data served after
// a disconnect, webhooks lost, and D1 and queue calls per hour (counted by bench/soak/worker.ts, the
// service's own worker with its bindings wrapped in counters). Every loop is bounded by count and
// time; all traffic stays on 127.0.0.1. Not part of `npm test`.
import { execFileSync } from "node:child_process";
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeServer } from "../test/fake/server.ts";
import type { Grant as FakeGrant } from "../test/fake/store.ts";
import type { ScriptedResponse } from "../test/fake/types.ts";
import { mulberry32 } from "../test/mulberry32.ts";
import { bearer, confirm, consentTo, type Dev, runCron } from "../test/node/dev-flow.ts";
import { developmentVars, exampleVars, freePort, startDev } from "../test/node/dev-server.ts";
import { printTable, quantile } from "./report.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const setting = (name: string, fallback: number, min: number, max: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value < min || value > max) throw new Error(`${name} must be ${min}..${max}`);
  return value;
};
const MINUTES = setting("SOAK_MINUTES", 10, 0.5, 240);
const WORKSPACES = Math.round(setting("SOAK_WORKSPACES", 200, 3, 5000));
// 60 s: locally one fetch batch runs at a time and lasts as long as its slowest fetch, so a tick's
// work (with its faults) takes 30–40 s here; shorter ticks pile work up behind each other.
const TICK_S = setting("SOAK_TICK_SECONDS", 60, 5, 3600);
const READS_PER_S = setting("SOAK_READS_PER_SECOND", 8, 0.1, 200);
const DRAIN_S = setting("SOAK_DRAIN_SECONDS", 240, 0, 1800);
const SEED = Math.round(setting("SOAK_SEED", 1, 0, 2 ** 31));
const OUT = process.env.SOAK_OUT ?? join(ROOT, "bench/results/soak.json");
/** head: the last commit's worker; worktree: the working tree's src/, migrations/ and wrangler.toml. */
const SOURCE = process.env.SOAK_SOURCE === "worktree" ? "worktree" : "head";

/** The worker's settings for the soak (on top of .dev.vars.example). */
const TOKEN_REFRESH_TIMEOUT_MS = 4000;
const WEBHOOK_TIMEOUT_MS = 2000;
const LIFETIME_S = [60, 120] as const;
/** Data older than half a tick is due: every tick refetches every warm key. */
const CACHE_REFRESH_AFTER_MS = Math.round((TICK_S * 1000) / 2);

// ---------------------------------------------------------------------------------------------------
// Small helpers

// The soak's one source of chance, so a run is repeatable with the same SOAK_SEED.
const random = mulberry32(SEED);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const bump = (table: Record<string, number>, key: string, by = 1) => (table[key] = (table[key] ?? 0) + by);
const sorted = (table: Record<string, number>) =>
  Object.fromEntries(Object.entries(table).sort(([a], [b]) => a.localeCompare(b)));

/** At most `limit` of `items` at a time through `run`. */
async function pool<T>(items: readonly T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await run(items[next++]!);
    }),
  );
}

// ---------------------------------------------------------------------------------------------------
// The providers, the fake and the worker

type Integration = "Xero" | "Gusto" | "QuickBooks";
const PROVIDERS: { name: Integration; key: "xero" | "gusto" | "quickbooks"; env: Record<string, string> }[] = [
  {
    name: "Xero",
    key: "xero",
    env: {
      CLIENT_ID: "xero-client",
      CLIENT_SECRET: "xero-secret",
      AUTHORIZE_URL: "/xero/authorize",
      TOKEN_URL: "/xero/token",
      REVOKE_URL: "/xero/revoke",
      API_BASE_URL: "/xero/api",
    },
  },
  {
    name: "Gusto",
    key: "gusto",
    env: {
      CLIENT_ID: "gusto-client",
      CLIENT_SECRET: "gusto-secret",
      AUTHORIZE_URL: "/gusto/oauth/authorize",
      TOKEN_URL: "/gusto/oauth/token",
      REVOKE_URL: "/gusto/oauth/revoke",
      API_BASE_URL: "/gusto/api",
    },
  },
  {
    name: "QuickBooks",
    key: "quickbooks",
    env: {
      CLIENT_ID: "quickbooks-client",
      CLIENT_SECRET: "quickbooks-secret",
      AUTHORIZE_URL: "/quickbooks/oauth2",
      TOKEN_URL: "/quickbooks/oauth2/v1/tokens/bearer",
      REVOKE_URL: "/quickbooks/oauth2/v1/tokens/revoke",
      API_BASE_URL: "/quickbooks/api",
    },
  },
];

/**
 * A copy of the worker to run: `wrangler dev` rebuilds and restarts the worker (and every Durable
 * Object) whenever a file it bundles changes, so a soak over a tree someone is editing would measure
 * restarts. The last commit (or the working tree's worker, SOAK_SOURCE=worktree), with this soak's
 * entry point and the repository's node_modules.
 */
function snapshot(): string {
  const dir = mkdtempSync(join(tmpdir(), "zebbra-soak-src-"));
  const archive = execFileSync("git", ["archive", "--format=tar", "HEAD"], { cwd: ROOT, maxBuffer: 1 << 30 });
  execFileSync("tar", ["-x", "-C", dir], { input: archive });
  if (SOURCE === "worktree")
    for (const path of ["src", "migrations", "wrangler.toml"])
      cpSync(join(ROOT, path), join(dir, path), { recursive: true, force: true });
  mkdirSync(join(dir, "bench/soak"), { recursive: true });
  copyFileSync(join(ROOT, "bench/soak/worker.ts"), join(dir, "bench/soak/worker.ts"));
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  return dir;
}
const workerDir = snapshot();
const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();

const fake = await startFakeServer();
const port = await freePort();
const workerVars: Record<string, string> = {
  WEBHOOK_URL: `${fake.origin}/webhooks/receive`,
  WEBHOOK_SECRET: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  WEBHOOK_TIMEOUT_MS: String(WEBHOOK_TIMEOUT_MS),
  CACHE_REFRESH_AFTER_MS: String(CACHE_REFRESH_AFTER_MS),
  TOKEN_REFRESH_TIMEOUT_MS: String(TOKEN_REFRESH_TIMEOUT_MS),
};
for (const p of PROVIDERS)
  for (const [k, v] of Object.entries(p.env))
    workerVars[`${p.name.toUpperCase()}_${k}`] = v.startsWith("/") ? `${fake.origin}${v}` : v;
const server = await startDev({
  cwd: workerDir,
  port,
  args: ["bench/soak/worker.ts", "--env-file", developmentVars(port, workerVars)],
  timeoutMs: 120_000,
});
const dev: Dev = { url: server.url, jwtSecret: exampleVars().AUTH_JWT_SECRET! };
const control = async <T>(path: string, init?: { method: string; body?: unknown }): Promise<T> => {
  const res = await fetch(`${fake.origin}/_control${path}`, {
    method: init?.method ?? "GET",
    ...(init?.body === undefined
      ? {}
      : { body: JSON.stringify(init.body), headers: { "Content-Type": "application/json" } }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`fake control ${path} answered ${res.status}: ${text}`);
  return (text ? JSON.parse(text) : null) as T;
};

// ---------------------------------------------------------------------------------------------------
// What the soak knows about each connection and grant

interface SoakGrant {
  id: string;
  /** When the confirm that made it the connection's grant answered. */
  since: number;
  lifetimeS: number;
  /** When and how the fake was told to answer its refreshes invalid_grant. */
  invalidGrant: { at: number; mode: "revoked" | "scripted" } | null;
  /** When a disconnect or a replacing confirm dropped it (the service revokes it). */
  droppedAt: number | null;
  /** When a status read first showed the connection needing a reconnect under this grant. */
  reconnectSeenAt: number | null;
  /** Token-endpoint answers appended to its script, in order; `failing` ones issue no token. */
  tokenScripts: { kind: string; failing: boolean }[];
  /** How many of them the fake had used when the soak ended (it uses them first in, first out). */
  tokenScriptsUsed: number;
  apiFaults: Record<string, number>;
}

interface Conn {
  ws: string;
  integration: Integration;
  provider: (typeof PROVIDERS)[number];
  tenantId: string;
  grants: SoakGrant[];
  state: "live" | "disconnected";
  /** A disconnect or connect of it is under way: reads meanwhile are not judged. */
  busy: boolean;
  disconnectedAt: number | null;
  liveSince: number;
  /** from_date of the connection's default key (its first cron run's cache date) and one more month. */
  fromDates: string[];
}

const conns: Conn[] = [];
const byKey = new Map<string, Conn>();
const connKey = (ws: string, integration: string, tenantId: string | null) => `${ws}|${integration}|${tenantId ?? ""}`;
const current = (c: Conn) => c.grants[c.grants.length - 1]!;
const grantAt = (c: Conn, t: number) => [...c.grants].reverse().find((g) => g.since <= t) ?? c.grants[0]!;

const jwts = new Map<string, { token: string; at: number }>();
async function jwtFor(ws: string): Promise<string> {
  const cached = jwts.get(ws);
  if (cached && Date.now() - cached.at < 300_000) return cached.token;
  const token = await bearer(dev, { [ws]: "admin" });
  jwts.set(ws, { token, at: Date.now() });
  return token;
}

async function call(method: string, path: string, ws: string) {
  const started = Date.now();
  const res = await fetch(`${dev.url}${path}`, { method, headers: { Authorization: `Bearer ${await jwtFor(ws)}` } });
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  return { status: res.status, body, started, ms: Date.now() - started };
}

const errorCode = (body: unknown): string => {
  const error = (body as { error?: { code?: unknown } } | null)?.error;
  return typeof error?.code === "string" ? error.code : "(no code)";
};

/**
 * The connect flow over HTTP, as a host app and a browser do it (connect session, login, the fake's
 * consent, callback page, confirm), with the grant's tokens living `lifetimeS`; `tenantId` consents to a
 * company again (a reconnect). Returns the confirmed tenant and the fake's grant id.
 */
async function connectFlow(ws: string, p: Conn["provider"], lifetimeS: number, tenantId?: string) {
  const consented = await consentTo(dev, ws, p.name, async (authorize) => {
    const url = new URL(authorize);
    url.searchParams.set("_fake_expires_in", String(lifetimeS));
    if (tenantId) url.searchParams.set("_fake_tenant", tenantId);
    const res = await fetch(url, { redirect: "manual" });
    const location = res.headers.get("Location");
    if (res.status !== 302 || !location) throw new Error(`the fake's authorize answered ${res.status}`);
    return location;
  });
  const confirmed = await confirm(dev, ws, p.name, consented.confirmToken);
  if (confirmed.status !== 200)
    throw new Error(`confirm of ${p.name} in ${ws} answered ${confirmed.status}: ${JSON.stringify(confirmed.body)}`);
  const connections = confirmed.body["connections"] as { tenant_id: string | null }[];
  const { grantId } = await control<{ grantId: string }>(
    `/authorizations/${consented.callback.searchParams.get("code")}`,
  );
  return { tenantId: connections[0]!.tenant_id ?? "", grantId };
}

const newGrant = (id: string, lifetimeS: number): SoakGrant => ({
  id,
  since: Date.now(),
  lifetimeS,
  invalidGrant: null,
  droppedAt: null,
  reconnectSeenAt: null,
  tokenScripts: [],
  tokenScriptsUsed: 0,
  apiFaults: {},
});

// ---------------------------------------------------------------------------------------------------
// Observations

const reads: { kind: string; status: number; ms: number; code: string | null }[] = [];
const samples500: unknown[] = [];
const wrongReconnect = new Map<string, unknown>();
const afterDisconnect: unknown[] = [];
const listedAfterDisconnect: unknown[] = [];
let disconnectedReads = 0;
/** Data reads of a connection a status read had already shown needing a reconnect, by status. */
const whileReconnectRequired = { by_status: {} as Record<string, number>, oldest_served_ms: 0 };
const actions = {
  connects: 0,
  connect_failures: [] as string[],
  disconnects: 0,
  reconnects_after_disconnect: 0,
  invalid_grant_given: { revoked: 0, scripted: 0 },
  confirms_after_invalid_grant: 0,
  manual_fetches: 0,
};
/** Events the host app must hear of, by `type|ws|integration|tenant`. */
const expectedEvents: Record<string, number> = {};
const expectEvent = (type: string, c: Conn) => bump(expectedEvents, `${type}|${c.ws}|${c.integration}|${c.tenantId}`);

interface StatusEntry {
  integration: string;
  tenant_id: string | null;
  requires_reconnect: boolean;
  token: { last_refresh_error: string | null };
  last_fetch: { cache_date: string } | null;
}

function judgeStatus(ws: string, started: number, entries: StatusEntry[], before: Map<Conn, boolean>) {
  for (const e of entries) {
    const c = byKey.get(connKey(ws, e.integration, e.tenant_id));
    if (!c) continue;
    const quiet = before.get(c) === false && !c.busy;
    if (quiet && c.state === "disconnected" && c.disconnectedAt !== null && c.disconnectedAt < started)
      listedAfterDisconnect.push({ ws, integration: c.integration, since_disconnect_ms: started - c.disconnectedAt });
    if (!e.requires_reconnect || !quiet || c.state !== "live") continue;
    const g = grantAt(c, started);
    if (g.invalidGrant !== null && g === current(c)) g.reconnectSeenAt ??= started;
    if (g.invalidGrant === null && !wrongReconnect.has(g.id))
      wrongReconnect.set(g.id, {
        ws,
        integration: c.integration,
        grant: g.id,
        seen_at: new Date(started).toISOString(),
        last_refresh_error: e.token.last_refresh_error,
      });
  }
}

/**
 * A data read of `c`, judged: while it is disconnected (from the disconnect's answer until a reconnect
 * starts, for the whole read) nothing may be served; after a reconnect, nothing fetched before the
 * disconnect. Reads overlapping a connect or disconnect are not judged.
 */
async function readData(c: Conn) {
  const fromDate = pick(c.fromDates);
  const start = { state: c.state, quiet: !c.busy, disconnectedAt: c.disconnectedAt, liveSince: c.liveSince };
  const needsReconnect = start.quiet && start.state === "live" && current(c).reconnectSeenAt !== null;
  const r = await call(
    "GET",
    `/integration/data?workspace_id=${c.ws}&integration=${c.integration}&from_date=${fromDate}`,
    c.ws,
  );
  const unchanged = start.quiet && !c.busy && c.state === start.state && c.disconnectedAt === start.disconnectedAt;
  if (!unchanged) return r;
  const fetchedAt = Date.parse((r.body as { fetched_at?: string } | null)?.fetched_at ?? "");
  if (start.state === "disconnected") {
    disconnectedReads++;
    if (r.status === 200)
      afterDisconnect.push({
        ws: c.ws,
        integration: c.integration,
        kind: "served while disconnected",
        read_at: new Date(r.started).toISOString(),
        since_disconnect_ms: r.started - (start.disconnectedAt ?? 0),
        fetched_at: new Date(fetchedAt).toISOString(),
      });
    return r;
  }
  if (
    r.status === 200 &&
    start.disconnectedAt !== null &&
    r.started > start.liveSince &&
    fetchedAt < start.disconnectedAt
  )
    afterDisconnect.push({
      ws: c.ws,
      integration: c.integration,
      kind: "data fetched before the disconnect served after the reconnect",
      fetched_at: new Date(fetchedAt).toISOString(),
    });
  if (needsReconnect && c.liveSince === start.liveSince) {
    bump(whileReconnectRequired.by_status, String(r.status));
    if (r.status === 200)
      whileReconnectRequired.oldest_served_ms = Math.max(
        whileReconnectRequired.oldest_served_ms,
        r.started - fetchedAt,
      );
  }
  return r;
}

async function readStatus(ws: string) {
  const mine = conns.filter((c) => c.ws === ws);
  const before = new Map(mine.map((c) => [c, c.busy] as const));
  const r = await call("GET", `/integration/status?workspace_id=${ws}`, ws);
  if (r.status === 200) judgeStatus(ws, r.started, r.body as StatusEntry[], before);
  return r;
}

async function oneRead() {
  const dice = random();
  let r: Awaited<ReturnType<typeof call>>;
  let kind: string;
  const disconnected = conns.filter((c) => c.state === "disconnected" && !c.busy);
  const c = dice < 0.32 && dice >= 0.22 && disconnected.length > 0 ? pick(disconnected) : pick(conns);
  if (dice < 0.2) {
    kind = "status";
    r = await readStatus(c.ws);
  } else if (dice < 0.22) {
    kind = "fetch";
    r = await call("POST", `/integration/fetch?workspace_id=${c.ws}&integration=${c.integration}`, c.ws);
    if (r.status === 202) actions.manual_fetches++;
  } else {
    kind = "data";
    r = await readData(c);
  }
  const code = r.status >= 400 ? errorCode(r.body) : null;
  reads.push({ kind, status: r.status, ms: r.ms, code });
  if (r.status === 500 && samples500.length < 20)
    samples500.push({
      kind,
      ws: c.ws,
      integration: c.integration,
      at: new Date(r.started).toISOString(),
      ms: r.ms,
      body: r.body,
      ...refreshHistory(current(c)),
    });
}

// ---------------------------------------------------------------------------------------------------
// Faults

const TOKEN_FAULTS: { kind: string; p: number; failing: boolean; make: () => ScriptedResponse }[] = [
  { kind: "5xx", p: 0.04, failing: true, make: () => ({ status: pick([500, 502, 503]) }) },
  { kind: "429", p: 0.03, failing: true, make: () => ({ status: 429, retryAfter: between(1, 2) }) },
  { kind: "timeout", p: 0.02, failing: true, make: () => ({ delayMs: TOKEN_REFRESH_TIMEOUT_MS + 1500 }) },
  { kind: "reset", p: 0.01, failing: true, make: () => ({ reset: true }) },
  { kind: "slow", p: 0.03, failing: false, make: () => ({ delayMs: between(1000, 2500) }) },
  // Answered (rotated) at once, but the body trickles in after the refresh timeout.
  { kind: "late body", p: 0.005, failing: false, make: () => ({ bodyDelayMs: TOKEN_REFRESH_TIMEOUT_MS + 1500 }) },
];
const API_FAULTS: { kind: string; p: number; make: () => ScriptedResponse }[] = [
  { kind: "5xx", p: 0.05, make: () => ({ status: pick([500, 502, 503, 504]) }) },
  { kind: "429", p: 0.04, make: () => ({ status: 429, retryAfter: 1 }) },
  { kind: "reset", p: 0.02, make: () => ({ reset: true }) },
  { kind: "slow", p: 0.05, make: () => ({ delayMs: between(1500, 3000) }) },
  // Past the service's 30 s timeout of a provider call: the fetch fails as provider_unavailable.
  { kind: "timeout", p: 0.002, make: () => ({ delayMs: 31_000 }) },
];
const receiverFaults: Record<string, number> = {};
const slowTenants: string[] = [];

function fakeGrant(id: string): FakeGrant | undefined {
  return fake.state.grants.get(id);
}

/** Injected token-endpoint failures (invalid_grant apart) the grant's refreshes met. */
const failingUsed = (g: SoakGrant) =>
  g.tokenScripts.slice(0, g.tokenScriptsUsed).filter((t) => t.failing && t.kind !== "invalid_grant").length;

/** What the fake saw of a grant's refreshes, and the token-endpoint faults it met, for evidence. */
function refreshHistory(g: SoakGrant) {
  const fg = fakeGrant(g.id);
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  return {
    faults_met: g.tokenScripts.slice(0, g.tokenScriptsUsed).map((t) => t.kind),
    refreshes: (fg?.refreshLog ?? []).slice(-4).map((e) => ({
      at: iso(e.at),
      answered_after_ms: e.endedAt === null ? null : e.endedAt - e.at,
      status: e.status,
      scripted: e.scripted,
      reused_refresh_token: e.reused,
      rotated: e.rotated,
    })),
    revoked: fg?.revokedReason ?? null,
  };
}

/** Whether the grant's refreshes were answered invalid_grant (not just scheduled to be). */
function invalidAnswered(g: SoakGrant): boolean {
  if (!g.invalidGrant) return false;
  if (g.invalidGrant.mode === "scripted")
    return g.tokenScripts.slice(0, g.tokenScriptsUsed).some((t) => t.kind === "invalid_grant");
  const fg = fakeGrant(g.id)!;
  return fg.counters.refreshRequests - failingUsed(g) - fg.consumed.size >= 1;
}

async function injectFaults(receiverToo: boolean) {
  const work: Promise<unknown>[] = [];
  for (const c of conns) {
    if (c.state !== "live" || c.busy) continue;
    const g = current(c);
    const fg = fakeGrant(g.id);
    if (!fg || fg.revoked || g.invalidGrant) continue;
    if (fg.scripts.token.length === 0) {
      let dice = random();
      const fault = TOKEN_FAULTS.find((f) => (dice -= f.p) < 0);
      if (fault) {
        g.tokenScripts.push({ kind: fault.kind, failing: fault.failing });
        work.push(
          control(`/grants/${g.id}/script`, { method: "POST", body: { endpoint: "token", responses: [fault.make()] } }),
        );
      }
    }
    if (fg.scripts.api.length === 0) {
      let dice = random();
      const fault = API_FAULTS.find((f) => (dice -= f.p) < 0);
      if (fault) {
        bump(g.apiFaults, fault.kind);
        work.push(
          control(`/grants/${g.id}/script`, { method: "POST", body: { endpoint: "api", responses: [fault.make()] } }),
        );
      }
    }
  }
  if (receiverToo)
    for (const ws of new Set(conns.map((c) => c.ws))) {
      if (random() >= 0.03) continue;
      const slow = random() < 0.3;
      bump(receiverFaults, slow ? "timeout" : "500");
      work.push(
        control("/webhooks/script", {
          method: "POST",
          body: { workspace_id: ws, replies: [slow ? { delayMs: WEBHOOK_TIMEOUT_MS + 1000 } : { status: 500 }] },
        }),
      );
    }
  await Promise.all(work);
}

// ---------------------------------------------------------------------------------------------------
// Actions: invalid_grant, confirms, disconnects, reconnects

async function giveInvalidGrant(c: Conn, mode: "revoked" | "scripted") {
  const g = current(c);
  if (mode === "revoked") await control(`/grants/${g.id}/revoke`, { method: "POST" });
  else
    await control(`/grants/${g.id}/script`, {
      method: "POST",
      body: { endpoint: "token", responses: [{ status: 400, error: "invalid_grant" }] },
    });
  if (mode === "scripted") g.tokenScripts.push({ kind: "invalid_grant", failing: true });
  g.invalidGrant = { at: Date.now(), mode };
  actions.invalid_grant_given[mode]++;
}

async function reconnect(c: Conn, kind: "confirm" | "after-disconnect") {
  c.busy = true;
  try {
    const lifetimeS = between(...LIFETIME_S);
    const { tenantId, grantId } = await connectFlow(c.ws, c.provider, lifetimeS, c.tenantId);
    if (tenantId !== c.tenantId) throw new Error(`reconnect of ${c.ws} ${c.integration} got tenant ${tenantId}`);
    if (c.state === "live") current(c).droppedAt = Date.now();
    c.grants.push(newGrant(grantId, lifetimeS));
    c.state = "live";
    c.liveSince = Date.now();
    if (kind === "confirm") {
      actions.confirms_after_invalid_grant++;
      expectEvent("connection.replaced", c);
    } else {
      actions.reconnects_after_disconnect++;
      expectEvent("connection.created", c);
    }
  } catch (err) {
    actions.connect_failures.push(String(err).slice(0, 300));
  } finally {
    c.busy = false;
  }
}

async function disconnect(c: Conn) {
  c.busy = true;
  try {
    const r = await call("POST", `/integration/disconnect?workspace_id=${c.ws}&integration=${c.integration}`, c.ws);
    if (r.status !== 200 || !(r.body as { disconnected?: boolean }).disconnected)
      throw new Error(`disconnect answered ${r.status}: ${JSON.stringify(r.body)}`);
    c.state = "disconnected";
    c.disconnectedAt = Date.now();
    current(c).droppedAt = c.disconnectedAt;
    actions.disconnects++;
    expectEvent("connection.deleted", c);
  } catch (err) {
    actions.connect_failures.push(String(err).slice(0, 300));
  } finally {
    c.busy = false;
  }
  // Straight after the disconnect answered: nothing may be served.
  if (c.state === "disconnected")
    for (let i = 0; i < 3; i++) {
      const r = await readData(c);
      reads.push({ kind: "data", status: r.status, ms: r.ms, code: r.status >= 400 ? errorCode(r.body) : null });
    }
}

// ---------------------------------------------------------------------------------------------------
// The run

const counters = async () =>
  (await (await fetch(`${dev.url}/__soak/counters`)).json()) as {
    d1: Record<string, { calls: number; items: number }>;
    queue_sends: Record<string, { calls: number; items: number }>;
    queue_sends_by_caller: Record<string, { calls: number; items: number }>;
    queue_deliveries: Record<string, { batches: number; messages: number; acked: number; retried: number }>;
    scheduled: number;
  };

const startedAt = Date.now();
// Stopped from outside (Ctrl-C, a supervisor): wrangler runs in its own process group, so stop it and
// remove the copy before going.
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.once(signal, () => {
    console.error(`soak: ${signal}, stopping wrangler`);
    void server
      .stop()
      .finally(() => rmSync(workerDir, { recursive: true, force: true }))
      .finally(() => process.exit(130));
  });
try {
  // 1. Seed: WORKSPACES workspaces, each connected to one provider and every fifth to a second one,
  //    through the real connect flow.
  const seeded = Date.now();
  const plan: { ws: string; p: (typeof PROVIDERS)[number] }[] = [];
  for (let i = 0; i < WORKSPACES; i++) {
    const ws = `soak-ws-${String(i).padStart(4, "0")}`;
    plan.push({ ws, p: PROVIDERS[i % 3]! });
    if (i % 5 === 0) plan.push({ ws, p: PROVIDERS[(i + 1) % 3]! });
  }
  await pool(plan, 6, async ({ ws, p }) => {
    const lifetimeS = between(...LIFETIME_S);
    try {
      const { tenantId, grantId } = await connectFlow(ws, p, lifetimeS);
      const c: Conn = {
        ws,
        integration: p.name,
        provider: p,
        tenantId,
        grants: [newGrant(grantId, lifetimeS)],
        state: "live",
        busy: false,
        disconnectedAt: null,
        liveSince: Date.now(),
        fromDates: [],
      };
      conns.push(c);
      byKey.set(connKey(ws, p.name, tenantId), c);
      actions.connects++;
      expectEvent("connection.created", c);
    } catch (err) {
      actions.connect_failures.push(String(err).slice(0, 300));
    }
  });
  const seedSeconds = (Date.now() - seeded) / 1000;
  console.log(`seeded ${conns.length} connections in ${WORKSPACES} workspaces in ${seedSeconds.toFixed(1)} s`);
  if (conns.length < plan.length * 0.95) throw new Error(`only ${conns.length} of ${plan.length} connections made`);

  // A few tenants answer slowly all along (1.2 s a call).
  for (const c of conns)
    if (random() < 0.05) {
      slowTenants.push(c.tenantId);
      await control(`/tenants/${c.tenantId}/config`, { method: "PUT", body: { latencyMs: 1200 } });
    }

  // 2. The first tick fetches every default key; its cache date is each connection's first from_date.
  await runCron(dev);
  const firstTick = Date.now();
  const month = new Date();
  const other = new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth() - 6, 10)).toISOString().slice(0, 10);
  for (let i = 0; i < 120 && conns.some((c) => c.fromDates.length === 0); i++) {
    await pool([...new Set(conns.filter((c) => c.fromDates.length === 0).map((c) => c.ws))], 8, async (ws) => {
      const r = await call("GET", `/integration/status?workspace_id=${ws}`, ws);
      if (r.status !== 200) return;
      for (const e of r.body as StatusEntry[]) {
        const c = byKey.get(connKey(ws, e.integration, e.tenant_id));
        if (c && e.last_fetch && c.fromDates.length === 0) c.fromDates = [e.last_fetch.cache_date, other];
      }
    });
    if (conns.some((c) => c.fromDates.length === 0)) await sleep(1000);
  }
  for (const c of conns) if (c.fromDates.length === 0) c.fromDates = [other];
  console.log(`first tick fetched in ${((Date.now() - firstTick) / 1000).toFixed(1)} s`);

  // 3. The soak: ticks, reads, faults and actions until the deadline.
  const before = await counters();
  const soakStart = Date.now();
  const soakMs = MINUTES * 60_000;
  const deadline = soakStart + soakMs;
  const at = (fraction: number) => soakStart + fraction * soakMs;
  const shuffled = [...conns].sort(() => random() - 0.5);
  const invalid = shuffled.slice(0, Math.max(2, Math.round(conns.length * 0.04)));
  const dropped = shuffled.slice(invalid.length, invalid.length + Math.max(2, Math.round(conns.length * 0.05)));
  type Action = { at: number; run: () => Promise<void> };
  const schedule: Action[] = [];
  invalid.forEach((c, i) => {
    const given = at(0.1 + random() * 0.35);
    schedule.push({ at: given, run: () => giveInvalidGrant(c, i % 2 === 0 ? "revoked" : "scripted") });
    // Half are reconnected by a member once the service has had time to notice (a confirm).
    if (i % 4 < 2) schedule.push({ at: Math.min(given + 150_000, at(0.8)), run: () => reconnect(c, "confirm") });
  });
  dropped.forEach((c, i) => {
    const gone = at(0.15 + random() * 0.5);
    schedule.push({ at: gone, run: () => disconnect(c) });
    if (i % 2 === 0)
      schedule.push({ at: Math.min(gone + 60_000, at(0.85)), run: () => reconnect(c, "after-disconnect") });
  });
  schedule.sort((a, b) => a.at - b.at);

  const inFlight = new Set<Promise<void>>();
  const track = (p: Promise<void>) => {
    const done = p.catch((err: unknown) => console.error("soak step failed", err)).finally(() => inFlight.delete(done));
    inFlight.add(done);
  };
  let ticks = 0;
  let nextTick = soakStart;
  let nextRead = soakStart;
  const readEvery = 1000 / READS_PER_S;
  const tickDurations: number[] = [];
  while (Date.now() < deadline) {
    const now = Date.now();
    if (now >= nextTick) {
      nextTick += TICK_S * 1000;
      ticks++;
      // The receiver stops failing in time for its retries (1 minute, then 2) to land before the end.
      await injectFaults(now < deadline - Math.min(180_000, soakMs * 0.4));
      const t0 = Date.now();
      await runCron(dev);
      tickDurations.push(Date.now() - t0);
    }
    while (schedule.length > 0 && schedule[0]!.at <= now) track(schedule.shift()!.run());
    // Reads at their rate, never more than 32 outstanding (a stalled worker is not buried deeper).
    while (nextRead <= now && inFlight.size < 32) {
      nextRead += readEvery;
      track(oneRead());
    }
    if (nextRead <= now) nextRead = now + readEvery;
    await sleep(Math.max(5, Math.min(nextRead, nextTick, schedule[0]?.at ?? Infinity, deadline) - Date.now()));
  }
  await Promise.race([Promise.all(inFlight), sleep(60_000)]);
  const soakSeconds = (Date.now() - soakStart) / 1000;
  const after = await counters();
  console.log(`soaked ${soakSeconds.toFixed(0)} s: ${ticks} ticks, ${reads.length} reads`);

  // 4. Faults off (what is still scripted is counted first), then drain until the service is quiet:
  //    every message sent to the three queues acknowledged (retries included, which come back after
  //    their delay) and no outbox event pending, on two looks 5 s apart; at most DRAIN_S.
  for (const c of conns)
    for (const g of c.grants) {
      const fg = fakeGrant(g.id);
      if (!fg) continue;
      g.tokenScriptsUsed = g.tokenScripts.length - fg.scripts.token.length;
      await control(`/grants/${g.id}/script`, { method: "DELETE" });
    }
  for (const t of slowTenants) await control(`/tenants/${t}/config`, { method: "PUT", body: { latencyMs: 0 } });
  const workspaces = [...new Set(conns.map((c) => c.ws))];
  const QUEUES = { FETCH_QUEUE: "zebbra-fetch", DISPATCH_QUEUE: "zebbra-dispatch", WEBHOOK_QUEUE: "zebbra-webhooks" };
  const unacked = (n: Awaited<ReturnType<typeof counters>>) =>
    Object.fromEntries(
      Object.entries(QUEUES).map(([binding, queue]) => [
        queue,
        (n.queue_sends[binding]?.items ?? 0) - (n.queue_deliveries[queue]?.acked ?? 0),
      ]),
    );
  const atSoakEnd = { unacked_messages: unacked(after) };
  const drainStart = Date.now();
  let quietLooks = 0;
  let last = { unacked: {} as Record<string, number>, pending: -1 };
  while (Date.now() - drainStart < DRAIN_S * 1000) {
    let pending = 0;
    await pool(workspaces, 8, async (ws) => {
      const r = await call("GET", `/integration/webhooks/events?workspace_id=${ws}&state=pending&limit=200`, ws);
      if (r.status === 200) pending += (r.body as { events: unknown[] }).events.length;
    });
    last = { unacked: unacked(await counters()), pending };
    quietLooks = pending === 0 && Object.values(last.unacked).every((n) => n <= 0) ? quietLooks + 1 : 0;
    if (quietLooks >= 2) break;
    await sleep(5000);
  }
  const drainSeconds = (Date.now() - drainStart) / 1000;
  const quiet = quietLooks >= 2;
  console.log(`drained in ${drainSeconds.toFixed(0)} s: ${quiet ? "quiet" : `not quiet, ${JSON.stringify(last)}`}`);

  // 5. The end state: status of every connection, the fetch logs, then every outbox (a run is logged
  //    after its event is committed, so every run read here has its event in the outbox read after),
  //    then the receiver's deliveries.
  const quietFrom = await counters();
  const finalStatus: Record<string, StatusEntry[]> = {};
  await pool(workspaces, 8, async (ws) => {
    const mine = conns.filter((c) => c.ws === ws);
    const before = new Map(mine.map((c) => [c, false] as const));
    const r = await call("GET", `/integration/status?workspace_id=${ws}`, ws);
    if (r.status !== 200) throw new Error(`final status of ${ws} answered ${r.status}`);
    finalStatus[ws] = r.body as StatusEntry[];
    judgeStatus(ws, r.started, finalStatus[ws], before);
  });

  const successRuns = new Map<Conn, { cache_date: string; finished_at: string }[]>();
  await pool(
    conns.filter((c) => c.state === "live"),
    8,
    async (c) => {
      const r = await call(
        "GET",
        `/integration/runs?workspace_id=${c.ws}&integration=${c.integration}&limit=100`,
        c.ws,
      );
      if (r.status !== 200) return;
      const runs = r.body as { outcome: string; cache_date: string; finished_at: string }[];
      successRuns.set(
        c,
        runs.filter((run) => run.outcome === "success"),
      );
    },
  );

  interface OutboxEvent {
    id: string;
    type: string;
    timestamp: string;
    data: Record<string, string | null>;
    state: "pending" | "delivered" | "dead";
    attempts: number;
    next_attempt_at: string | null;
  }
  const outbox = new Map<string, OutboxEvent>();
  const received = new Map<string, number>();
  let receiverDeliveries = 0;
  let receiverFailedAnswers = 0;
  await pool(workspaces, 8, async (ws) => {
    let beforeTs: string | undefined;
    for (let page = 0; page < 500; page++) {
      const q = `workspace_id=${ws}&limit=200${beforeTs ? `&before=${encodeURIComponent(beforeTs)}` : ""}`;
      const r = await call("GET", `/integration/webhooks/events?${q}`, ws);
      if (r.status !== 200) throw new Error(`outbox of ${ws} answered ${r.status}`);
      const events = (r.body as { events: OutboxEvent[] }).events;
      let fresh = 0;
      for (const e of events)
        if (!outbox.has(e.id)) {
          outbox.set(e.id, e);
          fresh++;
        }
      if (events.length < 200 || fresh === 0) break;
      // `before` is exclusive: step back 1 ms past the page's oldest so ties with it are read again.
      beforeTs = new Date(Date.parse(events[events.length - 1]!.timestamp) + 1).toISOString();
    }
  });
  await pool(workspaces, 8, async (ws) => {
    const deliveries = await control<{ headers: Record<string, string>; status: number }[]>(
      `/webhooks?workspace_id=${ws}`,
    );
    for (const d of deliveries) {
      receiverDeliveries++;
      if (d.status >= 200 && d.status < 300)
        received.set(d.headers["webhook-id"]!, (received.get(d.headers["webhook-id"]!) ?? 0) + 1);
      else receiverFailedAnswers++;
    }
  });
  const quietTo = await counters();
  const sentMeanwhile = Object.keys(QUEUES).reduce(
    (n, q) => n + (quietTo.queue_sends[q]?.items ?? 0) - (quietFrom.queue_sends[q]?.items ?? 0),
    0,
  );

  // Each successful run must have its data.fetched event.
  const runsChecked = { success_runs: 0, without_event: 0, samples: [] as unknown[] };
  const fetchedEvents = new Set(
    [...outbox.values()]
      .filter((e) => e.type === "data.fetched")
      .map((e) => `${e.data["workspace_id"]}|${e.data["integration"]}|${e.data["cache_date"]}|${e.data["fetched_at"]}`),
  );
  for (const [c, runs] of successRuns)
    for (const run of runs) {
      runsChecked.success_runs++;
      if (!fetchedEvents.has(`${c.ws}|${c.integration}|${run.cache_date}|${run.finished_at}`)) {
        runsChecked.without_event++;
        if (runsChecked.samples.length < 10) runsChecked.samples.push({ ws: c.ws, integration: c.integration, ...run });
      }
    }

  // ---------------------------------------------------------------------------------------------------
  // Figures

  // Webhooks: recorded by the service for what the soak did; recorded → received.
  const recordedEvents: Record<string, number> = {};
  for (const e of outbox.values())
    bump(recordedEvents, `${e.type}|${e.data["workspace_id"]}|${e.data["integration"]}|${e.data["tenant_id"] ?? ""}`);
  const unrecorded: unknown[] = [];
  for (const [key, n] of Object.entries(expectedEvents)) {
    const got = recordedEvents[key] ?? 0;
    if (got < n) unrecorded.push({ event: key, expected: n, recorded: got });
  }
  // One connection.requires_reconnect per grant whose refresh was answered invalid_grant.
  const reconnectEvents = { expected: 0, recorded: 0, duplicates: 0, missing: [] as unknown[] };
  for (const c of conns)
    for (const g of c.grants) {
      if (!g.invalidGrant || !invalidAnswered(g)) continue;
      reconnectEvents.expected++;
      const got = [...outbox.values()].filter(
        (e) =>
          e.type === "connection.requires_reconnect" &&
          e.data["workspace_id"] === c.ws &&
          e.data["integration"] === c.integration &&
          Date.parse(e.timestamp) >= g.since - 1000 &&
          (g.droppedAt === null || Date.parse(e.timestamp) <= g.droppedAt + 1000),
      ).length;
      reconnectEvents.recorded += Math.min(got, 1);
      reconnectEvents.duplicates += Math.max(0, got - 1);
      if (got === 0)
        reconnectEvents.missing.push({ ws: c.ws, integration: c.integration, grant: g.id, mode: g.invalidGrant.mode });
    }
  const byState: Record<string, number> = {};
  const notReceived: unknown[] = [];
  let pendingAtEnd = 0;
  const pendingSamples: unknown[] = [];
  let duplicates = 0;
  for (const e of outbox.values()) {
    bump(byState, e.state);
    const n = received.get(e.id) ?? 0;
    if (n > 1) duplicates += n - 1;
    if (e.state === "pending") {
      pendingAtEnd++;
      if (pendingSamples.length < 10) pendingSamples.push(e);
    } else if (n === 0 && notReceived.length < 1000)
      notReceived.push({ id: e.id, type: e.type, state: e.state, attempts: e.attempts });
  }
  const strangers = [...received.keys()].filter((id) => !outbox.has(id)).length;
  const webhooksLost =
    unrecorded.length + reconnectEvents.missing.length + runsChecked.without_event + notReceived.length;

  // Refreshes per expiry, from the fake's own record of each grant: every rotation replaces one access
  // token that came due; every refresh request that neither rotated nor met an injected fault is extra.
  const refresh = {
    grants: 0,
    rotations: 0,
    refresh_requests: 0,
    injected_failures_met: 0,
    early_rotations: 0,
    early_samples: [] as unknown[],
    max_concurrent_refreshes: 0,
    reuse_detected: [] as unknown[],
    requests_after_drop: 0,
    unexplained_requests: 0,
    unexplained_samples: [] as unknown[],
    invalid_grant_grants: 0,
    invalid_grant_answered: 0,
    requests_after_invalid_grant: 0,
  };
  for (const c of conns)
    for (const g of c.grants) {
      const fg = fakeGrant(g.id);
      if (!fg) continue;
      const expiries = [...fg.accessTokens.values()];
      const lifetimeMs = g.lifetimeS * 1000;
      const margin = Math.min(300_000, lifetimeMs / 2);
      for (let k = 1; k < expiries.length; k++) {
        const left = expiries[k - 1]! - (expiries[k]! - lifetimeMs);
        if (left > margin + 2000) {
          refresh.early_rotations++;
          if (refresh.early_samples.length < 10)
            refresh.early_samples.push({ grant: g.id, rotation: k, token_left_ms: left, margin_ms: margin });
        }
      }
      refresh.max_concurrent_refreshes = Math.max(refresh.max_concurrent_refreshes, fg.counters.maxConcurrentRefresh);
      if (fg.revokedReason?.includes("reuse"))
        refresh.reuse_detected.push({ ws: c.ws, integration: c.integration, grant: g.id, ...refreshHistory(g) });
      const failingMet = failingUsed(g);
      const rotations = fg.consumed.size;
      const requests = fg.counters.refreshRequests;
      const unexplained = requests - failingMet - rotations;
      if (g.invalidGrant && invalidAnswered(g)) {
        refresh.invalid_grant_grants++;
        refresh.invalid_grant_answered++;
        refresh.requests_after_invalid_grant += Math.max(0, unexplained - 1);
        continue;
      }
      if (g.invalidGrant) refresh.invalid_grant_grants++;
      refresh.grants++;
      refresh.rotations += rotations;
      refresh.refresh_requests += requests;
      refresh.injected_failures_met += failingMet;
      if (unexplained <= 0) continue;
      if (g.droppedAt !== null) refresh.requests_after_drop += unexplained;
      else {
        refresh.unexplained_requests += unexplained;
        if (refresh.unexplained_samples.length < 10)
          refresh.unexplained_samples.push({
            ws: c.ws,
            integration: c.integration,
            grant: g.id,
            requests,
            rotations,
            ...refreshHistory(g),
          });
      }
    }
  const perExpiry = (refresh.refresh_requests - refresh.injected_failures_met) / Math.max(1, refresh.rotations);

  // Reads.
  const byStatus: Record<string, number> = {};
  const fiveXX: Record<string, number> = {};
  for (const r of reads) {
    bump(byStatus, `${r.kind} ${r.status}`);
    if (r.status >= 500) bump(fiveXX, `${r.status} ${r.code}`);
  }
  const status500 = reads.filter((r) => r.status === 500).length;
  const latency = (kind: string) => {
    const ms = reads.filter((r) => r.kind === kind).map((r) => r.ms);
    return { count: ms.length, p50_ms: quantile(ms, 0.5), p99_ms: quantile(ms, 0.99) };
  };

  // D1 and queue calls, counted in the worker over the soak phase.
  const hours = soakSeconds / 3600;
  const delta = (a: { calls: number; items: number } | undefined, b: { calls: number; items: number } | undefined) => ({
    calls: (b?.calls ?? 0) - (a?.calls ?? 0),
    items: (b?.items ?? 0) - (a?.items ?? 0),
  });
  const deltas = (
    a: Record<string, { calls: number; items: number }>,
    b: Record<string, { calls: number; items: number }>,
  ) =>
    Object.fromEntries(
      Object.keys(b)
        .sort()
        .map((k) => [k, delta(a[k], b[k])]),
    );
  const d1 = deltas(before.d1, after.d1);
  const d1Calls = Object.values(d1).reduce((n, s) => n + s.calls, 0);
  const d1Statements = Object.values(d1).reduce((n, s) => n + s.items, 0);
  const sends = deltas(before.queue_sends, after.queue_sends);
  const sendsByCaller = deltas(before.queue_sends_by_caller, after.queue_sends_by_caller);
  const deliveries = Object.fromEntries(
    Object.keys(after.queue_deliveries).map((q) => {
      const a = before.queue_deliveries[q] ?? { batches: 0, messages: 0, acked: 0, retried: 0 };
      const b = after.queue_deliveries[q]!;
      return [
        q,
        {
          batches: b.batches - a.batches,
          messages: b.messages - a.messages,
          acked: b.acked - a.acked,
          retried: b.retried - a.retried,
        },
      ];
    }),
  );
  const queueCalls = Object.values(sends).reduce((n, s) => n + s.calls, 0);
  const queueMessages = Object.values(sends).reduce((n, s) => n + s.items, 0);
  const warnings: string[] = [];
  if (!quiet) warnings.push(`the service was not quiet after ${DRAIN_S} s of drain: ${JSON.stringify(last)}`);
  if (sentMeanwhile > 0) warnings.push(`${sentMeanwhile} queue messages were sent while the end state was read`);
  const counted = [...Object.values(d1), ...Object.values(sends)];
  if (counted.some((c) => c.calls < 0) || after.scheduled - before.scheduled !== ticks)
    warnings.push("the worker's counters went back or missed ticks: the worker restarted during the soak");
  if ((d1["object"]?.calls ?? 0) === 0)
    warnings.push("no D1 call counted inside the workspace objects: the counters do not see them");
  const sum = (table: Record<string, { calls: number; items: number }>, keep: (k: string) => boolean) =>
    Object.entries(table).reduce((n, [k, v]) => n + (keep(k) ? v.calls : 0), 0);
  const cronDriven = (k: string) => k !== "routes";
  const fetchMessages = deliveries["zebbra-fetch"]?.messages ?? 0;
  const apiRequests = [...fake.state.grants.values()].reduce((n, g) => n + g.counters.apiRequests, 0);
  const naturalRateLimited = [...fake.state.tenants.values()].reduce((n, t) => n + t.rateLimited, 0);
  const injectedToken: Record<string, number> = {};
  const injectedApi: Record<string, number> = {};
  for (const c of conns)
    for (const g of c.grants) {
      for (const t of g.tokenScripts) if (t.kind !== "invalid_grant") bump(injectedToken, t.kind);
      for (const [k, v] of Object.entries(g.apiFaults)) bump(injectedApi, k, v);
    }
  // wrangler logs each consumer invocation: `QUEUE <queue> <acked>/<messages> (<ms>ms)`.
  const batches = (queue: string) => {
    const ms = [...server.output().matchAll(/QUEUE (zebbra-[a-z]+) \d+\/\d+ \((\d+)ms\)/g)]
      .filter((m) => m[1] === queue)
      .map((m) => Number(m[2]));
    return {
      count: ms.length,
      p50_ms: quantile(ms, 0.5),
      p90_ms: quantile(ms, 0.9),
      max_ms: Math.max(0, ...ms),
      busy_seconds: Math.round(ms.reduce((a, b) => a + b, 0) / 1000),
    };
  };
  const workerErrors = server
    .output()
    .split("\n")
    // wrangler colours its lines whatever NO_COLOR says.
    // eslint-disable-next-line no-control-regex
    .map((l) => l.replace(/\x1b\[[0-9;]*m/g, ""))
    .filter((l) => /Uncaught|✘|\bError\b/.test(l) && !/fetch failed|Environment Variable/.test(l));

  const result = {
    measured_at: new Date().toISOString(),
    commit: SOURCE === "head" ? commit : `${commit} + working tree`,
    config: {
      minutes: MINUTES,
      workspaces: WORKSPACES,
      connections: conns.length,
      providers: Object.fromEntries(
        PROVIDERS.map((p) => [p.name, conns.filter((c) => c.integration === p.name).length]),
      ),
      tick_seconds: TICK_S,
      ticks,
      reads_per_second: READS_PER_S,
      seed: SEED,
      token_lifetime_s: LIFETIME_S,
      worker_settings: {
        CACHE_REFRESH_AFTER_MS,
        TOKEN_REFRESH_TIMEOUT_MS,
        WEBHOOK_TIMEOUT_MS,
      },
      seed_seconds: Number(seedSeconds.toFixed(1)),
      soak_seconds: Number(soakSeconds.toFixed(1)),
      drain_seconds: Number(drainSeconds.toFixed(1)),
      at_soak_end: atSoakEnd,
      tick_trigger_ms: { p50: quantile(tickDurations, 0.5), max: Math.max(...tickDurations) },
    },
    injected: {
      token_endpoint: sorted(injectedToken),
      provider_api: sorted(injectedApi),
      slow_tenants: slowTenants.length,
      webhook_receiver: sorted(receiverFaults),
      invalid_grant: actions.invalid_grant_given,
      disconnects: actions.disconnects,
      reconnects_after_disconnect: actions.reconnects_after_disconnect,
      confirms_after_invalid_grant: actions.confirms_after_invalid_grant,
      manual_fetches: actions.manual_fetches,
      connect_failures: actions.connect_failures,
    },
    goals: {
      wrongly_marked_reconnect: {
        value: wrongReconnect.size,
        goal: 0,
        evidence: [...wrongReconnect.entries()].map(([id, seen]) => {
          const g = conns.flatMap((c) => c.grants).find((x) => x.id === id);
          return { ...(seen as object), ...(g ? refreshHistory(g) : {}) };
        }),
      },
      refreshes_per_expiry: {
        value: Number(perExpiry.toFixed(3)),
        goal: 1,
        ...refresh,
      },
      reads_5xx: {
        value: reads.filter((r) => r.status >= 500).length,
        of_reads: reads.length,
        by_code: sorted(fiveXX),
        status_500: status500,
        goal_500: 0,
        samples_500: samples500,
      },
      data_served_after_disconnect: {
        value: afterDisconnect.length,
        goal: 0,
        reads_of_disconnected_connections: disconnectedReads,
        evidence: afterDisconnect.slice(0, 20),
        status_listed_after_disconnect: listedAfterDisconnect.length,
      },
      webhooks_lost: {
        value: webhooksLost,
        goal: 0,
        outbox_events: outbox.size,
        outbox_by_state: sorted(byState),
        pending_at_end: pendingAtEnd,
        pending_samples: pendingSamples,
        receiver_deliveries: receiverDeliveries,
        receiver_failed_answers: receiverFailedAnswers,
        received_ids: received.size,
        duplicate_deliveries: duplicates,
        received_not_in_outbox: strangers,
        delivered_or_dead_not_received: notReceived.length,
        not_received_samples: notReceived.slice(0, 10),
        connection_events_unrecorded: unrecorded,
        requires_reconnect_events: reconnectEvents,
        success_runs_checked: runsChecked.success_runs,
        success_runs_without_data_fetched: runsChecked.without_event,
        run_samples: runsChecked.samples,
      },
      d1_and_queue_per_hour: {
        how: "counted by bench/soak/worker.ts around env.DB and the three queue producers, in the worker and in every workspace object, over the soak phase; per hour = count / soak hours at this soak's pace (a tick every TICK_S seconds, not hourly)",
        d1_calls: d1Calls,
        d1_calls_per_hour: Math.round(d1Calls / hours),
        d1_statements: d1Statements,
        d1_by_caller: d1,
        queue_send_calls: queueCalls,
        queue_send_calls_per_hour: Math.round(queueCalls / hours),
        queue_messages_sent: queueMessages,
        queue_messages_per_hour: Math.round(queueMessages / hours),
        queue_sends: sends,
        queue_sends_by_caller: sendsByCaller,
        queue_deliveries: deliveries,
        per_tick: {
          note: "everything but the HTTP routes (cron, consumers, objects; the objects' share includes fetches that reads started), divided by ticks",
          d1_calls: Number((sum(d1, cronDriven) / Math.max(1, ticks)).toFixed(1)),
          queue_send_calls: Number((sum(sendsByCaller, cronDriven) / Math.max(1, ticks)).toFixed(1)),
        },
        per_read: {
          note: "the HTTP routes' own calls (reads, status, manual fetches, the soak's connect flows), divided by reads",
          d1_calls: Number((sum(d1, (k) => k === "routes") / Math.max(1, reads.length)).toFixed(2)),
          queue_send_calls: Number((sum(sendsByCaller, (k) => k === "routes") / Math.max(1, reads.length)).toFixed(3)),
        },
        per_fetch_message: {
          d1_calls: Number((d1Calls / Math.max(1, fetchMessages)).toFixed(2)),
          queue_messages: Number((queueMessages / Math.max(1, fetchMessages)).toFixed(2)),
        },
      },
    },
    reads: {
      total: reads.length,
      by_kind_and_status: sorted(byStatus),
      latency: { data: latency("data"), status: latency("status"), fetch: latency("fetch") },
    },
    provider: {
      api_requests: apiRequests,
      rate_limited_by_the_fake: naturalRateLimited,
    },
    reads_while_reconnect_required: {
      note: "data reads of a connection after a status read showed it needing a reconnect (and before any reconnect): 200 = its cached data, served as it was fetched",
      ...whileReconnectRequired,
    },
    final_state: {
      connections_live: conns.filter((c) => c.state === "live").length,
      requires_reconnect: Object.values(finalStatus)
        .flat()
        .filter((e) => e.requires_reconnect).length,
      given_invalid_grant_not_reconnected: conns.filter((c) => current(c).invalidGrant !== null).length,
    },
    local_runtime: {
      note: "consumer invocations as wrangler dev logs them, the whole run: locally a queue's batches run one at a time, and a fetch batch lasts as long as its slowest fetch",
      fetch_batches: batches("zebbra-fetch"),
      webhook_batches: batches("zebbra-webhooks"),
      dispatch_batches: batches("zebbra-dispatch"),
    },
    worker_error_lines: { count: workerErrors.length, samples: workerErrors.slice(0, 20) },
    warnings,
  };
  mkdirSync(join(OUT, ".."), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);

  const g = result.goals;
  printTable(
    `Soak: ${conns.length} connections in ${WORKSPACES} workspaces, ${ticks} ticks every ${TICK_S} s over ${soakSeconds.toFixed(0)} s, ${reads.length} reads (written to ${OUT})`,
    ["measure", "value", "goal"],
    [
      ["connections wrongly marked reconnect", g.wrongly_marked_reconnect.value, 0],
      ["refresh requests per expiry", perExpiry.toFixed(3), "1.000"],
      ["  rotations / early rotations", `${refresh.rotations} / ${refresh.early_rotations}`, "- / 0"],
      ["  max concurrent refreshes of a grant", refresh.max_concurrent_refreshes, 1],
      ["reads answered 5xx", `${g.reads_5xx.value} of ${reads.length}`, "-"],
      ...Object.entries(fiveXX).map(([k, v]): (string | number)[] => [`  ${k}`, v, k.startsWith("500") ? 0 : "-"]),
      ["data served after a disconnect", `${afterDisconnect.length} (${disconnectedReads} reads)`, 0],
      ["webhooks lost", webhooksLost, 0],
      ["  outbox events / received ids", `${outbox.size} / ${received.size}`, "-"],
      ["  still pending after the drain", pendingAtEnd, 0],
      ["D1 calls per hour (soak pace)", g.d1_and_queue_per_hour.d1_calls_per_hour, "-"],
      ["queue send calls per hour (soak pace)", g.d1_and_queue_per_hour.queue_send_calls_per_hour, "-"],
      [
        "reads while reconnect required (200 / 409)",
        `${whileReconnectRequired.by_status["200"] ?? 0} / ${whileReconnectRequired.by_status["409"] ?? 0}`,
        "-",
      ],
      ["fetch messages queued at the soak's end", atSoakEnd.unacked_messages["zebbra-fetch"] ?? 0, "-"],
      ["worker error lines", workerErrors.length, "-"],
    ],
  );
  for (const w of warnings) console.warn(`warning: ${w}`);
} finally {
  const log = join(tmpdir(), `zebbra-soak-wrangler-${Date.now()}.log`);
  writeFileSync(log, server.output());
  console.log(`wrangler's output: ${log}`);
  await server.stop();
  await fake.close();
  rmSync(workerDir, { recursive: true, force: true });
  console.log(`soak done in ${((Date.now() - startedAt) / 1000).toFixed(0)} s`);
}
