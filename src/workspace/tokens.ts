// The token lifecycle of one workspace, run inside its Durable Object: hand out usable access tokens,
// refreshing each expiry exactly once however many callers wait, persisting before anyone uses the
// result, and classifying failures so that only a rejected grant ever asks the user to reconnect.
import { exponentialBackoff, sleep } from "../framework/backoff";
import type { KeyRing } from "../framework/crypto";
import type { Failure, FailureReason } from "../framework/failure";
import { sha256Hex } from "../framework/hash";
import { registerOAuthApp } from "../framework/oauth/app";
import { TokenEndpointError } from "../framework/oauth/client";
import { refreshGrant } from "../framework/oauth/flow";
import type { OAuthApp } from "../framework/oauth/types";
import type { RegisteredProvider } from "../framework/provider";
import { lifecycleSettings } from "../framework/settings";
import { findProvider } from "../providers/registry";
import type { Db } from "../storage/db";
import { recordRefreshFailure } from "../storage/connections";
import { type IntegrationAccess, loadAccess, storeAccess } from "./integration-access";
import { SingleFlight } from "./single-flight";

/** What a caller gets: enough to call the provider's API, nothing to refresh with. */
export interface UsableAccess {
  integration: string;
  accessToken: string;
  tokenType: string | null;
  expiresAt: number | null;
  tenantId: string | null;
  apiBaseUrl: string;
  additionalInfo: Record<string, unknown>;
}

/** Plain data, so it crosses Durable Object RPC intact (thrown errors lose their class). */
export type AccessOutcome = { ok: true; access: UsableAccess } | { ok: false; failure: Failure };

/** RFC 6749 §5.2 codes that mean the grant or the client is no good: only a new consent helps. */
const RECONNECT_CODES = new Set(["invalid_grant", "invalid_client", "unauthorized_client"]);

/** DO storage key written before a refresh request leaves and removed once its outcome is stored. */
const MARKER_PREFIX = "refreshing:";

interface RefreshMarker {
  refreshTokenHash: string;
  startedAt: number;
}

/** min(5 minutes, half the token's lifetime), unless the provider sets its own margin. */
function refreshMargin(
  access: Pick<IntegrationAccess, "expiresAt" | "tokensIssuedAt">,
  providerMarginMs?: number,
): number {
  if (providerMarginMs !== undefined) return providerMarginMs;
  if (access.expiresAt === null) return 0;
  const lifetime = access.expiresAt - access.tokensIssuedAt;
  return Math.max(0, Math.min(5 * 60_000, lifetime / 2));
}

