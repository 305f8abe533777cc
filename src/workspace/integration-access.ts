// IntegrationAccess (the name in Zebbra's original framework): a connection with its tokens decrypted. Sealing and opening
// happen here, inside the workspace object, so D1 only ever holds ciphertext.
import { type KeyRing, openTokens, sealTokens } from "../framework/crypto";
import type { TokenSet } from "../framework/oauth/types";
import type { Db } from "../storage/db";
import { type ConnectionRecord, getConnection, getConnections, saveConnection } from "../storage/connections";

export interface IntegrationAccess extends Omit<ConnectionRecord, "sealed"> {
  tokens: TokenSet;
}

type Defaulted =
  | "requiresReconnect"
  | "tokensIssuedAt"
  | "lastRefreshAt"
  | "lastRefreshError"
  | "refreshFailures"
  | "generation"
  | "connectedBy"
  | "connectedAt"
  | "config"
  | "tenantName"
  | "refreshHardExpiresAt";

/** A connection to write: the lifecycle fields default to those of a fresh, unattributed grant. */
export type NewAccess = Omit<IntegrationAccess, "createdAt" | "updatedAt" | Defaulted> &
  Partial<Pick<IntegrationAccess, Defaulted>>;

/**
 * Inserts or replaces the connection, its tokens sealed under the ring's current key. Replacing
 * keeps `created_at`; `requires_reconnect`, the refresh error and the failure count are cleared unless given.
 */
export async function storeAccess(d: Db, ring: KeyRing, access: NewAccess, now = Date.now()): Promise<void> {
  const { tokens, ...rest } = access;
  const generation = access.generation ?? 0;
  const record = { kind: "connection" as const, workspaceId: access.workspaceId, integration: access.integration };
  await saveConnection(
    d,
    {
      ...rest,
      sealed: await sealTokens(ring, { ...record, generation }, tokens),
      requiresReconnect: access.requiresReconnect ?? false,
      tokensIssuedAt: access.tokensIssuedAt ?? now,
      lastRefreshAt: access.lastRefreshAt ?? null,
      lastRefreshError: access.lastRefreshError ?? null,
      refreshFailures: access.refreshFailures ?? 0,
      generation,
      connectedBy: access.connectedBy ?? null,
      connectedAt: access.connectedAt ?? null,
      config: access.config ?? {},
      tenantName: access.tenantName ?? null,
      refreshHardExpiresAt: access.refreshHardExpiresAt ?? null,
    },
    now,
  );
}

/**
 * Reads and decrypts one connection, or null when there is none: the tenant's, or without one the
 * workspace's first connection to the provider.
 */
export async function loadAccess(
  d: Db,
  ring: KeyRing,
  workspaceId: string,
  integration: string,
  tenantId?: string,
): Promise<IntegrationAccess | null> {
  const record =
    tenantId === undefined
      ? ((await getConnections(d, workspaceId, integration))[0] ?? null)
      : await getConnection(d, workspaceId, integration, tenantId);
  if (!record) return null;
  const { sealed, ...rest } = record;
  const bound = { kind: "connection" as const, workspaceId, integration, generation: rest.generation };
  return { ...rest, tokens: await openTokens(ring, bound, sealed) };
}
