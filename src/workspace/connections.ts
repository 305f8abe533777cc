// The workspace object's view of its connections: each integration's connections (one per tenant)
// decrypted in memory, a queue per integration that orders every state change, the generation
// counter, and refreshed token sets kept in the object's own storage until D1 holds them. A grant may
// back several connections of one integration (a Xero consent covering two organisations); they share
// its tokens and generation, so what happens to the grant's tokens happens to all of them at once.
import { type KeyRing, openTokens, type SealedTokens, sealTokens } from "../framework/crypto";
import type { Failure } from "../framework/failure";
import { getConnections, recordRefreshFailure, updateTokens } from "../storage/connections";
import type { Db } from "../storage/db";
import type { OutboxEvent } from "../storage/webhooks";
import type { IntegrationAccess } from "./integration-access";
import { Serial } from "./serial";
import type { WebhookEvents } from "./webhook-events";

/** DO storage: the last generation handed out per integration (never reused, so never confused). */
const GENERATION_PREFIX = "generation:";
/** DO storage: `rotated:<integration>:<generation>`, a refreshed token set written before D1, removed once D1 holds it. */
const ROTATED_PREFIX = "rotated:";

/** One connection of this workspace: a provider and a tenant ('' for a provider without tenants). */
export interface Conn {
  integration: string;
  tenantId: string;
}

/** What a caller names: a provider, and the tenant when the workspace has several connections to it. */
export interface ConnectionRef {
  integration: string;
  /** Optional while the workspace has exactly one connection to the provider. */
  tenantId?: string | undefined;
}

/** A connection's key in this object's storage and maps: `<integration>/<tenant, URI-encoded>`. */
export const connKey = ({ integration, tenantId }: Conn): string => `${integration}/${encodeURIComponent(tenantId)}`;

/** The API's view of a tenant id: null for a provider without tenants. */
export const tenantOrNull = (tenantId: string): string | null => (tenantId === "" ? null : tenantId);

/** A refreshed token set on its way to D1, sealed as a `rotated` record of its grant. */
export interface RotatedTokens {
  generation: number;
  sealed: SealedTokens;
  expiresAt: number | null;
  scope: string | null;
  tokensIssuedAt: number;
  /** Absent from sets held before hard expiries were recorded. */
  refreshHardExpiresAt?: number | null;
}

export type Resolved = { ok: true; conn: Conn; access: IntegrationAccess } | { ok: false; failure: Failure };

/**
 * The connection a caller means among a provider's `rows`: the named tenant's, or the only one when
 * none is named. `not_connected` when there is no such connection; `tenant_required`, listing them,
 * when there are several and none is named.
 */
export function chooseConnection<R extends { tenantId: string; tenantName?: string | null }>(
  integration: string,
  rows: readonly R[],
  tenantId: string | undefined,
): { ok: true; row: R } | { ok: false; failure: Failure } {
  if (tenantId !== undefined) {
    const row = rows.find((r) => r.tenantId === tenantId);
    if (row) return { ok: true, row };
    const message = `${integration} is not connected to tenant "${tenantId}" in this workspace`;
    return { ok: false, failure: { reason: "not_connected", message } };
  }
  const [only, ...others] = rows;
  if (!only)
    return {
      ok: false,
      failure: { reason: "not_connected", message: `${integration} is not connected for this workspace` },
    };
  if (others.length > 0) {
    return {
      ok: false,
      failure: {
        reason: "tenant_required",
        message: `This workspace has ${rows.length} ${integration} connections: pass tenant_id to say which`,
        tenants: rows.map((r) => ({ id: r.tenantId, name: r.tenantName ?? null, type: null })),
      },
    };
  }
  return { ok: true, row: only };
}

const rotatedKey = (integration: string, generation: number) => `${ROTATED_PREFIX}${integration}:${generation}`;

