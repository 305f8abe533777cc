// How a grant becomes a connection and stops being one, inside the workspace object: a completed
// consent is held as a pending grant until the user who started it confirms it; confirming or
// disconnecting runs in the connection's queue, so it is ordered against refreshes and fetch commits.
import { openTokens, sealTokens } from "../framework/crypto";
import type { Failure, TenantSummary } from "../framework/failure";
import { randomId, sha256Hex } from "../framework/hash";
import { appForConnection } from "../framework/connection-config";
import { resolveOAuthApp } from "../framework/oauth/app";
import { revokeGrant } from "../framework/oauth/flow";
import type { TokenSet } from "../framework/oauth/types";
import { createProviderApi } from "../framework/provider-http";
import { connectionTenants, deleteConnection, saveConnections } from "../storage/connections";
import { getPendingGrant, insertPendingGrant, takePendingGrant } from "../storage/pending";
import type { GrantTenant } from "../storage/schema";
import type { OutboxEvent } from "../storage/webhooks";
import { chooseConnection, type ConnectionRef, tenantOrNull } from "./connections";
import type { WorkspaceDeps } from "./deps";
import type { IntegrationAccess } from "./integration-access";
import type { PayloadStore } from "./payloads";
import { MINUTE_MS } from "../framework/durations";

/** How long a completed consent waits for its user's confirmation. */
export const PENDING_GRANT_TTL_MS = 10 * MINUTE_MS;
/** DO storage: `redeemed:<confirm token hash>` → Redemption, so a retried confirm gets the same answer. */
export const REDEEMED_PREFIX = "redeemed:";

/** What a confirm did, kept for the token's lifetime: its retry answers the same, changing nothing. */
interface Redemption {
  userId: string;
  integration: string;
  /** The tenant_ids the confirm named (sorted), or null when it named none. */
  requested: string[] | null;
  connections: ConfirmedConnection[];
  /** The token's end of life (epoch ms); the alarm drops the record after it. */
  expiresAt: number;
}

const sameRequest = (a: readonly string[] | null, b: readonly string[] | undefined) =>
  (a === null && b === undefined) ||
  (a !== null && b !== undefined && [...new Set(b)].sort().join("\u0000") === a.join("\u0000"));

/** A completed consent, as the callback hands it over. */
export interface GrantToHold {
  integration: string;
  /** The JWT `sub` of the user who started the connection. */
  userId: string;
  tokens: TokenSet;
  expiresAt: number | null;
  scope: string | null;
  /** When the refresh token stops working however often it is used, when the provider said. */
  refreshHardExpiresAt: number | null;
  /** Every tenant the grant covers ('' as the one id of a provider without tenants). */
  tenants: GrantTenant[];
  /** The provider's connectionConfig values the connection was started with. */
  config: Record<string, string>;
}

export interface ConfirmRequest {
  integration: string;
  confirmToken: string;
  userId: string;
  role: "admin" | "member";
  /** The tenants to connect; optional when the grant covers one readable tenant. */
  tenantIds?: string[] | undefined;
}

/** A connection after a confirm, as listings show it. */
export interface ConfirmedConnection {
  integration: string;
  /** Null for a provider without tenants. */
  tenantId: string | null;
  tenantName: string | null;
  connectedBy: string;
  connectedAt: number;
  /** Whether it replaced the workspace's earlier connection to the same tenant. */
  replaced: boolean;
}

export type ConfirmOutcome = { ok: true; connections: ConfirmedConnection[] } | { ok: false; failure: Failure };

export type DisconnectOutcome = { ok: true; disconnected: boolean } | { ok: false; failure: Failure };

/** What a grant no connection holds any more leaves to revoke. */
interface Orphan {
  tokens: TokenSet;
  config: Record<string, string>;
}

/** A tenant as the choice lists it. */
const choice = (t: GrantTenant): TenantSummary => ({ id: t.id, name: t.name, type: t.type });

export class Grants {
  constructor(
    private readonly deps: Pick<
      WorkspaceDeps,
      "db" | "store" | "env" | "ring" | "providerOf" | "events" | "tokens" | "storage"
    > & { payloads: PayloadStore },
  ) {}

