// Connections brought in from another store (Nango, Zebbra's original framework's Mongo documents) with
// the tokens they already hold: the tenant is looked up or verified with the given access token, then
// the connection is written in its integration's queue, like a confirmed consent, so an import never
// interleaves with a refresh of the same connection and the imported refresh token is used once.
import { sealTokens } from "../framework/crypto";
import { appForConnection, checkConnectionConfig } from "../framework/connection-config";
import { type Failure, FailureError } from "../framework/failure";
import { resolveOAuthApp } from "../framework/oauth/app";
import type { OAuthApp } from "../framework/oauth/types";
import type { RegisteredProvider, TenantInfo } from "../framework/provider";
import { createProviderApi, ProviderApiError } from "../framework/provider-http";
import { connectionTenants, saveConnections } from "../storage/connections";
import type { OutboxEvent } from "../storage/webhooks";
import type { WorkspaceDeps } from "./deps";

/** Who an imported connection says connected it when the source does not name anyone. */
export const IMPORT_CONNECTED_BY = "import";

/** One connection to import into this workspace. Times are epoch ms. */
export interface ImportItem {
  integration: string;
  /** The provider's tenant id; looked up with the access token when absent. */
  tenantId?: string | undefined;
  tenantName?: string | undefined;
  accessToken: string;
  refreshToken?: string | undefined;
  /** When the access token expires; unknown (absent) with a refresh token means "refresh on first use". */
  expiresAt?: number | undefined;
  scope?: string | undefined;
  connectedBy?: string | undefined;
  /** The provider's connectionConfig values (a subdomain), when it declares any. */
  config?: Record<string, string> | undefined;
}

/** What became of one item: never a token, in either branch. */
export type ImportOutcome =
  { ok: true; status: "imported" | "replaced"; tenantId: string | null } | { ok: false; failure: Failure };

type Deps = Pick<WorkspaceDeps, "env" | "db" | "ring" | "providerOf" | "store" | "tokens" | "events">;

const refused = (reason: Failure["reason"], message: string): { ok: false; failure: Failure } => ({
  ok: false,
  failure: { reason, message },
});

export class Importer {
  constructor(private readonly deps: Deps) {}

  /** Imports `items` one after another; one item's failure is its own outcome and stops nothing. */
  async importAll(items: readonly ImportItem[]): Promise<ImportOutcome[]> {
    const outcomes: ImportOutcome[] = [];
    for (const item of items) {
      try {
        outcomes.push(await this.importOne(item));
      } catch (err) {
        // Our own storage or key ring: logged without the item (it holds tokens).
        console.error("import: an item failed", item.integration, err instanceof Error ? err.name : "");
        outcomes.push(refused("internal_error", "The connection could not be stored; try this item again"));
      }
    }
    return outcomes;
  }

  private async importOne(item: ImportItem, now = Date.now()): Promise<ImportOutcome> {
    const provider = this.deps.providerOf(item.integration);
    if (!provider) return refused("unknown_integration", `"${item.integration}" is not a provider of this service`);
    const resolution = resolveOAuthApp(provider, this.deps.env);
    if (!resolution.configured)
      return refused(
        "provider_not_configured",
        `${provider.name} is not configured here (set ${resolution.missing.join(" and ")}): its tokens could not be refreshed`,
      );
    const checked = checkConnectionConfig(provider, item.config);
    if (!checked.ok) return refused("invalid_request", `${checked.field} ${checked.message}`);
    const app = appForConnection(provider, resolution.app, checked.config);
    const found = await this.tenantOf(provider, app, item);
    if (!found.ok) return found;
    const tenant = found.tenant;
    const integration = provider.name;
    const { store } = this.deps;

    const saved = await store.exclusive(integration, async () => {
      const rows = await connectionTenants(this.deps.db, store.workspaceId, integration);
      const old = rows.find((r) => r.tenantId === tenant.tenantId);
      const generation = store.nextGeneration(integration, Math.max(0, ...rows.map((r) => r.generation)));
      const sealed = await sealTokens(await this.deps.ring(), store.connectionRecord(integration, generation), {
        accessToken: item.accessToken,
        refreshToken: item.refreshToken ?? null,
        tokenType: "Bearer",
      });
      const connectedBy = item.connectedBy ?? IMPORT_CONNECTED_BY;
      const event = this.deps.events.create(
        old ? "connection.replaced" : "connection.created",
        { integration, tenantId: tenant.tenantId },
        { connected_by: connectedBy, source: "import" },
        now,
      );
      await saveConnections(
        this.deps.db,
        [
          {
            workspaceId: store.workspaceId,
            integration,
            sealed,
            // Unknown with a refresh token: expired, so the first use refreshes rather than trusting a stale token.
            expiresAt: item.expiresAt ?? (item.refreshToken ? now : null),
            scope: item.scope ?? null,
            tenantId: tenant.tenantId,
            tenantName: item.tenantName ?? tenant.tenantName ?? null,
            additionalInfo: tenant.additionalInfo ?? {},
            config: checked.config,
            requiresReconnect: false,
            // When the source issued them is unknown: older than any keep-alive threshold, so the
            // cron's keep-alive pass refreshes an idle-expiring grant (Xero) on its next run.
            tokensIssuedAt: 0,
            refreshHardExpiresAt: null,
            lastRefreshAt: null,
            lastRefreshError: null,
            refreshFailures: 0,
            generation,
            connectedBy,
            connectedAt: now,
          },
        ],
        now,
        event ? [event] : [],
      );
      // The replaced grant's own refresh state goes with it, unless another tenant's connection still holds it.
      if (old && !rows.some((r) => r.tenantId !== tenant.tenantId && r.generation === old.generation)) {
        store.dropRotation(integration, old.generation);
        this.deps.tokens.clearMarker(integration, old.generation);
      }
      store.forget(integration);
      return { replaced: old !== undefined, event };
    });
    await this.deps.events.send(saved.event satisfies OutboxEvent | undefined);
    return {
      ok: true,
      status: saved.replaced ? "replaced" : "imported",
      tenantId: tenant.tenantId === "" ? null : tenant.tenantId,
    };
  }