export class ConnectionStore {
  /** Each integration's connections, oldest first, as D1 last had them or as this object last changed them. */
  private readonly cache = new Map<string, IntegrationAccess[]>();
  private readonly queue = new Serial();
  /** Grant changes (forget() calls) per integration, so work that raced one keeps nothing it read before. */
  private readonly forgotten = new Map<string, number>();

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly d: Db,
    readonly workspaceId: string,
    private readonly ring: () => Promise<KeyRing>,
    private readonly events: WebhookEvents,
  ) {}

  /** Runs `task` alone among the state changes of `integration` (all its tenants), in arrival order. */
  exclusive<T>(integration: string, task: () => Promise<T>): Promise<T> {
    return this.queue.run(integration, task);
  }

  /** Every connection to `integration`, from memory or D1 (after finishing any refresh D1 missed). */
  async list(integration: string): Promise<IntegrationAccess[]> {
    const cached = this.cache.get(integration);
    if (cached) return cached;
    const changes = this.changes(integration);
    await this.flushRotations(integration);
    const ring = await this.ring();
    const records = await getConnections(this.d, this.workspaceId, integration);
    const list = await Promise.all(
      records.map(async ({ sealed, ...rest }) => ({
        ...rest,
        tokens: await openTokens(ring, this.connectionRecord(integration, rest.generation), sealed),
      })),
    );
    // A list read before a confirm or disconnect forgot the integration may be the old one: use it
    // for this call, but keep only what was read after the last change, so memory never goes back.
    if (changes === this.changes(integration)) this.cache.set(integration, list);
    return list;
  }

  /** One connection, or null when there is none. */
  async load(conn: Conn): Promise<IntegrationAccess | null> {
    return (await this.list(conn.integration)).find((a) => a.tenantId === conn.tenantId) ?? null;
  }

  /**
   * The connection a caller means: the named tenant's, or the only one when none is named.
   * `not_connected` when there is no such connection; `tenant_required`, listing them, when the
   * workspace has several and the caller named none.
   */
  async resolve(ref: ConnectionRef): Promise<Resolved> {
    const chosen = chooseConnection(ref.integration, await this.list(ref.integration), ref.tenantId);
    if (!chosen.ok) return chosen;
    return { ok: true, conn: { integration: ref.integration, tenantId: chosen.row.tenantId }, access: chosen.row };
  }

  /** The D1 rows as they are now, bypassing memory (after a crash marker, storage decides). */
  async reload(conn: Conn): Promise<IntegrationAccess | null> {
    this.cache.delete(conn.integration);
    return this.load(conn);
  }

  /** Keeps a refreshed grant in memory: every connection of `access`'s integration that holds its generation. */
  rememberGrant(access: IntegrationAccess): void {
    const list = this.cache.get(access.integration);
    if (!list) return;
    const { tenantId: _t, tenantName: _n, additionalInfo: _a, ...grant } = access;
    this.cache.set(
      access.integration,
      list.map((a) => (a.generation === access.generation ? { ...a, ...grant } : a)),
    );
  }

  /** How often `integration`'s grants changed here (confirm, disconnect); two readings differ if one did. */
  changes(integration: string): number {
    return this.forgotten.get(integration) ?? 0;
  }

  forget(integration: string): void {
    this.forgotten.set(integration, this.changes(integration) + 1);
    this.cache.delete(integration);
  }

  /** A generation no earlier grant of `integration` had. */
  nextGeneration(integration: string, current: number): number {
    const key = GENERATION_PREFIX + integration;
    const next = Math.max(this.storage.kv.get<number>(key) ?? 0, current) + 1;
    this.storage.kv.put(key, next);
    return next;
  }

  /** Keeps a refreshed token set in the object's storage, durably, before D1 is written. */
  async holdRotation(integration: string, rotated: RotatedTokens): Promise<void> {
    this.storage.kv.put(rotatedKey(integration, rotated.generation), rotated);
    await this.storage.sync();
  }

  /** Whether a refreshed token set of this grant is still waiting for D1. */
  hasPendingRotation(integration: string, generation: number): boolean {
    return this.storage.kv.get(rotatedKey(integration, generation)) !== undefined;
  }

  /**
   * Writes the held token set of one grant to D1 if a connection still holds its generation, then
   * drops it. "stale": no connection holds it now (nothing written). Throws when D1 fails; the set stays.
   * The set is sealed again for the connection rows, under the current key.
   */
  async flushRotation(integration: string, generation: number): Promise<"written" | "stale" | "none"> {
    const key = rotatedKey(integration, generation);
    const rotated = this.storage.kv.get<RotatedTokens>(key);
    if (!rotated) return "none";
    const ring = await this.ring();
    const tokens = await this.openRotated(integration, rotated);
    const written = await updateTokens(this.d, this.workspaceId, integration, rotated.generation, {
      sealed: await sealTokens(ring, this.connectionRecord(integration, rotated.generation), tokens),
      expiresAt: rotated.expiresAt,
      scope: rotated.scope,
      tokensIssuedAt: rotated.tokensIssuedAt,
      lastRefreshAt: rotated.tokensIssuedAt,
      refreshHardExpiresAt: rotated.refreshHardExpiresAt ?? null,
    });
    this.storage.kv.delete(key);
    return written ? "written" : "stale";
  }

  /** Writes every held token set of `integration` to D1 (see flushRotation). */
  async flushRotations(integration: string): Promise<void> {
    // A set held before connections had tenants was keyed by the integration alone.
    const legacy = this.storage.kv.get<RotatedTokens>(ROTATED_PREFIX + integration);
    if (legacy) {
      this.storage.kv.put(rotatedKey(integration, legacy.generation), legacy);
      this.storage.kv.delete(ROTATED_PREFIX + integration);
    }
    for (const generation of this.heldGenerations(integration)) await this.flushRotation(integration, generation);
  }

  /** Drops a grant's held token set without writing it (its last connection is gone). */
  dropRotation(integration: string, generation: number): RotatedTokens | undefined {
    const key = rotatedKey(integration, generation);
    const rotated = this.storage.kv.get<RotatedTokens>(key);
    this.storage.kv.delete(key);
    return rotated;
  }

  /** Every integration with a held token set (the alarm retries them). */
  pendingRotations(): string[] {
    const integrations = new Set<string>();
    for (const [key] of this.storage.kv.list({ prefix: ROTATED_PREFIX })) {
      const rest = key.slice(ROTATED_PREFIX.length);
      const colon = rest.lastIndexOf(":");
      integrations.add(colon < 0 ? rest : rest.slice(0, colon));
    }
    return [...integrations];
  }

  async openRotated(integration: string, rotated: RotatedTokens) {
    return openTokens(await this.ring(), this.rotatedRecord(integration, rotated.generation), rotated.sealed);
  }

  /** What a connection row's tokens are bound to: this workspace, the provider, the grant. */
  connectionRecord(integration: string, generation: number) {
    return { kind: "connection" as const, workspaceId: this.workspaceId, integration, generation };
  }

  /** What a held refreshed set is bound to. */
  rotatedRecord(integration: string, generation: number) {
    return { kind: "rotated" as const, workspaceId: this.workspaceId, integration, generation };
  }

  /**
   * Records a failed refresh of `access`'s grant, in D1 and in memory, on every connection it backs;
   * `code` is the stable part of the stored error. For each connection this makes require a
   * reconnect, a `connection.requires_reconnect` event goes with it.
   */
  async markFailure(access: IntegrationAccess, code: string, message: string, reconnect: boolean): Promise<void> {
    const error = `${code}: ${message}`;
    const siblings = (this.cache.get(access.integration) ?? [access]).filter((a) => a.generation === access.generation);
    const events: { tenantId: string; event: OutboxEvent }[] = [];
    if (reconnect) {
      for (const a of siblings) {
        if (a.requiresReconnect) continue;
        const event = this.events.create("connection.requires_reconnect", a, { reason: code });
        if (event) events.push({ tenantId: a.tenantId, event });
      }
    }
    const recorded = await recordRefreshFailure(
      this.d,
      this.workspaceId,
      access.integration,
      access.generation,
      error,
      reconnect,
      Date.now(),
      events,
    );
    for (const { tenantId, event } of events) if (recorded.includes(tenantId)) await this.events.send(event);
    const list = this.cache.get(access.integration);
    if (list) {
      this.cache.set(
        access.integration,
        list.map((a) =>
          a.generation === access.generation
            ? {
                ...a,
                lastRefreshError: error,
                refreshFailures: a.refreshFailures + 1,
                requiresReconnect: a.requiresReconnect || reconnect,
              }
            : a,
        ),
      );
    }
  }

  /**
   * Whether `conn` is still connected with the grant of `generation`. Call inside its integration's
   * exclusive section. Every change of grant (confirm, disconnect) happens in this object, in that
   * section, and forgets the integration, so a list in memory is current; without one, D1 says.
   */
  async holdsGeneration(conn: Conn, generation: number): Promise<boolean> {
    return (await this.load(conn))?.generation === generation;
  }

  private heldGenerations(integration: string): number[] {
    const prefix = `${ROTATED_PREFIX}${integration}:`;
    return [...this.storage.kv.list<RotatedTokens>({ prefix })].map(([, r]) => r.generation);
  }
}
