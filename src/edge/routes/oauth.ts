// IntegrationOAuth: the seed's connector, once for every registered provider. It resolves the
// provider's app (registerOAuthApp), serves login and callback on its own router, stores tokens
// (storeOAuthToken, with the provider's tenant lookup) and refreshes them (performTokenRefresh).
import type { Context } from "hono";
import { z } from "zod";
import { authConfigFromEnv, authenticate, authorize } from "../auth";
import type { AppEnv } from "../env";
import { AppError } from "../errors";
import { Api, fields } from "../http/api";
import { createProviderApi } from "../providers/api";
import type { RegisteredProvider } from "../providers/types";
import { workspaceStub } from "../workspace/stub";
import { createOAuthClient, newCodeVerifier, type OAuthClient, TokenEndpointError } from "./client";
import { type AppResolution, registerOAuthApp } from "./config";
import { popupPage } from "./pages";
import { claimKey, type OAuthState, saveState, takeConnectSession, takeState } from "./state";
import type { OAuthApp, TokenResponse } from "./types";

const loginQuery = z
  .object({
    workspace_id: fields.workspaceId.optional(),
    session: z.string().min(1).max(200).optional().describe("One-time id from POST /integration/connect-sessions"),
  })
  .refine((q) => (q.workspace_id === undefined) !== (q.session === undefined), { message: "Pass either session or workspace_id (with a bearer token), not both" });

const callbackQuery = z.object({
  state: z.string().optional(),
  code: z.string().optional(),
  error: z.string().optional(),
  error_description: z.string().optional(),
});

export class IntegrationOAuth {
  /** Login and callback, mounted by the app for every registry entry. */
  readonly router: Api;

  constructor(readonly provider: RegisteredProvider) {
    this.router = new Api();
    this.mountRoutes();
  }

  /** The seed's `integration`: the provider's registry name. */
  get integration(): string {
    return this.provider.name;
  }

  get displayName(): string {
    return this.provider.displayName ?? this.provider.name;
  }

  loginEndpoint() {
    return { method: "get" as const, path: `/integration/${this.provider.slug}/login` };
  }

  callbackEndpoint() {
    return { method: "get" as const, path: `/integration/${this.provider.slug}/callback` };
  }

  registerOAuthApp(env: Env): AppResolution {
    return registerOAuthApp(this.provider, env);
  }

  /** The resolved app, or a 503 naming the missing variables. */
  requireApp(env: Env): OAuthApp {
    const resolution = this.registerOAuthApp(env);
    if (!resolution.configured) {
      throw new AppError(503, "provider_not_configured", `${this.displayName} is not configured: set ${resolution.missing.join(" and ")}`);
    }
    return resolution.app;
  }

  client(app: OAuthApp, redirectUri: string): OAuthClient {
    return createOAuthClient(app, { redirectUri });
  }

  /** Where the provider sends the user back: PUBLIC_URL when set, else the request's origin. */
  redirectUri(env: Env, requestUrl: string): string {
    return publicBase(env, requestUrl) + this.callbackEndpoint().path;
  }

  /** The absolute login URL for a one-time connect session. */
  sessionLoginUrl(env: Env, requestUrl: string, sessionId: string): string {
    return `${publicBase(env, requestUrl)}${this.loginEndpoint().path}?${new URLSearchParams({ session: sessionId })}`;
  }

  /**
   * Looks up the tenant with the new tokens and stores the connection (replacing any earlier one,
   * requires_reconnect cleared) through the workspace's Durable Object.
   */
  async storeOAuthToken(env: Env, app: OAuthApp, workspaceId: string, tokens: TokenResponse): Promise<void> {
    const tenant = this.provider.lookupTenant
      ? await this.provider.lookupTenant(createProviderApi(app.apiBaseUrl, tokens.accessToken), tokens)
      : { tenantId: null };
    await workspaceStub(env, workspaceId).saveConnection({
      workspaceId,
      integration: this.integration,
      tokens: { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, tokenType: tokens.tokenType },
      expiresAt: tokens.expiresAt,
      scope: tokens.scope,
      tenantId: tenant.tenantId,
      additionalInfo: tenant.additionalInfo ?? {},
    });
  }

  /** The standard refresh grant (RFC 6749 §6), unless the provider declares its own. */
  performTokenRefresh(app: OAuthApp, refreshToken: string, timeoutMs?: number): Promise<TokenResponse> {
    const client = createOAuthClient(app, { redirectUri: "", timeoutMs });
    return this.provider.performTokenRefresh ? this.provider.performTokenRefresh(client, app, refreshToken) : client.refresh(refreshToken);
  }