  /** Keeps a completed consent until its user confirms it; returns the one-time confirm token. */
  async hold(grant: GrantToHold, now = Date.now()): Promise<{ confirmToken: string; pendingUntil: number }> {
    const confirmToken = randomId();
    const id = sha256Hex(confirmToken);
    const pendingUntil = now + PENDING_GRANT_TTL_MS;
    await insertPendingGrant(this.deps.db, {
      id,
      workspaceId: this.deps.store.workspaceId,
      integration: grant.integration,
      userId: grant.userId,
      sealed: await sealTokens(await this.deps.ring(), this.pendingRecord(grant.integration, id), grant.tokens),
      expiresAt: grant.expiresAt,
      scope: grant.scope,
      tenants: grant.tenants,
      config: grant.config,
      tokensIssuedAt: now,
      refreshHardExpiresAt: grant.refreshHardExpiresAt,
      createdAt: now,
      pendingUntil,
    });
    return { confirmToken, pendingUntil };
  }

  /**
   * Makes a pending grant the workspace's connection to each chosen tenant, if the same user
   * confirms it in time with a token used once. With several readable tenants and no choice, the
   * answer is the choice to make (`tenant_choice_required`) and the token stays usable. Replacing a
   * connection to a chosen tenant needs the admin role; a replaced grant that no connection holds
   * any more is revoked. A refused confirm changes nothing.
   */
  async confirm(request: ConfirmRequest, now = Date.now()): Promise<ConfirmOutcome> {
    const { integration } = request;
    const id = sha256Hex(request.confirmToken);
    const result = await this.deps.store.exclusive(
      integration,
      async (): Promise<ConfirmOutcome & { events?: (OutboxEvent | undefined)[]; orphans?: Orphan[] }> => {
        const pending = await getPendingGrant(this.deps.db, this.deps.store.workspaceId, id);
        if (!pending || pending.integration !== integration) return this.redeemedBefore(id, request, now);
        if (pending.pendingUntil <= now)
          return refused("confirm_token_expired", "The confirm token's 10 minutes are over; connect again");
        if (pending.userId !== request.userId)
          return refused("forbidden", "Only the user who started this connection can confirm it");
        const chosen = choose(integration, pending.tenants, request.tenantIds);
        if (!chosen.ok) return chosen;
        const chosenIds = new Set(chosen.tenants.map((t) => t.id));

        // Existence comes from the rows alone, so a connection whose tokens cannot be opened is still replaced.
        const rows = await connectionTenants(this.deps.db, this.deps.store.workspaceId, integration);
        const replacing = new Set(rows.filter((r) => chosenIds.has(r.tenantId)).map((r) => r.tenantId));
        if (replacing.size > 0 && request.role !== "admin") {
          return refused(
            "forbidden",
            `Replacing an existing ${integration} connection needs the admin role in the workspace`,
          );
        }
        const previous = await this.deps.store.list(integration).catch(() => []);
        // Opened before it is taken, so a key problem refuses the confirm without losing the grant.
        // Nothing else writes the row while this integration's section runs (the re-seal job included).
        const ring = await this.deps.ring();
        const tokens = await openTokens(ring, this.pendingRecord(integration, id), pending.sealed);
        const taken = await takePendingGrant(this.deps.db, this.deps.store.workspaceId, id);
        if (!taken) return this.redeemedBefore(id, request, now);

        const generation = this.deps.store.nextGeneration(integration, Math.max(0, ...rows.map((r) => r.generation)));
        const sealed = await sealTokens(ring, this.deps.store.connectionRecord(integration, generation), tokens);
        const connections = chosen.tenants.map((t): ConfirmedConnection => ({
          integration,
          tenantId: tenantOrNull(t.id),
          tenantName: t.name,
          connectedBy: request.userId,
          connectedAt: now,
          replaced: replacing.has(t.id),
        }));
        const events = chosen.tenants.map((t) =>
          this.deps.events.create(
            replacing.has(t.id) ? "connection.replaced" : "connection.created",
            { integration, tenantId: t.id },
            { connected_by: request.userId, source: "connect" },
            now,
          ),
        );
        await saveConnections(
          this.deps.db,
          chosen.tenants.map((t) => ({
            workspaceId: this.deps.store.workspaceId,
            integration,
            sealed,
            expiresAt: taken.expiresAt,
            scope: taken.scope,
            tenantId: t.id,
            tenantName: t.name,
            additionalInfo: t.additionalInfo,
            config: taken.config,
            requiresReconnect: false,
            tokensIssuedAt: taken.tokensIssuedAt,
            refreshHardExpiresAt: taken.refreshHardExpiresAt,
            lastRefreshAt: null,
            lastRefreshError: null,
            refreshFailures: 0,
            generation,
            connectedBy: request.userId,
            connectedAt: now,
          })),
          now,
          events.filter((e): e is OutboxEvent => e !== undefined),
        );
        // A replaced grant still backing another tenant's connection stays; one backing none is revoked.
        const remaining = rows.filter((r) => !chosenIds.has(r.tenantId));
        // By generation: two replaced connections of one grant leave one grant to revoke.
        const gone = new Set(
          rows
            .filter((r) => replacing.has(r.tenantId) && !remaining.some((k) => k.generation === r.generation))
            .map((r) => r.generation),
        );
        const orphans: Orphan[] = [];
        for (const old of gone) {
          const access = previous.find((a) => a.generation === old);
          const rotated = this.deps.store.dropRotation(integration, old);
          this.deps.tokens.clearMarker(integration, old);
          if (access)
            orphans.push({
              tokens: rotated ? await this.deps.store.openRotated(integration, rotated) : access.tokens,
              config: access.config,
            });
        }
        this.deps.store.forget(integration);
        const redemption: Redemption = {
          userId: request.userId,
          integration,
          requested: request.tenantIds === undefined ? null : [...new Set(request.tenantIds)].sort(),
          connections,
          expiresAt: taken.pendingUntil,
        };
        this.deps.storage.kv.put(REDEEMED_PREFIX + id, redemption);
        return { ok: true, connections, events, orphans };
      },
    );
    if (!result.ok) return result;
    await this.deps.events.send(...(result.events ?? []));
    for (const orphan of result.orphans ?? []) await this.revoke(integration, orphan.tokens, orphan.config, "replaced");
    return { ok: true, connections: result.connections };
  }

