// Test helpers: signing the host app's JWTs and calling the worker.
import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { sign } from "hono/jwt";
import { createApp } from "../src/edge/app";
import { db } from "../src/storage/db";
import { storeAccess } from "../src/workspace/integration-access";
import { keyRingFromEnv } from "../src/framework/crypto";
import { addMonths, monthEnd } from "../src/framework/dates";
import type { FetchRun } from "../src/framework/runs";
import { type AccessOutcome, workspaceClient } from "../src/workspace/client";
import type { RegisteredProvider } from "../src/framework/provider";
import { providerList } from "../src/providers/registry";
import { ConnectionStore } from "../src/workspace/connections";
import { TokenLifecycle } from "../src/workspace/tokens";
import { WebhookEvents } from "../src/workspace/webhook-events";
import { consent, createGrant, type MintedGrant } from "./fake-client";

export type Role = "admin" | "member";

/** A bearer token as the host app would mint it. */
export async function token(
  workspaces: Record<string, Role>,
  opts: { sub?: string; exp?: number; secret?: string; claims?: Record<string, unknown> } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return sign(
    {
      sub: opts.sub ?? "user-1",
      iat: now,
      exp: opts.exp ?? now + 600,
      iss: env.AUTH_JWT_ISSUER,
      aud: env.AUTH_JWT_AUDIENCE,
      workspaces,
      ...opts.claims,
    },
    opts.secret ?? env.AUTH_JWT_SECRET,
    "HS256",
  );
}

/**
 * A provider name the registry does not hold. Derived, not hard-coded: whatever name a test picked
 * (Quickbooks, say) is one somebody may scaffold next.
 */
export function unregisteredName(): string {
  let name = "Unregistered";
  const taken = (candidate: string) => providerList.some((p) => p.slug === candidate.toLowerCase());
  for (let n = 2; taken(name); n++) name = `Unregistered${n}`;
  return name;
}

/** Calls the worker through its real fetch handler. */
export function call(path: string, init: RequestInit & { bearer?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.bearer) headers.set("Authorization", `Bearer ${init.bearer}`);
  return exports.default.fetch(new Request(new URL(path, "https://integrations.example.test"), { ...init, headers }));
}

/** The worker's env as `wrangler dev` with .dev.vars.example has it: ENVIRONMENT=development. */
export const developmentEnv = { ...env, ENVIRONMENT: "development" } as Env;
let developmentApp: ReturnType<typeof createApp> | undefined;

/**
 * Calls the HTTP app built for ENVIRONMENT=development (the sandbox and the console mounted). The
 * Durable Objects and jobs keep the test env, so this serves the edge only.
 */
export async function callDevelopment(path: string, init: RequestInit & { bearer?: string } = {}): Promise<Response> {
  developmentApp ??= createApp(developmentEnv);
  const headers = new Headers(init.headers);
  if (init.bearer) headers.set("Authorization", `Bearer ${init.bearer}`);
  const ctx = createExecutionContext();
  const res = await developmentApp.fetch(
    // A local run: development surfaces answer loopback hosts only.
    new Request(new URL(path, "http://127.0.0.1:8787"), { ...init, headers }),
    developmentEnv,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res;
}

export async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  const body = await res.json<{ error: { code: string; message: string } }>();
  return body.error;
}

/** The raw integration_access row, as D1 holds it. */
export function rawAccessRow(workspaceId: string, integration: string): Promise<Record<string, unknown> | null> {
  return env.DB.prepare("SELECT * FROM integration_access WHERE workspace_id = ? AND integration = ?")
    .bind(workspaceId, integration)
    .first();
}

/** Creates a connect session as the host app would (for user `sub`) and returns its login URL. */
export async function connectSession(
  workspaceId: string,
  integration: string,
  role: Role = "member",
  sub = "user-1",
  config?: Record<string, string>,
): Promise<string> {
  const res = await call("/integration/connect-sessions", {
    method: "POST",
    bearer: await token({ [workspaceId]: role }, { sub }),
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ workspace_id: workspaceId, integration, ...(config ? { config } : {}) }),
  });
  if (res.status !== 201) throw new Error(`connect-sessions answered ${res.status}: ${await res.text()}`);
  return (await res.json<{ url: string }>()).url;
}

