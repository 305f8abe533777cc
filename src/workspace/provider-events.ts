// A provider's webhook events inside the workspace's object: duplicates dropped, the rest gathered per
// connection for a window (the debounce), then one re-fetch of the connection's cached keys when the
// object's alarm comes, and one `data.changed` for the keys whose data differ.
//
// Duplicates are dropped here, in the object's SQLite, not in KV or D1: the check and the insert are
// one statement in a single-threaded object, so two deliveries of one event racing through the queue
// cannot both pass (KV reads are eventually consistent), and a burst writes no D1 row per event (D1
// is one database for every workspace). A retried queue message is therefore harmless too.
import { toIsoDate } from "../framework/dates";
import type { Failure } from "../framework/failure";
import { recordEvent } from "../storage/webhooks";
import type { Db } from "../storage/db";
import { type Conn, connKey } from "./connections";
import type { FetchOutcome } from "./fetcher";
import type { WebhookEvents } from "./webhook-events";

/** DO storage: `pevents:<integration>/<tenant>` → Pending, one per connection with events waiting. */
const PENDING_PREFIX = "pevents:";
/** How long an event id is remembered: providers redeliver within a day. */
export const SEEN_FOR_MS = 24 * 3600_000;

/** A connection's events waiting for its re-fetch. */
export interface Pending extends Conn {
  /** What the provider said changed, each once, in arrival order. */
  kinds: string[];
  /** When the window closes and the re-fetch runs (epoch ms). */
  due: number;
  /** How many events the window gathered. */
  events: number;
}

/** What became of a batch of events for one connection. */
export type NoteOutcome =
  { ok: true; fresh: number; duplicates: number; due: number | null } | { ok: false; failure: Failure };

export class ProviderEventInbox {
  private ready = false;

  constructor(private readonly storage: DurableObjectStorage) {}

  private sql() {
    if (!this.ready) {
      this.storage.sql.exec(
        "CREATE TABLE IF NOT EXISTS provider_events_seen (id TEXT PRIMARY KEY, seen_at INTEGER NOT NULL)",
      );
      this.storage.sql.exec("CREATE INDEX IF NOT EXISTS provider_events_seen_at ON provider_events_seen (seen_at)");
      this.ready = true;
    }
    return this.storage.sql;
  }

  /**
   * Records events of `conn` not seen in the last 24 h and opens the connection's window (closing
   * `windowMs` after its first event) unless one is open. Returns when the window closes.
   */
  note(conn: Conn, events: readonly { id: string; kind: string }[], windowMs: number, now: number) {
    const sql = this.sql();
    const fresh = events.filter(
      (e) =>
        sql
          .exec(
            "INSERT INTO provider_events_seen (id, seen_at) VALUES (?, ?) ON CONFLICT DO NOTHING RETURNING id",
            `${connKey(conn)}|${e.id}`,
            now,
          )
          .toArray().length > 0,
    );
    const key = PENDING_PREFIX + connKey(conn);
    const pending = this.storage.kv.get<Pending>(key);
    if (fresh.length === 0) return { fresh: 0, duplicates: events.length, due: pending?.due ?? null };
    const kinds = new Set(pending?.kinds ?? []);
    for (const e of fresh) kinds.add(e.kind);
    const next: Pending = {
      ...conn,
      kinds: [...kinds],
      due: pending?.due ?? now + windowMs,
      events: (pending?.events ?? 0) + fresh.length,
    };
    this.storage.kv.put(key, next);
    return { fresh: fresh.length, duplicates: events.length - fresh.length, due: next.due };
  }

  /** Every connection's waiting events. */
  pending(): Pending[] {
    return [...this.storage.kv.list<Pending>({ prefix: PENDING_PREFIX })].map(([, p]) => p);
  }

  /** Takes (removes) the windows that closed by `now`; returns them and when the next one closes. */
  takeDue(now: number): { due: Pending[]; next: number | null } {
    const due: Pending[] = [];
    let next: number | null = null;
    for (const [key, p] of this.storage.kv.list<Pending>({ prefix: PENDING_PREFIX })) {
      if (p.due <= now) {
        this.storage.kv.delete(key);
        due.push(p);
      } else next = next === null ? p.due : Math.min(next, p.due);
    }
    return { due, next };
  }

  /** Forgets event ids older than 24 h; returns when the oldest left will be, or null when none is. */
  prune(now: number): number | null {
    const sql = this.sql();
    sql.exec("DELETE FROM provider_events_seen WHERE seen_at <= ?", now - SEEN_FOR_MS);
    const oldest = sql.exec<{ at: number | null }>("SELECT min(seen_at) AS at FROM provider_events_seen").one().at;
    return oldest === null ? null : oldest + SEEN_FOR_MS + 1;
  }
}

/**
 * The re-fetch a closed window asks for: each cached key of the connection (newest first, at most
 * `maxKeys`), one after another so the provider's per-tenant limits hold, then one `data.changed`
 * naming the keys whose data differ and the kinds of change that caused it.
 */
export async function refetchForEvents(
  pending: Pending,
  deps: {
    d: Db;
    events: WebhookEvents;
    cachedDates: (conn: Conn) => number[];
    run: (conn: Conn, cacheDate: number) => Promise<FetchOutcome>;
    maxKeys: number;
  },
): Promise<{ fetched: number; changed: number[] }> {
  const conn = { integration: pending.integration, tenantId: pending.tenantId };
  // Nothing cached: there is nothing stale either; the next read fetches what it needs.
  const dates = deps.cachedDates(conn).slice(0, deps.maxKeys);
  const changed: number[] = [];
  let fetched = 0;
  for (const cacheDate of dates) {
    const outcome = await deps.run(conn, cacheDate);
    fetched++;
    if (outcome.ok && outcome.changed) changed.push(cacheDate);
    // Disconnected meanwhile: the other keys went with it.
    if (!outcome.ok && outcome.failure.reason === "not_connected") break;
  }
  if (changed.length > 0) {
    const event = deps.events.create("data.changed", conn, {
      cache_dates: changed.map((d) => toIsoDate(new Date(d * 1000))).join(","),
      kinds: pending.kinds.join(","),
      fetched_at: new Date().toISOString(),
    });
    if (event) {
      await recordEvent(deps.d, event);
      await deps.events.send(event);
    }
  }
  return { fetched, changed };
}