  /**
   * Removes one connection and its cached data. When no other connection holds its grant, asks the
   * provider to revoke the grant where it offers RFC 7009 revocation; otherwise the grant stays for
   * the others, and a provider that can drop one tenant from a grant (Xero's connections) is asked
   * to. A failed revoke is logged; the local disconnect stands. `by` is the user (JWT `sub`) who
   * asked, for the `connection.deleted` event.
   */
  async disconnect(ref: ConnectionRef, by: string): Promise<DisconnectOutcome> {
    const { integration } = ref;
    const result = await this.deps.store.exclusive(integration, async () => {
      // Which connection, from the rows alone: a row whose tokens cannot be opened must still be deletable.
      const rows = await connectionTenants(this.deps.db, this.deps.store.workspaceId, integration);
      const target = chooseConnection(integration, rows, ref.tenantId);
      // Nothing to disconnect is not an error; an ambiguous request is.
      if (!target.ok)
        return target.failure.reason === "not_connected" ? { ok: true as const, disconnected: false } : target;
      const row = target.row;
      const conn = { integration, tenantId: row.tenantId };
      let list: IntegrationAccess[] = [];
      try {
        list = await this.deps.store.list(integration);
      } catch (err) {
        console.warn("disconnect: could not read tokens to revoke", integration, err instanceof Error ? err.name : "");
      }
      let access = list.find((a) => a.tenantId === row.tenantId) ?? null;
      const shared = rows.some((r) => r.tenantId !== row.tenantId && r.generation === row.generation);
      const event = this.deps.events.create("connection.deleted", conn, { by });
      this.deps.payloads.dropPayloads(conn);
      const existed = await deleteConnection(
        this.deps.db,
        this.deps.store.workspaceId,
        integration,
        row.tenantId,
        event,
      );
      if (!shared) {
        const rotated = this.deps.store.dropRotation(integration, row.generation);
        this.deps.tokens.clearMarker(integration, row.generation);
        // A refreshed set D1 never got is the newest grant state: revoke with it.
        if (access && rotated) access = { ...access, tokens: await this.deps.store.openRotated(integration, rotated) };
      }
      this.deps.store.forget(integration);
      const sibling = shared
        ? rows.find((r) => r.tenantId !== row.tenantId && r.generation === row.generation)
        : undefined;
      return { ok: true as const, disconnected: existed, event, access, shared, sibling };
    });
    if (!result.ok) return result;
    if ("event" in result && result.disconnected) await this.deps.events.send(result.event);
    if ("access" in result && result.access) {
      if (!result.shared) await this.revoke(integration, result.access.tokens, result.access.config, "disconnect");
      else if (result.sibling) await this.removeTenant(result.access, result.sibling.tenantId);
    }
    return { ok: true, disconnected: result.disconnected };
  }