/** Follows the worker's login redirect; returns the provider authorize URL. */
export async function login(
  url: string,
  init: RequestInit & { bearer?: string } = {},
  via: typeof call = call,
): Promise<URL> {
  const res = await via(url, { redirect: "manual", ...init });
  if (res.status !== 302) throw new Error(`login answered ${res.status}: ${await res.text()}`);
  return new URL(res.headers.get("Location")!);
}

/** Asks the workspace's Durable Object for a usable token, over real RPC. */
export async function accessOutcome(
  workspaceId: string,
  integration: string,
  tenantId?: string,
): Promise<AccessOutcome> {
  return workspaceClient(env, workspaceId).getIntegrationAccess({ integration, tenantId });
}

/**
 * Asks for a usable token inside the workspace's object, through a TokenLifecycle built as the object
 * builds its own, on its storage, but with `vars` over the env (e.g. a short TOKEN_REFRESH_TIMEOUT_MS
 * where the timeout is what a test is about) and `provider` over the registry's entry.
 */
export function accessWithSettings(
  workspaceId: string,
  integration: string,
  opts: { vars?: Record<string, string>; provider?: Partial<RegisteredProvider> } = {},
): Promise<AccessOutcome> {
  const tuned = { ...env, ...opts.vars } as Env;
  const provider = { ...providerList.find((p) => p.name === integration)!, ...opts.provider } as RegisteredProvider;
  return runInDurableObject(env.WORKSPACE.getByName(workspaceId), async (_instance, state) => {
    const ring = () => keyRingFromEnv(tuned);
    const d = db(tuned.DB);
    const store = new ConnectionStore(state.storage, d, workspaceId, ring, new WebhookEvents(tuned, d, workspaceId));
    const lifecycle = new TokenLifecycle(
      state.storage,
      store,
      tuned,
      ring,
      (name) => (name === integration ? provider : undefined),
      () => Promise.resolve(),
    );
    return lifecycle.getIntegrationAccess({ integration });
  });
}

/** Mints a grant at the fake provider and stores it as the workspace's connection, as a callback would. */
export async function seedConnection(
  workspaceId: string,
  provider: "xero" | "gusto",
  opts: { expiresInSeconds?: number; refreshTokenOnRefresh?: boolean; issuedAgoMs?: number } = {},
): Promise<MintedGrant> {
  const expiresIn = opts.expiresInSeconds ?? 1800;
  const grant = await createGrant({
    provider,
    expiresIn,
    ...(opts.refreshTokenOnRefresh === undefined ? {} : { refreshTokenOnRefresh: opts.refreshTokenOnRefresh }),
  });
  const now = Date.now();
  await storeAccess(db(env.DB), await keyRingFromEnv(env), {
    workspaceId,
    integration: provider === "xero" ? "Xero" : "Gusto",
    tokens: { accessToken: grant.access_token, refreshToken: grant.refresh_token, tokenType: "Bearer" },
    expiresAt: now + expiresIn * 1000,
    scope: grant.scope,
    tenantId: grant.tenantIds.at(-1) ?? "",
    additionalInfo: {},
    tokensIssuedAt: now - (opts.issuedAgoMs ?? 1800_000),
  });
  return grant;
}

/** GET /integration/data as a member of the workspace. */
export async function getData(workspaceId: string, integration: string, fromDate: string): Promise<Response> {
  return call(`/integration/data?workspace_id=${workspaceId}&integration=${integration}&from_date=${fromDate}`, {
    bearer: await token({ [workspaceId]: "member" }),
  });
}

/** What `fn` throws, or undefined when it returns. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (caught) {
    return caught;
  }
  return undefined;
}

/** Every month end from `from`'s month to `to`'s month, both included (expected report columns). */
export function monthEndsBetween(from: string, to: string): string[] {
  const ends: string[] = [];
  for (let month = monthEnd(from); month <= monthEnd(to); month = monthEnd(addMonths(month, 1))) ends.push(month);
  return ends;
}

