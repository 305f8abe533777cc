// Login and callback for one provider (the IntegrationOAuth endpoints of Zebbra's original framework), mounted for every
// registry entry at /integration/<name>/login and /callback. The OAuth steps themselves live in the
// framework. A completed consent is only held: it becomes a connection when the user who started it
// confirms it (POST /integration/connections/confirm), so a grant lands only where its user meant it.
import { Hono } from "hono/tiny";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import * as z from "zod/mini";
import { appForConnection, ConnectionConfigError } from "../../framework/connection-config";
import { clampCode, FailureError } from "../../framework/failure";
import { resolveOAuthApp, requireApp } from "../../framework/oauth/app";
import { newCodeVerifier, TokenEndpointError } from "../../framework/oauth/client";
import { type Authorized, authorizationUrl, exchangeCode } from "../../framework/oauth/flow";
import type { OAuthApp } from "../../framework/oauth/types";
import { displayName, type RegisteredProvider } from "../../framework/provider";
import { appOrigins, connectTarget, publicBase } from "../../framework/settings";
import { claimKey, type OAuthState, saveState, takeConnectSession, takeState } from "../../framework/state";
import type { GrantTenant } from "../../storage/schema";
import { workspaceClient } from "../../workspace/client";
import { authConfigFromEnv, authenticate, authorize } from "../auth";
import { describe } from "../docs";
import type { AppEnv } from "../env";
import { statusOf } from "../errors";
import { popupPage, type PopupOutcome, providerErrorText } from "../pages";
import { described, fields, query } from "../validate";

// Written by wrangler when it bundles (docs.ts describe): a deploy drops the route docs below.
declare const process: { readonly env: { readonly NODE_ENV?: string } };

const loginQuery = z
  .object({
    workspace_id: z.optional(fields.workspaceId),
    return_to: z.optional(
      described(
        z.string().check(z.maxLength(2048)),
        "With workspace_id: where the browser comes back after consent (303, an absolute URL on one of the host app's origins)",
      ),
    ),
    session: z.optional(
      described(
        z.string().check(z.minLength(1), z.maxLength(200)),
        "One-time id from POST /integration/connect-sessions",
      ),
    ),
  })
  .check(
    z.refine((q) => (q.workspace_id === undefined) !== (q.session === undefined), {
      message: "Pass either session or workspace_id (with a bearer token), not both",
    }),
  );

const callbackQuery = z.object({
  state: z.optional(z.string()),
  code: z.optional(z.string()),
  error: z.optional(z.string()),
  error_description: z.optional(z.string()),
});

/** The login path of a provider; connect sessions hand it out. */
export const loginPath = (provider: RegisteredProvider) => `/integration/${provider.slug}/login`;
const callbackPath = (provider: RegisteredProvider) => `/integration/${provider.slug}/callback`;

/** The popup's error page for a flow that never reached its state: posted to the first app origin. */
function errorPage(
  c: Context<AppEnv, string>,
  provider: RegisteredProvider,
  status: ContentfulStatusCode,
  code: string,
  message: string,
) {
  return popupPage(
    c,
    { integration: provider.name, status: "error", code, message },
    appOrigins(c.env)[0] ?? "",
    status,
  );
}

/**
 * How a flow that got as far as its state ends: back to the host app's `return_to` (303, with
 * `integration` and `confirm_token` or `error` in the query) when it gave one, else on the popup
 * page, which posts to the app origin that started it.
 */
function finish(
  c: Context<AppEnv, string>,
  provider: RegisteredProvider,
  state: OAuthState,
  outcome: PopupOutcome,
  status: ContentfulStatusCode,
): Response | Promise<Response> {
  if (!state.returnTo) return popupPage(c, outcome, state.appOrigin ?? appOrigins(c.env)[0] ?? "", status);
  const url = new URL(state.returnTo);
  url.searchParams.set("integration", provider.name);
  if (outcome.status === "authorized") url.searchParams.set("confirm_token", outcome.confirmToken);
  else url.searchParams.set("error", clampCode(outcome.error ?? outcome.code));
  return c.body(null, 303, {
    Location: url.toString(),
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
  });
}

