// Gusto's webhook subscriptions, as its API speaks them: POST /v1/webhook_subscriptions creates one
// (status "pending", with a verification_token the real Gusto POSTs to the subscription's url), and
// PUT /v1/webhook_subscriptions/{uuid}/verify with that token verifies it. Both take either the
// organization's API token in the `Token` scheme (API versions up to 2023-04-01) or a system access
// token in the `Bearer` scheme, which POST /oauth/token mints for `grant_type: system_access` with the
// app's credentials as JSON (from 2024-04-01: https://docs.gusto.com/app-integrations/docs/api-tokens). The fake does not POST the token itself (the
// worker under test has no address): tests read it from GET /_control/gusto/webhook_subscriptions
// and deliver the handshake. https://docs.gusto.com/embedded-payroll/docs/webhooks
// https://docs.gusto.com/embedded-payroll/reference/put-v1-verify-webhook-subscription-uuid
import { json, jsonOf, uuid } from "./http.ts";
import type { Ctx, Reply } from "./http.ts";

/** The organization-level API token the fake accepts (test/bindings.ts sets GUSTO_ORG_API_TOKEN to it). */
export const GUSTO_ORG_API_TOKEN = "gusto-org-api-token-for-tests";

export interface GustoSubscription {
  uuid: string;
  url: string;
  status: "pending" | "verified";
  subscription_types: string[];
  verification_token: string;
  /** Verify calls received, with the token each carried. */
  verifyCalls: { token: unknown; authorization: string }[];
}

export const gustoSubscriptions = new Map<string, GustoSubscription>();
/** System access tokens minted, each valid for two hours as Gusto's are. */
const systemTokens = new Map<string, number>();

/** POST /gusto/oauth/token with a JSON `system_access` body, or null for any other token request. */
function systemAccess(ctx: Ctx): Reply | null {
  if (!(ctx.req.headers["content-type"] ?? "").includes("application/json")) return null;
  let body: { grant_type?: unknown; client_id?: unknown; client_secret?: unknown } | undefined;
  try {
    body = jsonOf(ctx) as typeof body;
  } catch {
    return null;
  }
  if (body?.grant_type !== "system_access") return null;
  if (body.client_id !== "gusto-client" || body.client_secret !== "gusto-secret")
    return json(401, { error: "invalid_client", error_description: "client authentication failed" });
  const token = `system-${uuid()}`;
  systemTokens.set(token, Date.now() + 7200_000);
  return json(200, {
    access_token: token,
    token_type: "Bearer",
    created_at: Math.floor(Date.now() / 1000),
    expires_in: 7200,
  });
}

const gustoError = (status: number, category: string, message: string): Reply =>
  json(status, { errors: [{ error_key: "base", category, message }] });

const visible = ({ verification_token: _t, verifyCalls: _v, ...rest }: GustoSubscription) => rest;

/** `/gusto/api/v1/webhook_subscriptions…`, or null for any other path. */
export function gustoWebhookRoutes(ctx: Ctx, path: string): Reply | null {
  if (path === "/_control/gusto/webhook_subscriptions" && ctx.method === "GET")
    return json(200, [...gustoSubscriptions.values()]);
  if (path === "/gusto/oauth/token" && ctx.method === "POST") return systemAccess(ctx);
  const m = /^\/gusto\/api\/v1\/webhook_subscriptions(?:\/([^/]+)\/verify)?$/.exec(path);
  if (!m) return null;
  const authorization = ctx.req.headers["authorization"] ?? "";
  const bearer = /^Bearer (\S+)$/.exec(authorization)?.[1];
  const system = bearer !== undefined && (systemTokens.get(bearer) ?? 0) > Date.now();
  const authorized = authorization === `Token ${GUSTO_ORG_API_TOKEN}` || system;
  if (!m[1] && ctx.method === "POST") {
    if (!authorized) return gustoError(401, "invalid_token", "Unauthorized");
    const body = jsonOf(ctx) as { url?: unknown; subscription_types?: unknown } | undefined;
    if (typeof body?.url !== "string" || !Array.isArray(body.subscription_types))
      return gustoError(422, "invalid_request", "url and subscription_types are required");
    const sub: GustoSubscription = {
      uuid: uuid(),
      url: body.url,
      status: "pending",
      subscription_types: body.subscription_types.map(String),
      verification_token: uuid(),
      verifyCalls: [],
    };
    gustoSubscriptions.set(sub.uuid, sub);
    return json(201, visible(sub));
  }
  if (m[1] && ctx.method === "PUT") {
    const sub = gustoSubscriptions.get(decodeURIComponent(m[1]));
    const token = (jsonOf(ctx) as { verification_token?: unknown } | undefined)?.verification_token;
    sub?.verifyCalls.push({ token, authorization: system ? "Bearer" : authorized ? "Token" : "other" });
    if (!authorized) return gustoError(401, "invalid_token", "Unauthorized");
    if (!sub) return gustoError(404, "not_found", "Webhook subscription not found");
    if (token !== sub.verification_token) return gustoError(422, "invalid_request", "Invalid verification token");
    sub.status = "verified";
    return json(200, visible(sub));
  }
  return gustoError(404, "not_found", `Not found: ${ctx.method} ${path}`);
}
