// How a grant becomes a connection and stops being one, inside the workspace object: a completed
// consent is held as a pending grant until the user who started it confirms it; confirming or
// disconnecting runs in the connection's queue, so it is ordered against refreshes and fetch commits.
import { type KeyRing, openTokens, sealTokens } from "../framework/crypto";
import type { Failure } from "../framework/failure";
import { randomId, sha256Hex } from "../framework/hash";
import { appForConnection } from "../framework/connection-config";
import { registerOAuthApp } from "../framework/oauth/app";
import { revokeGrant } from "../framework/oauth/flow";
import type { TokenSet } from "../framework/oauth/types";
import type { RegisteredProvider } from "../framework/provider";
import { deleteConnection, saveConnection } from "../storage/connections";
import type { Db } from "../storage/db";
import { getPendingGrant, insertPendingGrant, takePendingGrant } from "../storage/pending";
import type { OutboxEvent } from "../storage/webhooks";
import type { ConnectionStore } from "./connections";
import type { IntegrationAccess } from "./integration-access";
import type { PayloadStore } from "./payloads";
import type { WebhookEvents } from "./webhook-events";

/** How long a completed consent waits for its user's confirmation. */
export const PENDING_GRANT_TTL_MS = 10 * 60_000;

/** A completed consent, as the callback hands it over. */
export interface GrantToHold {
  integration: string;
  /** The JWT `sub` of the user who started the connection. */
  userId: string;
  tokens: TokenSet;
  expiresAt: number | null;
  scope: string | null;
  tenantId: string | null;
  additionalInfo: Record<string, unknown>;
  /** The provider's connectionConfig values the connection was started with. */
  config: Record<string, string>;
}

export interface ConfirmRequest {
  integration: string;
  confirmToken: string;
  userId: string;
  role: "admin" | "member";
}

/** The connection after a confirm, as listings show it. */
export interface ConfirmedConnection {
  integration: string;
  tenantId: string | null;
  connectedBy: string;
  connectedAt: number;
  /** Whether it replaced an earlier connection. */
  replaced: boolean;
}

export type ConfirmOutcome = { ok: true; connection: ConfirmedConnection } | { ok: false; failure: Failure };

export class Grants {
  constructor(
    private readonly d: Db,
    private readonly store: ConnectionStore,
    private readonly payloads: PayloadStore,
    private readonly env: Env,
    private readonly ring: () => Promise<KeyRing>,
    private readonly providerOf: (name: string) => RegisteredProvider | undefined,
    /** Forgets whatever the token lifecycle remembers of the connection's earlier grant. */
    private readonly onChange: (integration: string) => void,
    private readonly events: WebhookEvents,
  ) {}

  /** Keeps a completed consent until its user confirms it; returns the one-time confirm token. */
  async hold(grant: GrantToHold, now = Date.now()): Promise<{ confirmToken: string; pendingUntil: number }> {
    const confirmToken = randomId();
    const pendingUntil = now + PENDING_GRANT_TTL_MS;
    await insertPendingGrant(this.d, {
      id: sha256Hex(confirmToken),
      workspaceId: this.store.workspaceId,
      integration: grant.integration,
      userId: grant.userId,
      sealed: await sealTokens(await this.ring(), this.store.workspaceId, grant.integration, grant.tokens),
      expiresAt: grant.expiresAt,
      scope: grant.scope,
      tenantId: grant.tenantId,
      additionalInfo: grant.additionalInfo,
      config: grant.config,
      tokensIssuedAt: now,
      createdAt: now,
      pendingUntil,
    });
    return { confirmToken, pendingUntil };
  }

