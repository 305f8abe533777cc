// The token lifecycle of one workspace, run inside its Durable Object: hand out usable access tokens,
// refreshing each expiry exactly once however many callers wait (of every connection the grant
// backs), keeping a refreshed set durable before anyone uses it, and classifying failures so that
// only a rejected grant asks for a reconnect.
import { type KeyRing, sealTokens } from "../framework/crypto";
import type { Failure, FailureReason } from "../framework/failure";
import { sha256Hex } from "../framework/hash";
import { appForConnection, ConnectionConfigError } from "../framework/connection-config";
import { resolveOAuthApp } from "../framework/oauth/app";
import { TokenEndpointError } from "../framework/oauth/client";
import { refreshGrant, revokeGrant } from "../framework/oauth/flow";
import type { OAuthApp, TokenResponse } from "../framework/oauth/types";
import type { RegisteredProvider } from "../framework/provider";
import { jitteredBackoff, retry } from "../framework/retry";
import { lifecycleSettings } from "../framework/settings";
import { type Conn, type ConnectionRef, type ConnectionStore, tenantOrNull } from "./connections";
import type { IntegrationAccess } from "./integration-access";
import { SingleFlight } from "./single-flight";
import { MINUTE_MS } from "../framework/durations";

/** What a caller gets: enough to call the provider's API, nothing to refresh with. */
export interface UsableAccess {
  integration: string;
  /** The connection's tenant; null for a provider without tenants. */
  tenantId: string | null;
  accessToken: string;
  tokenType: string | null;
  expiresAt: number | null;
  apiBaseUrl: string;
  /** The OAuth app's client id (some APIs want it as a key header). */
  clientId: string;
  additionalInfo: Record<string, unknown>;
  /** The connection's connectionConfig values. */
  config: Record<string, string>;
  /** Which grant the token belongs to; work done with it is kept only while the connection holds it. */
  generation: number;
}

/** Plain data, so it crosses Durable Object RPC intact (thrown errors lose their class). */
export type AccessOutcome = { ok: true; access: UsableAccess } | { ok: false; failure: Failure };

/** RFC 6749 §5.2 codes that mean the grant or the client is no good: only a new consent helps. */
const RECONNECT_CODES = new Set(["invalid_grant", "invalid_client", "unauthorized_client"]);

/** Refresh regardless of expiry: always, never, or when the grant's tokens were issued before a time. */
export type Force = boolean | { issuedBefore: number };

/** DO storage key written before a refresh request leaves and removed once its outcome is stored: `refreshing:<integration>:<generation>`. */
const MARKER_PREFIX = "refreshing:";
const markerKey = (integration: string, generation: number) => `${MARKER_PREFIX}${integration}:${generation}`;
/** One grant: the connections of one consent share its tokens, and so its refreshes. */
const grantKey = (integration: string, generation: number) => `${integration}:${generation}`;

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
  return Math.max(0, Math.min(5 * MINUTE_MS, lifetime / 2));
}

