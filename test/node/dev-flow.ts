// What a host app and a person's browser do against a running `wrangler dev`, over real HTTP:
// mint the host app's JWT, open a connect session, answer the sandbox's consent form, confirm the
// grant, fire the cron through wrangler's local trigger, wait for the fetch.
import { sign } from "hono/jwt";

export interface Dev {
  url: string;
  jwtSecret: string;
}

export async function bearer(dev: Dev, workspaces: Record<string, "admin" | "member">, sub = "user-1") {
  const now = Math.floor(Date.now() / 1000);
  return sign({ sub, iat: now, exp: now + 600, workspaces }, dev.jwtSecret, "HS256");
}

export async function api<T>(dev: Dev, path: string, init: RequestInit & { bearer?: string } = {}) {
  const headers = new Headers(init.headers);
  if (init.bearer) headers.set("Authorization", `Bearer ${init.bearer}`);
  if (init.body) headers.set("Content-Type", "application/json");
  const res = await fetch(`${dev.url}${path}`, { ...init, headers });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

/** Follows one redirect by hand, returning its target. */
async function redirectOf(res: Response): Promise<string> {
  if (res.status < 300 || res.status > 399)
    throw new Error(`expected a redirect, got ${res.status}: ${await res.text()}`);
  return res.headers.get("Location")!;
}

/** What the callback page posted: the confirm token, and the tenants to choose from when the grant covers several. */
export interface Consented {
  callback: URL;
  confirmToken: string;
  tenants: { id: string; name: string | null }[] | null;
}

/**
 * A connection up to the callback page, the way the console makes one minus the browser: connect
 * session → login → the provider's consent (`consent` gets the authorize URL, returns where the
 * provider sent the browser back) → callback page, as user-1, an admin of the workspace.
 */
export async function consentTo(
  dev: Dev,
  workspaceId: string,
  integration: string,
  consent: (authorizeUrl: string) => Promise<string>,
): Promise<Consented> {
  const jwt = await bearer(dev, { [workspaceId]: "admin" });
  const session = await api<{ url: string }>(dev, "/integration/connect-sessions", {
    method: "POST",
    bearer: jwt,
    body: JSON.stringify({ workspace_id: workspaceId, integration }),
  });
  if (session.status !== 201) throw new Error(`connect-sessions answered ${session.status}`);
  const callback = await consent(await redirectOf(await fetch(session.body.url, { redirect: "manual" })));
  const page = await (await fetch(callback)).text();
  const confirmToken = /"confirm_token":"([A-Za-z0-9_-]+)"/.exec(page)?.[1];
  if (!confirmToken) throw new Error("the callback page carries no confirm_token");
  const listed = /"tenants":(\[[^\]]*\])/.exec(page)?.[1];
  const tenants = listed ? (JSON.parse(listed) as { id: string; name: string | null }[]) : null;
  return { callback: new URL(callback), confirmToken, tenants };
}

/** Confirms a consent as the same user-1, naming `tenantIds` when given. */
export async function confirm(
  dev: Dev,
  workspaceId: string,
  integration: string,
  confirmToken: string,
  tenantIds?: string[],
) {
  return api<Record<string, unknown>>(dev, "/integration/connections/confirm", {
    method: "POST",
    bearer: await bearer(dev, { [workspaceId]: "admin" }),
    body: JSON.stringify({
      workspace_id: workspaceId,
      integration,
      confirm_token: confirmToken,
      ...(tenantIds ? { tenant_ids: tenantIds } : {}),
    }),
  });
}

/** Connects a provider (consentTo, then confirm, of `tenantIds` when given); returns the callback URL. */
export async function connect(
  dev: Dev,
  workspaceId: string,
  integration: string,
  consent: (authorizeUrl: string) => Promise<string>,
  tenantIds?: string[],
): Promise<URL> {
  const { callback, confirmToken } = await consentTo(dev, workspaceId, integration, consent);
  const confirmed = await confirm(dev, workspaceId, integration, confirmToken, tenantIds);
  if (confirmed.status !== 200)
    throw new Error(`confirm answered ${confirmed.status}: ${JSON.stringify(confirmed.body)}`);
  return callback;
}

/**
 * Answers the sandbox's consent form as a person would: Approve, with the companies ticked
 * (`companies`; by default those the page ticks, its first company).
 */
export function sandboxConsent(dev: Dev, companies?: readonly string[]) {
  return async (authorize: string): Promise<string> => {
    const consentPage = await fetch(authorize);
    const html = await consentPage.text();
    const consent = /name="consent" value="([^"]+)"/.exec(html)?.[1];
    if (!consent) throw new Error(`no consent form at ${new URL(authorize).pathname} (${consentPage.status})`);
    const ticked = [...html.matchAll(/name="company" value="([^"]+)" checked>/g)].map((m) => m[1]!);
    const body = new URLSearchParams({ consent, decision: "approve" });
    for (const id of companies ?? ticked) body.append("company", id);
    return redirectOf(
      await fetch(`${dev.url}/sandbox/oauth/authorize`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body,
        redirect: "manual",
      }),
    );
  };
}

/**
 * Connects Sandbox or SandboxPayroll, approving on the sandbox's consent form with `companies`
 * ticked (by default its first); several are all confirmed.
 */
export function connectSandbox(
  dev: Dev,
  workspaceId: string,
  integration: "Sandbox" | "SandboxPayroll",
  companies?: string[],
) {
  const tenantIds = companies && companies.length > 1 ? companies : undefined;
  return connect(dev, workspaceId, integration, sandboxConsent(dev, companies), tenantIds);
}

/** Connects a provider whose authorize page consents at once (the test fake's): one redirect back. */
export function connectDirect(dev: Dev, workspaceId: string, integration: string) {
  return connect(dev, workspaceId, integration, async (authorize) =>
    redirectOf(await fetch(authorize, { redirect: "manual" })),
  );
}

/** Fires the cron trigger through wrangler dev's local endpoint, as docs/development.md says. */
export async function runCron(dev: Dev): Promise<void> {
  const res = await fetch(`${dev.url}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent("0 * * * *")}`);
  if (!res.ok) throw new Error(`the scheduled trigger answered ${res.status}`);
  await res.body?.cancel();
}