/** The one-time confirm token an "authorized" callback page carries (in its posted message), or null. */
export function confirmTokenOf(html: string): string | null {
  return /"confirm_token":"([A-Za-z0-9_-]+)"/.exec(html)?.[1] ?? null;
}

/** POST /integration/connections/confirm as the host app would, for user `sub` with `role`. */
export async function confirm(
  workspaceId: string,
  integration: string,
  confirmToken: string,
  opts: { role?: Role; sub?: string; tenantIds?: string[] } = {},
): Promise<Response> {
  return call("/integration/connections/confirm", {
    method: "POST",
    bearer: await token({ [workspaceId]: opts.role ?? "member" }, { sub: opts.sub ?? "user-1" }),
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      workspace_id: workspaceId,
      integration,
      confirm_token: confirmToken,
      ...(opts.tenantIds ? { tenant_ids: opts.tenantIds } : {}),
    }),
  });
}

/**
 * The popup flow up to the callback, as a host app and its user run it: connect session, login,
 * consent at the (fake) provider, callback. Returns the callback page and its confirm token.
 */
export async function authorizeThroughPopup(
  workspaceId: string,
  integration: string,
  opts: ConsentOptions = {},
): Promise<{ authorize: URL; callback: Response; html: string; code: string; state: string; confirmToken: string }> {
  const authorize = await login(
    await connectSession(workspaceId, integration, opts.role ?? "member", opts.sub, opts.config),
  );
  // The fake's consent hooks: the same company again (a reconnect), or several Xero organisations.
  const consented = new URL(authorize);
  if (opts.tenant) consented.searchParams.set("_fake_tenant", opts.tenant);
  if (opts.organisations) consented.searchParams.set("_fake_organisations", String(opts.organisations));
  const { location, code, state } = await consent(consented.toString());
  const callback = await call(location.toString());
  const html = await callback.text();
  const confirmToken = confirmTokenOf(html);
  if (!confirmToken)
    throw new Error(`callback answered ${callback.status} without a confirm token: ${html.slice(0, 300)}`);
  return { authorize, callback, html, code: code!, state: state!, confirmToken };
}

/** How the test user consents: role and user, the provider's config, and the fake's consent hooks. */
export interface ConsentOptions {
  role?: Role;
  sub?: string;
  config?: Record<string, string>;
  /** Consent to this company again (a reconnect), not a new one. */
  tenant?: string;
  /** Xero: tick this many organisations. */
  organisations?: number;
  /** The tenants to confirm, when the grant covers several. */
  tenantIds?: string[];
}

/** The whole flow: authorize through the popup, then confirm as the same user. */
export async function connectThroughPopup(
  workspaceId: string,
  integration: string,
  opts: ConsentOptions = {},
): Promise<{ code: string; confirmToken: string; confirmed: Response }> {
  const { code, confirmToken } = await authorizeThroughPopup(workspaceId, integration, opts);
  const confirmed = await confirm(workspaceId, integration, confirmToken, opts);
  if (confirmed.status !== 200) throw new Error(`confirm answered ${confirmed.status}: ${await confirmed.text()}`);
  return { code, confirmToken, confirmed };
}

/**
 * The fetch runs of a workspace's integration (one tenant's when given), newest first, read from its
 * object's log directly, so runs of a connection since disconnected still show.
 */
export async function fetchRuns(workspaceId: string, integration: string, tenantId?: string): Promise<FetchRun[]> {
  const runs = await runInDurableObject(env.WORKSPACE.getByName(workspaceId), (_instance, state) =>
    [...state.storage.kv.list<FetchRun>({ prefix: `run:${integration}/` })].map(([, run]) => run),
  );
  return runs
    .filter((r) => tenantId === undefined || r.tenantId === tenantId)
    .sort((a, b) => b.startedAt - a.startedAt || b.finishedAt - a.finishedAt);
}