  /**
   * The tenant the imported tokens are for. A provider that lists a grant's tenants: the named one
   * must be among them, or the only readable one is taken. A provider that names the tenant in its
   * callback (QuickBooks' realmId): it must be given, and is verified where the provider can. A
   * provider without tenants: none.
   */
  private async tenantOf(
    provider: RegisteredProvider,
    app: OAuthApp,
    item: ImportItem,
  ): Promise<{ ok: true; tenant: TenantInfo } | { ok: false; failure: Failure }> {
    const api = createProviderApi(app.apiBaseUrl, item.accessToken);
    try {
      if (provider.lookupTenants) {
        const tenants = await provider.lookupTenants(api, {
          accessToken: item.accessToken,
          refreshToken: item.refreshToken ?? null,
          tokenType: "Bearer",
          expiresAt: item.expiresAt ?? null,
          scope: item.scope ?? null,
        });
        if (item.tenantId !== undefined) {
          const named = tenants.find((t) => t.tenantId === item.tenantId);
          if (!named)
            return refused("invalid_request", `Tenant "${item.tenantId}" is not one this access token's grant covers`);
          return { ok: true, tenant: named };
        }
        const readable = tenants.filter((t) => t.readable !== false);
        const [only, ...others] = readable;
        if (!only)
          return refused("invalid_request", `The ${provider.name} grant covers no company whose data can be read`);
        if (others.length > 0)
          return refused(
            "tenant_required",
            `The ${provider.name} grant covers ${readable.length} companies (${readable.map((t) => t.tenantId).join(", ")}): give tenant_id, one item per company`,
          );
        return { ok: true, tenant: only };
      }
      if (provider.tenantFromCallback) {
        if (item.tenantId === undefined || item.tenantId === "")
          return refused("tenant_required", `${provider.name} names its company only on connecting: give tenant_id`);
        const given: TenantInfo = { tenantId: item.tenantId, tenantName: item.tenantName ?? null };
        return { ok: true, tenant: provider.verifyTenant ? await provider.verifyTenant(api, given) : given };
      }
      if (item.tenantId !== undefined && item.tenantId !== "")
        return refused("invalid_request", `${provider.name} connections have no tenant: leave tenant_id out`);
      return { ok: true, tenant: { tenantId: "" } };
    } catch (err) {
      if (err instanceof FailureError) return { ok: false, failure: err.failure };
      if (err instanceof ProviderApiError)
        return refused(
          err.status === 401 || err.status === 403 ? "reconnect_required" : "provider_unavailable",
          `${provider.name} refused the tenant lookup with this access token (${err.status === null ? "no answer" : `HTTP ${err.status}`})`,
        );
      return refused("provider_data_invalid", `${provider.name} answered the tenant lookup in an unexpected way`);
    }
  }
}