export class TokenLifecycle {
  private readonly flights = new SingleFlight<AccessOutcome>();

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly store: ConnectionStore,
    private readonly env: Env,
    private readonly ring: () => Promise<KeyRing>,
    private readonly providerOf: (name: string) => RegisteredProvider | undefined,
    /** Asks for another attempt to write held token sets to D1 (the object's alarm). */
    private readonly retryFlushLater: () => Promise<void>,
  ) {}

  /**
   * A usable access token for the connection `ref` names, refreshed first when it expires within
   * the margin, or always with `force` (with `{ issuedBefore }`: when the grant's tokens are older
   * than that, so the keep-alive of one grant's several connections refreshes once). Concurrent
   * callers of one grant, whichever of its connections they name, share one load and at most one refresh.
   */
  async getIntegrationAccess(ref: ConnectionRef, force: Force = false): Promise<AccessOutcome> {
    if (!this.providerOf(ref.integration))
      return failure("unknown_integration", `Unknown integration "${ref.integration}"`);
    const found = await this.store.exclusive(ref.integration, () => this.store.resolve(ref));
    if (!found.ok) return found;
    const { conn } = found;
    const grant = grantKey(conn.integration, found.access.generation);
    // A forced refresh arriving while a plain load is in flight waits for it, then refreshes
    // (or joins whatever started meanwhile).
    if (force) await this.flights.idle(grant);
    const outcome = await this.flights.run(grant, () => this.resolve(conn, force));
    if (!outcome.ok || outcome.access.tenantId === tenantOrNull(conn.tenantId)) return outcome;
    // The flight was started for another connection of the grant: same tokens, this connection's tenant.
    const own = await this.store.load(conn);
    if (!own || own.generation !== outcome.access.generation)
      return failure("not_connected", `${conn.integration} was disconnected or replaced while its token was refreshed`);
    return {
      ok: true,
      access: { ...outcome.access, tenantId: tenantOrNull(own.tenantId), additionalInfo: own.additionalInfo },
    };
  }

  /** Drops a grant's crash marker, so a new grant never inherits the old grant's interrupted refresh. */
  clearMarker(integration: string, generation: number): void {
    this.storage.kv.delete(markerKey(integration, generation));
  }

  private async resolve(conn: Conn, force: Force): Promise<AccessOutcome> {
    const { integration } = conn;
    const provider = this.providerOf(integration);
    if (!provider) return failure("unknown_integration", `Unknown integration "${integration}"`);
    const access = await this.store.exclusive(integration, () => this.current(conn));
    if (!access) return failure("not_connected", `${integration} is not connected for this workspace`);
    if (access.requiresReconnect) {
      return failure("reconnect_required", `${integration} must be connected again by a workspace member`);
    }

    const resolution = resolveOAuthApp(provider, this.env);
    if (!resolution.configured) {
      return failure(
        "provider_not_configured",
        `${integration} is not configured: set ${resolution.missing.join(" and ")}`,
      );
    }
    let app: OAuthApp;
    try {
      app = appForConnection(provider, resolution.app, access.config);
    } catch (err) {
      if (err instanceof ConnectionConfigError) return failure("reconnect_required", err.message);
      throw err;
    }
    const now = Date.now();
    const due = access.expiresAt !== null && access.expiresAt - refreshMargin(access, provider.refreshMarginMs) <= now;
    const forced = force === true || (force !== false && access.tokensIssuedAt < force.issuedBefore);
    if (!forced && !due) return { ok: true, access: usable(access, app) };
    if (!access.tokens.refreshToken) {
      // Nothing to refresh with: the access token serves until it expires, then only a reconnect helps.
      if (access.expiresAt === null || access.expiresAt > now) return { ok: true, access: usable(access, app) };
      await this.store.markFailure(
        access,
        "no_refresh_token",
        "the access token expired and the provider gave no refresh token",
        true,
      );
      return failure("reconnect_required", `${integration} must be connected again by a workspace member`);
    }
    return this.refresh(access, access.tokens.refreshToken, provider, app);
  }

  /** The connection as storage has it, after settling a refresh a crash cut off. */
  private async current(conn: Conn): Promise<IntegrationAccess | null> {
    let access = await this.store.load(conn);
    if (!access) return null;
    const { integration, generation } = access;
    const marker = this.storage.kv.get<RefreshMarker>(markerKey(integration, generation));
    if (!marker) return access;
    // A refresh started and its outcome was never recorded: the object restarted mid-refresh.
    access = (await this.store.reload(conn)) ?? access;
    if (
      access.tokens.refreshToken &&
      sha256Hex(access.tokens.refreshToken) === marker.refreshTokenHash &&
      !access.requiresReconnect
    ) {
      // The provider may have consumed this refresh token; sending it again could revoke the whole
      // grant on servers with reuse detection, so it is never sent twice.
      await this.store.markFailure(
        access,
        "refresh_interrupted",
        "a refresh was interrupted and its outcome is unknown",
        true,
      );
      access = { ...access, requiresReconnect: true };
    }
    this.clearMarker(integration, generation);
    return access;
  }

  private async refresh(
    access: IntegrationAccess,
    refreshToken: string,
    provider: RegisteredProvider,
    app: OAuthApp,
  ): Promise<AccessOutcome> {
    const { integration } = access;
    const settings = lifecycleSettings(this.env);
    const marker = markerKey(integration, access.generation);
    this.storage.kv.put<RefreshMarker>(marker, { refreshTokenHash: sha256Hex(refreshToken), startedAt: Date.now() });
    // The marker must be durable before the refresh token leaves this object.
    await this.storage.sync();

    let tokens: TokenResponse;
    try {
      tokens = await retry(() => refreshGrant(provider, app, refreshToken, settings.timeoutMs), {
        retries: settings.retries,
        maxWaitMs: settings.maxWaitMs,
        delayFor: (outcome, n) => {
          const err = outcome.ok ? null : outcome.error;
          // Only an unavailable endpoint is asked again: a 5xx or 429 issued nothing.
          if (!(err instanceof TokenEndpointError) || err.kind !== "unavailable" || outcomeUnknown(err, provider))
            return null;
          return err.retryAfterMs ?? jitteredBackoff(n, settings.backoffMs);
        },
      });
    } catch (err) {
      // Unknown failure: keep the marker, so a restart does not resend a refresh token the provider
      // may already have rotated.
      if (!(err instanceof TokenEndpointError)) throw err;
      this.storage.kv.delete(marker);
      return this.failed(access, provider, err, settings.backoffMs);
    }
    // A failure past this point (e.g. sealing) keeps the marker too.
    return this.commit(access, app, {
      accessToken: tokens.accessToken,
      // RFC 6749 §6: the server may keep the refresh token; then the old one stays valid.
      refreshToken: tokens.refreshToken ?? refreshToken,
      tokenType: tokens.tokenType ?? access.tokens.tokenType,
      expiresAt: tokens.expiresAt,
      scope: tokens.scope ?? access.scope,
      refreshHardExpiresAt: tokens.refreshHardExpiresAt ?? null,
    });
  }

  /** Records a refresh that failed for good and says what the caller gets. */
  private async failed(
    access: IntegrationAccess,
    provider: RegisteredProvider,
    e: TokenEndpointError,
    backoffMs: number,
  ): Promise<AccessOutcome> {
    const { integration } = access;
    if (outcomeUnknown(e, provider)) {
      await this.store.markFailure(
        access,
        "refresh_timeout",
        `${e.message}; the refresh token is not sent again`,
        true,
      );
      return failure(
        "reconnect_required",
        `${integration} did not answer a token refresh in time; a workspace member must connect again`,
      );
    }
    const reconnect = e.kind === "rejected" && RECONNECT_CODES.has(e.code);
    await this.store.markFailure(access, e.code, e.message, reconnect);
    if (reconnect) {
      return failure(
        "reconnect_required",
        `${integration} refused the stored grant (${e.code}); a workspace member must connect again`,
      );
    }
    if (e.kind === "unavailable") {
      return failure(
        "provider_unavailable",
        `${integration} is unavailable (${e.code}); try again later`,
        e.retryAfterMs ?? backoffMs,
      );
    }
    return failure("refresh_failed", `${integration} could not refresh the token (${e.code})`);
  }

  /**
   * Makes a refreshed set the grant's, for every connection it backs: first into the object's
   * storage (durable, so a D1 failure loses nothing), then into D1 if a connection still holds this
   * generation.
   */
  private async commit(
    access: IntegrationAccess,
    app: OAuthApp,
    next: Pick<IntegrationAccess, "expiresAt" | "scope" | "refreshHardExpiresAt"> & IntegrationAccess["tokens"],
  ): Promise<AccessOutcome> {
    const { integration, generation } = access;
    const now = Date.now();
    const tokens = { accessToken: next.accessToken, refreshToken: next.refreshToken, tokenType: next.tokenType };
    const sealed = await sealTokens(await this.ring(), this.store.rotatedRecord(integration, generation), tokens);
    this.storage.kv.delete(markerKey(integration, generation));
    await this.store.holdRotation(integration, {
      generation,
      sealed,
      expiresAt: next.expiresAt,
      scope: next.scope,
      tokensIssuedAt: now,
      refreshHardExpiresAt: next.refreshHardExpiresAt,
    });

    const refreshed: IntegrationAccess = {
      ...access,
      tokens,
      expiresAt: next.expiresAt,
      scope: next.scope,
      tokensIssuedAt: now,
      // As D1 keeps it (updateTokens): the consent's, once known.
      refreshHardExpiresAt: access.refreshHardExpiresAt ?? next.refreshHardExpiresAt,
      lastRefreshAt: now,
      lastRefreshError: null,
      refreshFailures: 0,
      requiresReconnect: false,
      updatedAt: now,
    };
    const written = await this.store.exclusive(integration, async () => {
      try {
        const result = await this.store.flushRotation(integration, generation);
        // No connection holds the grant any more (its last one was disconnected or replaced).
        if (result === "stale") return false;
        // Dropped by the change that removed the grant's last connection, or already written by the alarm.
        if (result === "none" && !(await this.store.list(integration)).some((a) => a.generation === generation))
          return false;
      } catch (err) {
        // D1 is down: the set stays in the object's storage and is written on the next load or alarm.
        console.warn(
          "refresh: D1 write failed; the new tokens are held by the workspace object",
          integration,
          err instanceof Error ? err.message : "",
        );
        await this.retryFlushLater();
      }
      this.store.rememberGrant(refreshed);
      return true;
    });
    if (!written) {
      // Disconnected or replaced while refreshing: these tokens belong to no connection now.
      await revokeGrant(app, tokens).catch(() => undefined);
      return failure("not_connected", `${integration} was disconnected or replaced while its token was refreshed`);
    }
    return { ok: true, access: usable(refreshed, app) };
  }
}

/**
 * A refresh that timed out may have rotated the token without us hearing back: only a provider that
 * accepts the old token again (refreshRetryAfterTimeout) gets it resent.
 */
function outcomeUnknown(e: TokenEndpointError, provider: RegisteredProvider): boolean {
  return e.code === "timeout" && !provider.refreshRetryAfterTimeout;
}

function usable(access: IntegrationAccess, app: OAuthApp): UsableAccess {
  return {
    integration: access.integration,
    tenantId: tenantOrNull(access.tenantId),
    accessToken: access.tokens.accessToken,
    tokenType: access.tokens.tokenType,
    expiresAt: access.expiresAt,
    apiBaseUrl: app.apiBaseUrl,
    clientId: app.clientId,
    additionalInfo: access.additionalInfo,
    config: access.config,
    generation: access.generation,
  };
}

function failure(reason: FailureReason, message: string, retryAfterMs?: number): AccessOutcome {
  return { ok: false, failure: retryAfterMs === undefined ? { reason, message } : { reason, message, retryAfterMs } };
}
