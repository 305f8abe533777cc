// Cached payloads in the workspace object's own storage (SQLite-backed, sync KV API), one value per
// (connection, cache date), served by the object itself; D1's data_cache keeps only the index the
// cron reads. A payload is written here before its index row, so an index row never names a payload
// that was never stored; a payload without an index row is harmless and overwritten by the next fetch.
import { dataFormatOf } from "../framework/provider";
import {
  type CacheKey,
  capRequestedKeys,
  clearLegacyPayload,
  getLegacyPayload,
  putCacheIndex,
  touchRequested,
} from "../storage/cache";
import type { OutboxEvent } from "../storage/webhooks";
import { type Conn, connKey } from "./connections";
import type { WorkspaceDeps } from "./deps";
import { HOUR_MS } from "../framework/durations";

/**
 * DO storage: `payload:<integration>/<tenant>:<cache date>` → StoredPayload. Keys written before
 * connections had tenants (`payload:<integration>:<cache date>`) are never read: each connection's
 * keys are fetched again, and those are dropped with the integration's connections.
 */
const PAYLOAD_PREFIX = "payload:";
/** last_requested_at is written at most this often per key. */
const TOUCH_EVERY_MS = HOUR_MS;

/** A cached payload as stored: its JSON, handed to the edge as is, and when it was fetched. */
export interface StoredPayload {
  json: string;
  fetchedAt: number;
  /** The provider's data format it was read with; absent before formats existed (format 1). */
  format?: number;
}

const storageKey = (conn: Conn, cacheDate: number) => `${PAYLOAD_PREFIX}${connKey(conn)}:${cacheDate}`;
const bytes = (json: string) => new TextEncoder().encode(json).byteLength;

export class PayloadStore {
  /** When this object last recorded each key as asked for (memory only: after eviction, one more conditional UPDATE). */
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly deps: Pick<WorkspaceDeps, "storage" | "db" | "store" | "warmKeys" | "background" | "providerOf">,
  ) {}

  /** The provider's current data format (`dataFormat`); 1 for one no longer registered. */
  private formatOf(integration: string): number {
    const provider = this.deps.providerOf(integration);
    return provider ? dataFormatOf(provider) : 1;
  }

  /**
   * The cached payload of a key: one read of this object's storage. A key not here yet whose D1
   * row still holds a payload (written before payloads moved) is moved here first. Null on a miss,
   * and for a payload of an older data format: it was read with a meaning the provider does not
   * give its answer, so it is fetched again rather than served. Records the key as asked for in D1,
   * at most hourly and in the background.
   */
  async read(conn: Conn, cacheDate: number): Promise<StoredPayload | null> {
    const stored =
      this.deps.storage.kv.get<StoredPayload>(storageKey(conn, cacheDate)) ??
      (await this.deps.store.exclusive(conn.integration, () => this.moveLegacy(conn, cacheDate)));
    if (!stored) return null;
    this.touch(conn, cacheDate);
    return (stored.format ?? 1) === this.formatOf(conn.integration) ? stored : null;
  }

  /** The JSON stored for a key as it is, whatever its format, or undefined: what a re-fetch compares with. */
  storedJson(conn: Conn, cacheDate: number): string | undefined {
    return this.deps.storage.kv.get<StoredPayload>(storageKey(conn, cacheDate))?.json;
  }

  /** The cache dates this object holds payloads for, newest first: the keys a provider's events re-fetch. */
  cachedDates(conn: Conn): number[] {
    const prefix = `${PAYLOAD_PREFIX}${connKey(conn)}:`;
    return [...this.deps.storage.kv.list({ prefix })]
      .map(([key]) => Number(key.slice(prefix.length)))
      .filter((date) => Number.isSafeInteger(date))
      .sort((a, b) => b - a);
  }

  /**
   * Stores a fresh payload, then its index row (with `event`, in one D1 batch). Call inside the
   * connection's exclusive section, after checking it still holds the grant the data was read with.
   */
  async write(key: CacheKey, payload: unknown, now: number, requested: boolean, event?: OutboxEvent): Promise<void> {
    const json = JSON.stringify(payload);
    const format = this.formatOf(key.integration);
    this.deps.storage.kv.put<StoredPayload>(storageKey(key, key.cacheDate), { json, fetchedAt: now, format });
    await this.deps.storage.sync();
    await putCacheIndex(this.deps.db, key, { size: bytes(json), formatVersion: format }, now, requested, event);
    if (requested) this.touched.set(storageKey(key, key.cacheDate), now);
  }

  /**
   * Drops every payload of a connection from this object (disconnect: D1's index rows go in the
   * connection's delete batch). Payloads go first: a failure after it leaves index rows without
   * payloads, which read as misses, never a disconnected connection's data served.
   */
  dropPayloads(conn: Conn): void {
    // And whatever the integration's one connection cached before connections had tenants.
    for (const prefix of [`${PAYLOAD_PREFIX}${connKey(conn)}:`, `${PAYLOAD_PREFIX}${conn.integration}:`]) {
      for (const [key] of this.deps.storage.kv.list({ prefix })) {
        this.deps.storage.kv.delete(key);
        this.touched.delete(key);
      }
    }
  }

  /** In the integration's exclusive section, so no fetch commit or disconnect interleaves. */
  private async moveLegacy(conn: Conn, cacheDate: number): Promise<StoredPayload | null> {
    const key = storageKey(conn, cacheDate);
    // A fetch may have committed while this read waited for the section.
    const stored = this.deps.storage.kv.get<StoredPayload>(key);
    if (stored) return stored;
    const cacheKey = { workspaceId: this.deps.store.workspaceId, ...conn, cacheDate };
    const legacy = await getLegacyPayload(this.deps.db, cacheKey);
    if (!legacy) return null;
    const moved = { json: legacy.payload, fetchedAt: legacy.fetchedAt };
    this.deps.storage.kv.put<StoredPayload>(key, moved);
    await this.deps.storage.sync();
    try {
      await clearLegacyPayload(this.deps.db, cacheKey, bytes(legacy.payload));
    } catch (err) {
      // The object holds it now; D1's copy is cleared by the key's next fetch.
      console.warn("legacy payload not cleared", conn.integration, err instanceof Error ? err.message : "");
    }
    return moved;
  }

  private touch(conn: Conn, cacheDate: number): void {
    const key = storageKey(conn, cacheDate);
    const now = Date.now();
    if (now - (this.touched.get(key) ?? 0) < TOUCH_EVERY_MS) return;
    this.touched.set(key, now);
    const cacheKey = { workspaceId: this.deps.store.workspaceId, ...conn, cacheDate };
    // A key asked for again rejoins the set the cron keeps warm, which stays capped per connection.
    this.deps.background(
      touchRequested(this.deps.db, cacheKey, now)
        .then((joined) => (joined ? capRequestedKeys(this.deps.db, cacheKey, this.deps.warmKeys()) : 0))
        .catch((err: unknown) => {
          this.touched.delete(key);
          console.warn("last_requested_at not recorded", conn.integration, err instanceof Error ? err.message : "");
        }),
    );
  }
}