  /**
   * Makes a pending grant the workspace's connection, if the same user confirms it in time with a
   * token used once. Replacing a connection needs the admin role; the replaced grant is revoked and,
   * when the tenant changes, its cached data dropped. A refused confirm changes nothing.
   */
  async confirm(request: ConfirmRequest, now = Date.now()): Promise<ConfirmOutcome> {
    const { integration } = request;
    const id = sha256Hex(request.confirmToken);
    const result = await this.store.exclusive(
      integration,
      async (): Promise<ConfirmOutcome & { previous?: IntegrationAccess | null; event?: OutboxEvent }> => {
        const pending = await getPendingGrant(this.d, this.store.workspaceId, id);
        if (!pending || pending.integration !== integration || pending.pendingUntil <= now) {
          return refused(
            "invalid_request",
            "The confirm token is unknown, was already used, or has expired; connect again",
          );
        }
        if (pending.userId !== request.userId)
          return refused("forbidden", "Only the user who started this connection can confirm it");
        const previous = await this.store.load(integration).catch(() => null);
        const exists = previous !== null || (await this.store.currentGeneration(integration)) !== null;
        if (exists && request.role !== "admin") {
          return refused(
            "forbidden",
            `Replacing the existing ${integration} connection needs the admin role in the workspace`,
          );
        }
        const taken = await takePendingGrant(this.d, this.store.workspaceId, id);
        if (!taken) return refused("invalid_request", "The confirm token was already used");

        const generation = this.store.nextGeneration(integration, previous?.generation ?? 0);
        const { sealed, ...fields } = taken;
        const event = exists
          ? this.events.create(
              "connection.replaced",
              integration,
              {
                tenant_id: fields.tenantId,
                previous_tenant_id: previous?.tenantId ?? null,
                connected_by: request.userId,
              },
              now,
            )
          : this.events.create(
              "connection.created",
              integration,
              { tenant_id: fields.tenantId, connected_by: request.userId },
              now,
            );
        await saveConnection(
          this.d,
          {
            workspaceId: this.store.workspaceId,
            integration,
            sealed,
            expiresAt: fields.expiresAt,
            scope: fields.scope,
            tenantId: fields.tenantId,
            additionalInfo: fields.additionalInfo,
            config: fields.config,
            requiresReconnect: false,
            tokensIssuedAt: fields.tokensIssuedAt,
            lastRefreshAt: null,
            lastRefreshError: null,
            refreshFailures: 0,
            generation,
            connectedBy: request.userId,
            connectedAt: now,
          },
          now,
          event,
        );
        // Data read for another organisation must not be served as this one's.
        if (previous && previous.tenantId !== fields.tenantId) await this.payloads.drop(integration);
        this.store.dropRotation(integration);
        this.store.forget(integration);
        this.onChange(integration);
        return {
          ok: true,
          connection: {
            integration,
            tenantId: fields.tenantId,
            connectedBy: request.userId,
            connectedAt: now,
            replaced: exists,
          },
          previous,
          event,
        };
      },
    );
    if (!result.ok) return result;
    await this.events.send(result.event);
    if (result.previous) await this.revoke(integration, result.previous.tokens, result.previous.config, "replaced");
    return { ok: true, connection: result.connection };
  }

  /**
   * Removes the connection and its cached data, then asks the provider to revoke the grant where it
   * offers RFC 7009 revocation. A failed revoke is logged; the local disconnect stands. `by` is the
   * user (JWT `sub`) who asked, for the `connection.deleted` event.
   */
  async disconnect(integration: string, by: string): Promise<boolean> {
    const event = this.events.create("connection.deleted", integration, { by });
    const { existed, access } = await this.store.exclusive(integration, async () => {
      let access: IntegrationAccess | null = null;
      try {
        access = await this.store.reload(integration);
      } catch (err) {
        // An undecryptable row (its key was removed) must still be deletable.
        console.warn("disconnect: could not read tokens to revoke", integration, err instanceof Error ? err.name : "");
      }
      const rotated = this.store.dropRotation(integration);
      this.payloads.dropPayloads(integration);
      const existed = await deleteConnection(this.d, this.store.workspaceId, integration, event);
      this.store.forget(integration);
      this.onChange(integration);
      // A refreshed set D1 never got is the newest grant state: revoke with it.
      if (access && rotated) access = { ...access, tokens: await this.store.openRotated(integration, rotated) };
      return { existed, access };
    });
    if (existed) await this.events.send(event);
    if (access) await this.revoke(integration, access.tokens, access.config, "disconnect");
    return existed;
  }

  /** Revokes and drops an unconfirmed grant whose time ran out (the cron's call). */
  async expire(id: string): Promise<boolean> {
    const pending = await takePendingGrant(this.d, this.store.workspaceId, id);
    if (!pending) return false;
    const tokens = await openTokens(
      await this.ring(),
      this.store.workspaceId,
      pending.integration,
      pending.sealed,
    ).catch(() => null);
    if (tokens) await this.revoke(pending.integration, tokens, pending.config, "unconfirmed grant");
    return true;
  }

  private async revoke(
    integration: string,
    tokens: TokenSet,
    config: Record<string, string>,
    why: string,
  ): Promise<void> {
    const provider = this.providerOf(integration);
    const resolution = provider ? registerOAuthApp(provider, this.env) : null;
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
