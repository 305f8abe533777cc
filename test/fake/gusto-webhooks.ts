// Gusto's webhook subscriptions, as its API speaks them: POST /v1/webhook_subscriptions creates one
// (status "pending", with a verification_token the real Gusto POSTs to the subscription's url), and
// PUT /v1/webhook_subscriptions/{uuid}/verify with that token verifies it. Both take the
// organization's API token in the `Token` scheme. The fake does not POST the token itself (the
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

const gustoError = (status: number, category: string, message: string): Reply =>
  json(status, { errors: [{ error_key: "base", category, message }] });

const visible = ({ verification_token: _t, verifyCalls: _v, ...rest }: GustoSubscription) => rest;

/** `/gusto/api/v1/webhook_subscriptions…`, or null for any other path. */
export function gustoWebhookRoutes(ctx: Ctx, path: string): Reply | null {
  if (path === "/_control/gusto/webhook_subscriptions" && ctx.method === "GET")
    return json(200, [...gustoSubscriptions.values()]);
  const m = /^\/gusto\/api\/v1\/webhook_subscriptions(?:\/([^/]+)\/verify)?$/.exec(path);
  if (!m) return null;
  const authorization = ctx.req.headers["authorization"] ?? "";
  const authorized = authorization === `Token ${GUSTO_ORG_API_TOKEN}`;
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
    sub?.verifyCalls.push({ token, authorization: authorized ? "Token" : "other" });
    if (!authorized) return gustoError(401, "invalid_token", "Unauthorized");
    if (!sub) return gustoError(404, "not_found", "Webhook subscription not found");
    if (token !== sub.verification_token) return gustoError(422, "invalid_request", "Invalid verification token");
    sub.status = "verified";
    return json(200, visible(sub));
  }
  return gustoError(404, "not_found", `Not found: ${ctx.method} ${path}`);
}