  private mountRoutes(): void {
    const { displayName } = this;
    this.router.route(
      {
        ...this.loginEndpoint(),
        tag: "OAuth",
        summary: `Start connecting ${displayName}: redirects to its authorize page`,
        description:
          "Either `session` (from POST /integration/connect-sessions; for a popup) or `workspace_id` with the bearer token in the Authorization header (for server-side redirects).",
        access: "public",
        query: loginQuery,
        responses: {
          302: { description: `Redirect to ${displayName}'s authorize URL with state and PKCE` },
          400: { description: "Invalid input, or an unknown, used or expired session (an HTML page in session mode)" },
          503: { description: "The provider's client credentials are not configured" },
        },
      },
      (c, { query }) => this.login(c, query),
    );
    this.router.route(
      {
        ...this.callbackEndpoint(),
        tag: "OAuth",
        summary: `${displayName} redirects here after the user's decision`,
        access: "public",
        query: callbackQuery,
        responses: {
          200: { description: "Connected: a page that notifies the host app and can be closed", contentType: "text/html" },
          400: { description: "Invalid, used, expired or foreign state, or the provider refused", contentType: "text/html" },
          502: { description: "The provider failed to exchange the code or to name the tenant", contentType: "text/html" },
        },
      },
      (c, { query }) => this.callback(c, query),
    );
  }

  private async login(c: Context<AppEnv>, query: z.output<typeof loginQuery>): Promise<Response> {
    let workspaceId: string;
    let userId: string;
    if (query.session !== undefined) {
      const session = await takeConnectSession(c.env.OAUTH_KV, query.session);
      const claimed = session !== null && session.integration === this.integration && (await workspaceStub(c.env, session.workspaceId).claimOnce(claimKey("session", query.session), session.expiresAt));
      if (!session || !claimed) {
        return this.errorPage(c, 400, "session_invalid", "This connection link has expired or was already used. Go back to the app and start again.");
      }
      workspaceId = session.workspaceId;
      userId = session.userId;
    } else {
      const user = await authenticate(c.req.header("Authorization"), authConfigFromEnv(c.env));
      workspaceId = query.workspace_id!;
      authorize(user, workspaceId, "member");
      userId = user.id;
    }
    let app: OAuthApp;
    try {
      app = this.requireApp(c.env);
    } catch (err) {
      if (query.session !== undefined && err instanceof AppError) return this.errorPage(c, err.status, err.code, err.message);
      throw err;
    }
    const redirectUri = this.redirectUri(c.env, c.req.url);
    const codeVerifier = app.pkce ? newCodeVerifier() : null;
    const { id } = await saveState(c.env.OAUTH_KV, { workspaceId, userId, integration: this.integration, codeVerifier, redirectUri });
    const url = this.client(app, redirectUri).authorizationUrl(id, codeVerifier);
    return new Response(null, { status: 302, headers: { Location: url.toString(), "Cache-Control": "no-store", "Referrer-Policy": "no-referrer" } });
  }

  private async callback(c: Context<AppEnv>, query: z.output<typeof callbackQuery>): Promise<Response> {
    const state = query.state ? await this.consumeState(c.env, query.state) : null;
    if (!state) {
      return this.errorPage(c, 400, "state_invalid", "This sign-in attempt has expired, was already used, or did not start here. Close this window and connect again from the app.");
    }
    if (query.error !== undefined) {
      const detail = query.error_description ? `${query.error}: ${query.error_description}` : query.error;
      return this.errorPage(c, 400, "provider_refused", `${this.displayName} did not grant access (${detail}). Close this window and try again if this was a mistake.`);
    }
    if (!query.code) return this.errorPage(c, 400, "code_missing", `${this.displayName} sent no authorization code. Close this window and try again.`);

    const resolution = this.registerOAuthApp(c.env);
    if (!resolution.configured) return this.errorPage(c, 503, "provider_not_configured", `${this.displayName} is not configured on this server.`);
    let tokens: TokenResponse;
    try {
      tokens = await this.client(resolution.app, state.redirectUri).exchangeCode(query.code, state.codeVerifier);
    } catch (err) {
      if (!(err instanceof TokenEndpointError)) throw err;
      console.warn("code exchange failed", this.integration, err.kind, err.code, err.status);
      return this.errorPage(c, 502, "exchange_failed", `${this.displayName} could not complete the connection (${err.code}). Close this window and try again.`);
    }
    try {
      await this.storeOAuthToken(c.env, resolution.app, state.workspaceId, tokens);
    } catch (err) {
      if (err instanceof AppError) return this.errorPage(c, err.status, err.code, err.message);
      console.error("storing the connection failed", this.integration, err instanceof Error ? err.message : String(err));
      return this.errorPage(c, 502, "tenant_lookup_failed", `Connected to ${this.displayName}, but could not read the account it belongs to. Close this window and try again.`);
    }
    return popupPage({ integration: this.integration, status: "connected", message: `${this.displayName} connected. You can close this window.` }, c.env.APP_ORIGIN, 200);
  }

  /** Takes the state from KV and claims it in the workspace's object; null unless it is ours, live and unused. */
  private async consumeState(env: Env, id: string): Promise<OAuthState | null> {
    const state = await takeState(env.OAUTH_KV, id);
    if (!state || state.integration !== this.integration) return null;
    const fresh = await workspaceStub(env, state.workspaceId).claimOnce(claimKey("state", id), state.expiresAt);
    return fresh ? state : null;
  }

  private errorPage(c: Context<AppEnv>, status: number, code: string, message: string): Response {
    return popupPage({ integration: this.integration, status: "error", code, message }, c.env.APP_ORIGIN, status);
  }
}

function publicBase(env: Env, requestUrl: string): string {
  const configured = env.PUBLIC_URL?.trim();
  return configured ? configured.replace(/\/+$/, "") : new URL(requestUrl).origin;
}