export class TokenLifecycle {
  private readonly cache = new Map<string, IntegrationAccess>();
  private readonly flights = new SingleFlight<AccessOutcome>();

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly env: Env,
    private readonly d: Db,
    private readonly ring: () => Promise<KeyRing>,
  ) {}

  /**
   * A usable access token for `integration`, refreshed first when it expires within the margin
   * (or always, with `force`). Concurrent callers share one load and at most one refresh.
   */
  async getIntegrationAccess(workspaceId: string, integration: string, force = false): Promise<AccessOutcome> {
    // A forced refresh arriving while a plain load is in flight waits for it, then refreshes
    // (or joins whatever started meanwhile).
    if (force) await this.flights.idle(integration);
    return this.flights.run(integration, () => this.resolve(workspaceId, integration, force));
  }

  /**
   * Waits for any load or refresh of `integration` to finish, then drops the cached connection and
   * any refresh marker: for writes that do not come from here (a new grant, a disconnect), which
   * must not be overwritten by a refresh of the old grant finishing after them.
   */
  async settle(integration: string): Promise<void> {
    await this.flights.idle(integration);
    this.cache.delete(integration);
    this.storage.kv.delete(MARKER_PREFIX + integration);
  }

  private async resolve(workspaceId: string, integration: string, force: boolean): Promise<AccessOutcome> {
    const provider = findProvider(integration);
    if (!provider) return failure("unknown_integration", `Unknown integration "${integration}"`);
    let access = this.cache.get(integration) ?? (await this.load(workspaceId, integration));
    if (!access) return failure("not_connected", `${integration} is not connected for this workspace`);

    const marker = this.storage.kv.get<RefreshMarker>(MARKER_PREFIX + integration);
    if (marker) {
      // A refresh started and its outcome was never recorded: the object restarted mid-refresh.
      // Storage, not memory, decides.
      access = (await this.load(workspaceId, integration)) ?? access;
      if (
        access.tokens.refreshToken &&
        sha256Hex(access.tokens.refreshToken) === marker.refreshTokenHash &&
        !access.requiresReconnect
      ) {
        // The provider may have consumed this refresh token; sending it again could revoke the
        // whole grant on servers with reuse detection, so it is never sent twice.
        await this.markFailure(
          access,
          "refresh_interrupted: a refresh was interrupted and its outcome is unknown",
          true,
        );
        access = { ...access, requiresReconnect: true };
      }
      this.storage.kv.delete(MARKER_PREFIX + integration);
    }
    if (access.requiresReconnect)
      return failure("reconnect_required", `${integration} must be connected again by a workspace member`);

    const resolution = registerOAuthApp(provider, this.env);
    if (!resolution.configured)
      return failure(
        "provider_not_configured",
        `${integration} is not configured: set ${resolution.missing.join(" and ")}`,
      );
    const now = Date.now();
    const due = access.expiresAt !== null && access.expiresAt - refreshMargin(access, provider.refreshMarginMs) <= now;
    if (!force && !due) return { ok: true, access: usable(access, resolution.app.apiBaseUrl) };
    if (!access.tokens.refreshToken) {
      // Nothing to refresh with: the access token serves until it expires, then only a reconnect helps.
      if (access.expiresAt === null || access.expiresAt > now)
        return { ok: true, access: usable(access, resolution.app.apiBaseUrl) };
      await this.markFailure(
        access,
        "no_refresh_token: the access token expired and the provider gave no refresh token",
        true,
      );
      return failure("reconnect_required", `${integration} must be connected again by a workspace member`);
    }
    return this.refresh(access, provider, resolution.app);
  }

  private async refresh(
    access: IntegrationAccess,
    provider: RegisteredProvider,
    app: OAuthApp,
  ): Promise<AccessOutcome> {
    const settings = lifecycleSettings(this.env);
    const refreshToken = access.tokens.refreshToken!;
    const markerKey = MARKER_PREFIX + access.integration;
    this.storage.kv.put<RefreshMarker>(markerKey, { refreshTokenHash: sha256Hex(refreshToken), startedAt: Date.now() });
    // The marker must be durable before the refresh token leaves this object.
    await this.storage.sync();

    let lastError: TokenEndpointError | null = null;
    for (let attempt = 0; attempt <= settings.retries; attempt++) {
      try {
        const tokens = await refreshGrant(provider, app, refreshToken, settings.timeoutMs);
        const now = Date.now();
        const next: IntegrationAccess = {
          ...access,
          // RFC 6749 §6: the server may keep the refresh token; then the old one stays valid.
          tokens: {
            accessToken: tokens.accessToken,
            refreshToken: tokens.refreshToken ?? refreshToken,
            tokenType: tokens.tokenType ?? access.tokens.tokenType,
          },
          expiresAt: tokens.expiresAt,
          scope: tokens.scope ?? access.scope,
          tokensIssuedAt: now,
          lastRefreshAt: now,
          lastRefreshError: null,
          refreshFailures: 0,
          requiresReconnect: false,
          updatedAt: now,
        };
        // Persist, then use: no caller sees tokens that D1 does not hold.
        await storeAccess(this.d, await this.ring(), next, now);
        this.cache.set(access.integration, next);
        this.storage.kv.delete(markerKey);
        return { ok: true, access: usable(next, app.apiBaseUrl) };
      } catch (err) {
        if (!(err instanceof TokenEndpointError)) {
          // Unknown failure (e.g. D1 down after a successful refresh): keep the marker, so a restart
          // does not resend a refresh token the provider may already have rotated.
          throw err;
        }
        lastError = err;
        if (err.kind !== "unavailable") break;
        if (attempt === settings.retries) break;
        const wait = err.retryAfterMs ?? exponentialBackoff(attempt, settings.backoffMs);
        if (wait > settings.maxWaitMs) break;
        await sleep(wait);
      }
    }
    this.storage.kv.delete(markerKey);
    const e = lastError!;
    const reconnect = e.kind === "rejected" && RECONNECT_CODES.has(e.code);
    await this.markFailure(access, `${e.code}: ${e.message}`, reconnect);
    if (reconnect)
      return failure(
        "reconnect_required",
        `${access.integration} refused the stored grant (${e.code}); a workspace member must connect again`,
      );
    if (e.kind === "unavailable") {
      return failure(
        "provider_unavailable",
        `${access.integration} is unavailable (${e.code}); try again later`,
        e.retryAfterMs ?? settings.backoffMs,
      );
    }
    return failure("refresh_failed", `${access.integration} could not refresh the token (${e.code})`);
  }

  private async load(workspaceId: string, integration: string): Promise<IntegrationAccess | null> {
    const access = await loadAccess(this.d, await this.ring(), workspaceId, integration);
    if (access) this.cache.set(integration, access);
    else this.cache.delete(integration);
    return access;
  }

  private async markFailure(access: IntegrationAccess, error: string, reconnect: boolean): Promise<void> {
    await recordRefreshFailure(this.d, access.workspaceId, access.integration, error, reconnect);
    this.cache.set(access.integration, {
      ...access,
      lastRefreshError: error,
      refreshFailures: access.refreshFailures + 1,
      requiresReconnect: access.requiresReconnect || reconnect,
    });
  }
}

function usable(access: IntegrationAccess, apiBaseUrl: string): UsableAccess {
  return {
    integration: access.integration,
    accessToken: access.tokens.accessToken,
    tokenType: access.tokens.tokenType,
    expiresAt: access.expiresAt,
    tenantId: access.tenantId,
    apiBaseUrl,
    additionalInfo: access.additionalInfo,
  };
}

function failure(reason: FailureReason, message: string, retryAfterMs?: number): AccessOutcome {
  return { ok: false, failure: retryAfterMs === undefined ? { reason, message } : { reason, message, retryAfterMs } };
}