function failed(
  c: Context<AppEnv, string>,
  provider: RegisteredProvider,
  state: OAuthState,
  status: ContentfulStatusCode,
  code: string,
  message: string,
): Response | Promise<Response> {
  return finish(c, provider, state, { integration: provider.name, status: "error", code, message }, status);
}

export function oauthRoutes(provider: RegisteredProvider) {
  const name = displayName(provider);

  return new Hono<AppEnv>()
    .get(
      loginPath(provider),
      describe(
        process.env.NODE_ENV !== "production" && {
          tag: "OAuth",
          summary: `Start connecting ${name}: redirects to its authorize page`,
          description:
            "Either `session` (from POST /integration/connect-sessions; for a popup) or `workspace_id` with the bearer token in the Authorization header (for server-side redirects).",
          access: "public",
          responses: {
            302: { description: `Redirect to ${name}'s authorize URL with state and PKCE` },
            400: { description: "Invalid, used or expired session (an HTML page), or invalid input" },
            503: { description: "The provider's client credentials are not configured" },
          },
        },
      ),
      query(loginQuery),
      async (c) => {
        const q = c.req.valid("query");
        let workspaceId: string;
        let userId: string;
        let config: Record<string, string> = {};
        let target: { appOrigin: string; returnTo: string | null };
        if (q.session !== undefined) {
          const session = await takeConnectSession(c.env.OAUTH_KV, q.session);
          const claimed =
            session !== null &&
            session.integration === provider.name &&
            (await workspaceClient(c.env, session.workspaceId).claimOnce(
              claimKey("session", q.session),
              session.expiresAt,
            ));
          if (!session || !claimed) {
            return errorPage(
              c,
              provider,
              400,
              "session_invalid",
              "This connection link has expired or was already used. Go back to the app and start again.",
            );
          }
          workspaceId = session.workspaceId;
          userId = session.userId;
          config = session.config;
          // Sessions made before connects could come back have neither: the first app origin, a popup.
          target = { appOrigin: session.appOrigin ?? appOrigins(c.env)[0] ?? "", returnTo: session.returnTo ?? null };
        } else {
          if (provider.connectionConfig) {
            throw new FailureError(
              "invalid_request",
              `${name} needs connection config (${Object.keys(provider.connectionConfig).join(", ")}): start with POST /integration/connect-sessions`,
            );
          }
          const user = await authenticate(c.req.header("Authorization"), authConfigFromEnv(c.env));
          workspaceId = q.workspace_id!;
          authorize(user, workspaceId, "member");
          const checked = connectTarget(c.env, { returnTo: q.return_to });
          if (!checked.ok) throw new FailureError("invalid_return_to", checked.message);
          target = checked;
          const admitted = await workspaceClient(c.env, workspaceId).admit("connect_session");
          if (!admitted.ok) throw FailureError.of(admitted.failure);
          userId = user.id;
        }
        let app;
        try {
          app = appForConnection(provider, requireApp(provider, c.env), config);
        } catch (err) {
          // A popup shows a page; a server-side redirect gets the JSON error.
          if (q.session !== undefined && err instanceof FailureError)
            return errorPage(c, provider, statusOf(err.reason), err.reason, err.message);
          // A session's config that passed when it was made and no longer does (a rule tightened).
          if (err instanceof ConnectionConfigError) throw new FailureError("invalid_request", err.message);
          throw err;
        }
        const redirectUri = publicBase(c.env, c.req.url) + callbackPath(provider);
        const codeVerifier = app.pkce ? newCodeVerifier() : null;
        const { id } = await saveState(c.env.OAUTH_KV, {
          workspaceId,
          userId,
          integration: provider.name,
          codeVerifier,
          redirectUri,
          config,
          tokenOrigin: new URL(app.tokenUrl).origin,
          ...target,
        });
        const url = authorizationUrl(app, redirectUri, id, codeVerifier);
        return c.body(null, 302, {
          Location: url.toString(),
          "Cache-Control": "no-store",
          "Referrer-Policy": "no-referrer",
        });
      },
    )
    .get(
      callbackPath(provider),
      describe(
        process.env.NODE_ENV !== "production" && {
          tag: "OAuth",
          summary: `${name} redirects here after the user's decision`,
          access: "public",
          responses: {
            200: {
              description:
                "Authorized: a page that posts the one-time confirm_token to the host app origin that started it (one of APP_ORIGIN's); nothing is connected until it is confirmed",
              contentType: "text/html",
            },
            303: {
              description:
                "A connect started with return_to: back to it, with `integration` and `confirm_token` or `error` (a code of `[a-z_]{1,64}`) in the query",
            },
            400: {
              description:
                "Invalid, used, expired or foreign state, the provider refused, or it named no valid tenant (QuickBooks: realmId)",
              contentType: "text/html",
            },
            502: {
              description:
                "The provider failed to exchange the code (400 when it refused the code) or to name the tenant",
              contentType: "text/html",
            },
          },
        },
      ),
      query(callbackQuery),
      (c) => oauthCallback(c, provider, c.req.valid("query")),
    );
}