  /**
   * A confirm whose token has no pending consent: the retry of one that succeeded (same user, same
   * tenant_ids, within the token's lifetime) gets that answer again and changes nothing; otherwise
   * the code says why (used with other tenants, expired, unknown).
   */
  private redeemedBefore(id: string, request: ConfirmRequest, now: number): ConfirmOutcome {
    const redeemed = this.deps.storage.kv.get<Redemption>(REDEEMED_PREFIX + id);
    if (!redeemed || redeemed.integration !== request.integration)
      return refused("confirm_token_unknown", "No pending connection has this confirm token; connect again");
    if (redeemed.expiresAt <= now)
      return refused("confirm_token_expired", "The confirm token's 10 minutes are over; connect again");
    if (redeemed.userId !== request.userId)
      return refused("forbidden", "Only the user who started this connection can confirm it");
    if (!sameRequest(redeemed.requested, request.tenantIds))
      return refused("confirm_token_used", "The confirm token was already redeemed, for other tenants");
    return { ok: true, connections: redeemed.connections };
  }

  /** Revokes and drops an unconfirmed grant whose time ran out (the cron's call). */
  async expire(id: string): Promise<boolean> {
    const pending = await takePendingGrant(this.deps.db, this.deps.store.workspaceId, id);
    if (!pending) return false;
    const tokens = await openTokens(
      await this.deps.ring(),
      this.pendingRecord(pending.integration, id),
      pending.sealed,
    ).catch(() => null);
    if (tokens) await this.revoke(pending.integration, tokens, pending.config, "unconfirmed grant");
    return true;
  }

  /** What a pending grant's tokens are bound to: this workspace, the provider, the grant's id. */
  private pendingRecord(integration: string, id: string) {
    return { kind: "pending_grant" as const, workspaceId: this.deps.store.workspaceId, integration, id };
  }

  /** Asks the provider to drop one tenant from a grant others still use (Xero: DELETE /connections/{id}). */
  private async removeTenant(access: IntegrationAccess, siblingTenantId: string): Promise<void> {
    const provider = this.deps.providerOf(access.integration);
    if (!provider?.removeTenant) return;
    // A token of the grant, through a connection that still holds it (refreshed there if due).
    const usable = await this.deps.tokens.getIntegrationAccess({
      integration: access.integration,
      tenantId: siblingTenantId,
    });
    if (!usable.ok) {
      console.warn("disconnect: the tenant stays granted at the provider", access.integration, usable.failure.reason);
      return;
    }
    try {
      await provider.removeTenant(createProviderApi(usable.access.apiBaseUrl, usable.access.accessToken), {
        tenantId: access.tenantId,
        additionalInfo: access.additionalInfo,
      });
    } catch (err) {
      console.warn(
        "disconnect: the provider did not drop the tenant; the local disconnect stands",
        access.integration,
        err instanceof Error ? err.message : "",
      );
    }
  }

  private async revoke(
    integration: string,
    tokens: TokenSet,
    config: Record<string, string>,
    why: string,
  ): Promise<void> {
    const provider = this.deps.providerOf(integration);
    const resolution = provider ? resolveOAuthApp(provider, this.deps.env) : null;
    if (!provider || !resolution?.configured) return;
    try {
      await revokeGrant(appForConnection(provider, resolution.app, config), tokens);
    } catch (err) {
      console.warn(
        `${why}: revocation failed; the local change stands`,
        integration,
        err instanceof Error ? err.message : "",
      );
    }
  }
}

function refused(reason: Failure["reason"], message: string): { ok: false; failure: Failure } {
  return { ok: false, failure: { reason, message } };
}

/**
 * The tenants a confirm connects: those named (each must be one the grant covers and can be read),
 * or the grant's only readable one. Several and none named: the choice to make.
 */
function choose(
  integration: string,
  tenants: readonly GrantTenant[],
  ids: readonly string[] | undefined,
): { ok: true; tenants: GrantTenant[] } | { ok: false; failure: Failure } {
  const readable = tenants.filter((t) => t.readable);
  if (ids === undefined) {
    if (readable.length === 1) return { ok: true, tenants: readable };
    if (readable.length === 0)
      return refused(
        "invalid_request",
        `The ${integration} grant covers no company whose data can be read; connect again and pick one`,
      );
    return {
      ok: false,
      failure: {
        reason: "tenant_choice_required",
        message: `The ${integration} grant covers ${readable.length} companies: pass tenant_ids to say which to connect`,
        tenants: readable.map(choice),
      },
    };
  }
  if (ids.length === 0) return refused("invalid_request", "tenant_ids is empty: name at least one tenant");
  const picked: GrantTenant[] = [];
  for (const id of new Set(ids)) {
    const tenant = tenants.find((t) => t.id === id);
    if (!tenant) return refused("invalid_request", `Tenant "${id}" is not one this ${integration} grant covers`);
    if (!tenant.readable)
      return refused(
        "invalid_request",
        `Tenant "${id}" (${tenant.type ?? "not a company"}) has no data this service can read`,
      );
    picked.push(tenant);
  }
  return { ok: true, tenants: picked };
}
