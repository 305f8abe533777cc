// The workspace object's view of its connections: one decrypted copy per integration in memory, a
// queue per integration that orders every state change, the generation counter, and refreshed token
// sets kept in the object's own storage until D1 holds them.
import { type KeyRing, openTokens, type SealedTokens } from "../framework/crypto";
import { getConnection, recordRefreshFailure, updateTokens } from "../storage/connections";
import type { Db } from "../storage/db";
import { type IntegrationAccess, loadAccess } from "./integration-access";
import { Serial } from "./serial";
import type { WebhookEvents } from "./webhook-events";

/** DO storage: the last generation handed out per integration (never reused, so never confused). */
const GENERATION_PREFIX = "generation:";
/** DO storage: a refreshed token set written before D1, removed once D1 holds it. */
const ROTATED_PREFIX = "rotated:";

/** A refreshed token set on its way to D1. */
export interface RotatedTokens {
  generation: number;
  sealed: SealedTokens;
  expiresAt: number | null;
  scope: string | null;
  tokensIssuedAt: number;
}

export class ConnectionStore {
  private readonly cache = new Map<string, IntegrationAccess>();
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

  /** Runs `task` alone among the state changes of `integration`, in arrival order. */
  exclusive<T>(integration: string, task: () => Promise<T>): Promise<T> {
    return this.queue.run(integration, task);
  }

  /** The connection, from memory or D1 (after finishing any refresh D1 missed); null when there is none. */
  async load(integration: string): Promise<IntegrationAccess | null> {
    const cached = this.cache.get(integration);
    if (cached) return cached;
    const changes = this.changes(integration);
    await this.flushRotation(integration);
    const access = await loadAccess(this.d, await this.ring(), this.workspaceId, integration);
    // A row read before a confirm or disconnect forgot the connection may be the old one: use it for
    // this call, but keep only what was read after the last change, so memory never goes back.
    if (access && changes === this.changes(integration)) this.cache.set(integration, access);
    return access;
  }

  /** The D1 row as it is now, bypassing memory (after a crash marker, storage decides). */
  async reload(integration: string): Promise<IntegrationAccess | null> {
    this.cache.delete(integration);
    return this.load(integration);
  }

  remember(access: IntegrationAccess): void {
    this.cache.set(access.integration, access);
  }

  /** How often `integration`'s grant changed here (confirm, disconnect); two readings differ if one did. */
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
    this.storage.kv.put(ROTATED_PREFIX + integration, rotated);
    await this.storage.sync();
  }

  /** Whether a refreshed token set is still waiting for D1. */
  hasPendingRotation(integration: string): boolean {
    return this.storage.kv.get(ROTATED_PREFIX + integration) !== undefined;
  }

  /**
   * Writes a held token set to D1 if the connection still holds its generation, then drops it.
   * "stale": the connection changed meanwhile (nothing written). Throws when D1 fails; the set stays.
   */
  async flushRotation(integration: string): Promise<"written" | "stale" | "none"> {
    const key = ROTATED_PREFIX + integration;
    const rotated = this.storage.kv.get<RotatedTokens>(key);
    if (!rotated) return "none";
    const written = await updateTokens(this.d, this.workspaceId, integration, rotated.generation, {
      sealed: rotated.sealed,
      expiresAt: rotated.expiresAt,
      scope: rotated.scope,
      tokensIssuedAt: rotated.tokensIssuedAt,
      lastRefreshAt: rotated.tokensIssuedAt,
    });
    this.storage.kv.delete(key);
    return written ? "written" : "stale";
  }

  /** Drops a held token set without writing it (its connection is gone). */
  dropRotation(integration: string): RotatedTokens | undefined {
    const key = ROTATED_PREFIX + integration;
    const rotated = this.storage.kv.get<RotatedTokens>(key);
    this.storage.kv.delete(key);
    return rotated;
  }

  /** Every integration with a held token set (the alarm retries them). */
  pendingRotations(): string[] {
    return [...this.storage.kv.list({ prefix: ROTATED_PREFIX })].map(([k]) => k.slice(ROTATED_PREFIX.length));
  }

  async openRotated(integration: string, rotated: RotatedTokens) {
    return openTokens(await this.ring(), this.workspaceId, integration, rotated.sealed);
  }

  /**
   * Records a failed refresh of this generation, in D1 and in memory; `code` is the stable part of
   * the stored error. When it is what makes the connection require a reconnect, the
   * `connection.requires_reconnect` event goes with it.
   */
  async markFailure(access: IntegrationAccess, code: string, message: string, reconnect: boolean): Promise<void> {
    const error = `${code}: ${message}`;
    const event =
      reconnect && !access.requiresReconnect
        ? this.events.create("connection.requires_reconnect", access.integration, { reason: code })
        : undefined;
    const recorded = await recordRefreshFailure(
      this.d,
      this.workspaceId,
      access.integration,
      access.generation,
      error,
      reconnect,
      Date.now(),
      event,
    );
    if (recorded) await this.events.send(event);
    if (this.cache.get(access.integration)?.generation === access.generation) {
      this.cache.set(access.integration, {
        ...access,
        lastRefreshError: error,
        refreshFailures: access.refreshFailures + 1,
        requiresReconnect: access.requiresReconnect || reconnect,
      });
    }
  }

  /**
   * Whether `integration` is still connected with the grant of `generation`. Call inside its
   * exclusive section. Every change of grant (confirm, disconnect) happens in this object, in that
   * section, and forgets the connection, so a copy in memory is the current row; without one, D1 says.
   */
  async holdsGeneration(integration: string, generation: number): Promise<boolean> {
    const cached = this.cache.get(integration);
    if (cached) return cached.generation === generation;
    return (await this.currentGeneration(integration)) === generation;
  }

  /** The generation D1 holds now for `integration`, or null when there is no connection. */
  async currentGeneration(integration: string): Promise<number | null> {
    return (await getConnection(this.d, this.workspaceId, integration))?.generation ?? null;
  }
}