/**
 * The provider's redirect back (the callback endpoint of Zebbra's original framework): checks the
 * state and the provider's answer, exchanges the code at the token endpoint the login bound, and
 * holds the grant in the workspace's object until its user confirms it. Every outcome is a page (or a
 * 303 to `return_to`); nothing here becomes a connection.
 */
async function oauthCallback(
  c: Context<AppEnv, string>,
  provider: RegisteredProvider,
  q: z.infer<typeof callbackQuery>,
): Promise<Response> {
  const name = displayName(provider);
  const state = q.state ? await consumeState(c.env, provider, q.state) : null;
  if (!state) {
    return errorPage(
      c,
      provider,
      400,
      "state_invalid",
      "This sign-in attempt has expired, was already used, or did not start here. Close this window and connect again from the app.",
    );
  }
  if (q.error !== undefined) {
    // A fixed text per OAuth error code: the provider's own description is not shown or posted.
    const { code, text } = providerErrorText(q.error, name);
    return finish(
      c,
      provider,
      state,
      {
        integration: provider.name,
        status: "error",
        code: "provider_refused",
        error: code,
        message: `${text} Close this window and try again if this was a mistake.`,
      },
      400,
    );
  }
  if (!q.code)
    return failed(
      c,
      provider,
      state,
      400,
      "code_missing",
      `${name} sent no authorization code. Close this window and try again.`,
    );
  // A provider that names the tenant in the redirect (QuickBooks: realmId) is checked before the
  // code is spent, so a missing or malformed one leaves nothing to store or revoke.
  const callbackTenant = provider.tenantFromCallback?.(new URL(c.req.url).searchParams);
  if (callbackTenant === null)
    return failed(
      c,
      provider,
      state,
      statusOf("invalid_request"),
      "tenant_invalid",
      `${name} did not say which account was connected. Close this window and try again.`,
    );

  const resolution = resolveOAuthApp(provider, c.env);
  if (!resolution.configured)
    return failed(c, provider, state, 503, "provider_not_configured", `${name} is not configured on this server.`);
  // The code and the client secret go only to the token endpoint of the host the user consented
  // at: a state whose endpoint no longer resolves the same (settings changed, a stored value that
  // no longer passes) is refused before anything is sent.
  const app = tokenAppFor(provider, resolution.app, state);
  if (!app)
    return failed(
      c,
      provider,
      state,
      400,
      "state_invalid",
      `This sign-in attempt no longer matches ${name}'s settings here. Close this window and connect again.`,
    );
  let authorized: Authorized;
  try {
    authorized = await exchangeCode(provider, app, {
      code: q.code,
      codeVerifier: state.codeVerifier,
      redirectUri: state.redirectUri,
      tenant: callbackTenant,
    });
  } catch (err) {
    if (err instanceof TokenEndpointError) {
      console.warn("code exchange failed", provider.name, err.kind, err.code, err.status);
      // The provider refusing the code (RFC 6749 §5.2) means the code was bad: a client error.
      return failed(
        c,
        provider,
        state,
        err.kind === "rejected" ? 400 : 502,
        "exchange_failed",
        `${name} could not complete the connection (${err.code}). Close this window and try again.`,
      );
    }
    if (err instanceof FailureError) {
      return failed(
        c,
        provider,
        state,
        statusOf(err.reason),
        err.reason,
        `Connected, but ${err.message}. Close this window and try again.`,
      );
    }
    console.error("tenant lookup failed", provider.name, err instanceof Error ? err.message : String(err));
    return failed(
      c,
      provider,
      state,
      502,
      "tenant_lookup_failed",
      `Connected to ${name}, but could not read the account it belongs to. Close this window and try again.`,
    );
  }
  const { tokens } = authorized;
  const tenants: GrantTenant[] = authorized.tenants.map((t) => ({
    id: t.tenantId,
    name: t.tenantName ?? null,
    type: t.tenantType ?? null,
    readable: t.readable ?? true,
    additionalInfo: t.additionalInfo ?? {},
  }));
  if (!tenants.some((t) => t.readable))
    return failed(
      c,
      provider,
      state,
      502,
      "tenant_lookup_failed",
      `${name} granted access to no company this service can read. Close this window and try again.`,
    );
  let held: { confirmToken: string };
  try {
    held = await workspaceClient(c.env, state.workspaceId).holdGrant({
      integration: provider.name,
      userId: state.userId,
      tokens: { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, tokenType: tokens.tokenType },
      expiresAt: tokens.expiresAt,
      scope: tokens.scope,
      refreshHardExpiresAt: tokens.refreshHardExpiresAt ?? null,
      tenants,
      config: state.config,
    });
  } catch (err) {
    console.error("holding the grant failed", provider.name, err instanceof Error ? err.name : "unknown");
    return failed(
      c,
      provider,
      state,
      500,
      "internal_error",
      `${name} granted access, but it could not be saved. Close this window and try again.`,
    );
  }
  return finish(
    c,
    provider,
    state,
    {
      integration: provider.name,
      status: "authorized",
      confirmToken: held.confirmToken,
      message: `${name} authorized. Return to the app to finish connecting; you can close this window.`,
      // The choice to make at confirm: every tenant, a practice listed with its type though it cannot be read.
      ...(tenants.filter((t) => t.readable).length > 1
        ? { tenants: tenants.map((t) => ({ id: t.id, name: t.name, type: t.type })) }
        : {}),
    },
    200,
  );
}

/** The app for the state's connection config, or null unless its token endpoint is the one the login bound. */
function tokenAppFor(provider: RegisteredProvider, app: OAuthApp, state: OAuthState): OAuthApp | null {
  let resolved: OAuthApp;
  try {
    resolved = appForConnection(provider, app, state.config);
  } catch (err) {
    if (err instanceof ConnectionConfigError) return null;
    throw err;
  }
  return URL.canParse(resolved.tokenUrl) && new URL(resolved.tokenUrl).origin === state.tokenOrigin ? resolved : null;
}

/** Takes the state from KV and claims it in the workspace's object; null unless it is ours, live and unused. */
async function consumeState(env: Env, provider: RegisteredProvider, id: string): Promise<OAuthState | null> {
  const state = await takeState(env.OAUTH_KV, id);
  if (!state || state.integration !== provider.name) return null;
  const fresh = await workspaceClient(env, state.workspaceId).claimOnce(claimKey("state", id), state.expiresAt);
  return fresh ? state : null;
}
