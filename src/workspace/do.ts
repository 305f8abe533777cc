// WorkspaceDO: one Durable Object per workspace (named by the workspace id), the single place where
// that workspace's tokens are read for use, refreshed and written, grants confirmed and connections
// removed, so no two changes to one connection ever interleave.
import { DurableObject } from "cloudflare:workers";
import { keyRingFromEnv } from "../framework/crypto";
import type { Failure } from "../framework/failure";
import type { FetchRun, FetchTrigger } from "../framework/runs";
import { fetchRunsRetentionMs, providerEventDebounceMs, workspaceLimits } from "../framework/settings";
import { findProvider } from "../providers/registry";
import { db } from "../storage/db";
import { type Conn, type ConnectionRef, ConnectionStore } from "./connections";
import type { WorkspaceDeps } from "./deps";
import { type FetchOutcome, Fetcher } from "./fetcher";
import {
  type ConfirmOutcome,
  type ConfirmRequest,
  type DisconnectOutcome,
  type GrantToHold,
  Grants,
  PENDING_GRANT_TTL_MS,
  REDEEMED_PREFIX,
} from "./grants";
import { type ImportItem, type ImportOutcome, Importer } from "./imports";
import { type LimitedWork, UpstreamLimits } from "./limits";
import { PayloadStore, type StoredPayload } from "./payloads";
import { type NoteOutcome, type Pending, ProviderEventInbox, refetchForEvents } from "./provider-events";
import { ApiProxy, type ProxyOutcome, type ProxyRequest } from "./proxy";
import { TenantLimiters } from "./rate-limit";
import { type ResealBatch, type ResealOutcome, resealTokens } from "./reseal";
import { RunLog } from "./run-log";
import { type AccessOutcome, type Force, TokenLifecycle } from "./tokens";
import { type RedeliverOutcome, WebhookEvents } from "./webhook-events";

/** DO storage prefix of one-time claims (OAuth states, connect sessions); value = expiry (epoch ms). */
const CLAIM_PREFIX = "claim:";
/** How soon the alarm retries writing refreshed tokens that D1 refused. */
const FLUSH_RETRY_MS = 5_000;

/** A cached read: the connection's tenant and its payload (null on a miss), or why there is no such connection. */
export type CachedRead =
  { ok: true; tenantId: string; payload: StoredPayload | null } | { ok: false; failure: Failure };

/** A connection's fetch log, newest first, or why there is no such connection. */
export type RunsOutcome = { ok: true; tenantId: string; runs: FetchRun[] } | { ok: false; failure: Failure };

export class WorkspaceDO extends DurableObject<Env> {
  /** The workspace this object serves: its own name, never an argument a caller could get wrong. */
  private readonly workspaceId = this.ctx.id.name ?? "";
  private readonly d = db(this.env.DB);
  private readonly ring = () => keyRingFromEnv(this.env);
  private readonly provider = (name: string) => findProvider(name, this.env);
  private readonly events = new WebhookEvents(this.env, this.d, this.workspaceId);
  private readonly store = new ConnectionStore(this.ctx.storage, this.d, this.workspaceId, this.ring, this.events);
  private readonly limits = new UpstreamLimits(this.ctx.storage, () => workspaceLimits(this.env));
  private readonly tokens = new TokenLifecycle(this.ctx.storage, this.store, this.env, this.ring, this.provider, () =>
    this.wakeAt(Date.now() + FLUSH_RETRY_MS),
  );
  private readonly limiters = new TenantLimiters();
  private readonly runs = new RunLog(this.ctx.storage, () => fetchRunsRetentionMs(this.env));
  /** What the collaborators below share, by name. */
  private readonly deps: WorkspaceDeps = {
    env: this.env,
    storage: this.ctx.storage,
    db: this.d,
    ring: this.ring,
    providerOf: this.provider,
    background: (work) => this.ctx.waitUntil(work),
    warmKeys: () => workspaceLimits(this.env).warmKeysPerConnection,
    store: this.store,
    events: this.events,
    tokens: this.tokens,
    limits: this.limits,
    limiters: this.limiters,
    runs: this.runs,
  };
  private readonly payloads = new PayloadStore(this.deps);
  private readonly grants = new Grants({ ...this.deps, payloads: this.payloads });
  private readonly fetcher = new Fetcher({ ...this.deps, payloads: this.payloads });
  private readonly proxy = new ApiProxy(this.deps);
  private readonly inbox = new ProviderEventInbox(this.ctx.storage);
  private readonly importer = new Importer(this.deps);

  /**
   * `getIntegrationAccess` of Zebbra's original framework: a usable access token of the connection
   * `ref` names, refreshed first when it expires within the refresh margin. Concurrent callers of
   * one grant share one refresh.
   */
  getIntegrationAccess(ref: ConnectionRef): Promise<AccessOutcome> {
    return this.tokens.getIntegrationAccess(ref);
  }

  /** Refreshes now whatever the expiry, or (keep-alive) when the grant's tokens were issued before a time. */
  refreshNow(ref: ConnectionRef, force: Force = true): Promise<AccessOutcome> {
    return this.tokens.getIntegrationAccess(ref, force);
  }

  /**
   * The cached data of one key of the connection `ref` names, from this object's storage (one read,
   * no upstream call once the connection is in memory); `payload` null on a miss. Marks the key as
   * asked for (at most hourly).
   */
  async readCached(ref: ConnectionRef, cacheDate: number): Promise<CachedRead> {
    const found = await this.store.exclusive(ref.integration, () => this.store.resolve(ref));
    if (!found.ok) return found;
    return { ok: true, tenantId: found.conn.tenantId, payload: await this.payloads.read(found.conn, cacheDate) };
  }

  /**
   * Fetches one cache key of a connection from the provider (FetchAdapter.getData of Zebbra's original
   * framework) and stores it. Concurrent requests for the same key share one upstream fetch.
   */
  runFetch(ref: ConnectionRef, cacheDate: number, trigger: FetchTrigger): Promise<FetchOutcome> {
    return this.fetcher.run(ref, cacheDate, trigger);
  }

  /** Logs a key the fetch queue gave up on, as its own run, so it shows in the status. */
  recordDeadLetter(conn: Conn, cacheDate: number, trigger: FetchTrigger, error: string): void {
    const now = Date.now();
    this.runs.record({
      ...conn,
      cacheDate,
      trigger,
      startedAt: now,
      finishedAt: now,
      outcome: "dead_letter",
      error,
    });
  }

  /** The latest run of each of `conns` that has one, by `connKey`. */
  latestRuns(conns: Conn[]): Record<string, FetchRun> {
    return this.runs.latest(conns);
  }

  /**
   * The runs of the connection `ref` names, newest first. The log outlives a disconnect: with no
   * connection left, a named tenant's runs are listed, and without one every tenant's of the provider.
   */
  async fetchRuns(ref: ConnectionRef, limit: number): Promise<RunsOutcome> {
    const found = await this.store.exclusive(ref.integration, () => this.store.resolve(ref));
    if (found.ok) return { ok: true, tenantId: found.conn.tenantId, runs: this.runs.list(found.conn, limit) };
    if (found.failure.reason !== "not_connected") return found;
    if (ref.tenantId !== undefined) {
      const conn = { integration: ref.integration, tenantId: ref.tenantId };
      return { ok: true, tenantId: ref.tenantId, runs: this.runs.list(conn, limit) };
    }
    return { ok: true, tenantId: "", runs: this.runs.listAll(ref.integration, limit) };
  }

  /**
   * Takes a provider's verified events for one connection of this workspace: those seen in the last
   * 24 h are dropped, the rest wait with the connection's other events until its window closes
   * (PROVIDER_EVENT_DEBOUNCE_MS after the first), when the alarm re-fetches its cached keys once.
   * Events for a connection this workspace does not hold (any more) are ignored.
   */
  async noteProviderEvents(conn: Conn, events: { id: string; kind: string }[]): Promise<NoteOutcome> {
    const found = await this.store.exclusive(conn.integration, () => this.store.resolve(conn));
    if (!found.ok) return found;
    const now = Date.now();
    const noted = this.inbox.note(found.conn, events, providerEventDebounceMs(this.env), now);
    if (noted.due !== null) await this.wakeAt(noted.due);
    return { ok: true, ...noted };
  }

  /** The connections whose provider events wait for their re-fetch, and when each runs. */
  pendingProviderEvents(): Pending[] {
    return this.inbox.pending();
  }

  /** latestRuns and pendingProviderEvents in one round trip, for the status route. */
  connectionActivity(conns: Conn[]): { runs: Record<string, FetchRun>; pending: Pending[] } {
    return { runs: this.latestRuns(conns), pending: this.pendingProviderEvents() };
  }

  /**
   * Runs the re-fetch of every provider-event window closed by `until` (the alarm: now; a test: any
   * time, to close windows without waiting for them); returns when the next window closes.
   */
  async closeProviderEventWindows(until = Date.now()): Promise<number | null> {
    const { due, next } = this.inbox.takeDue(until);
    for (const pending of due) {
      try {
        await refetchForEvents(pending, {
          d: this.d,
          events: this.events,
          cachedDates: (conn) => this.payloads.cachedDates(conn),
          run: (conn, cacheDate) => this.fetcher.run(conn, cacheDate, "provider_event"),
          maxKeys: workspaceLimits(this.env).warmKeysPerConnection,
        });
      } catch (err) {
        // Its events are spent: the next event, or the cron, fetches the keys again.
        console.error("provider event re-fetch failed", pending.integration, err instanceof Error ? err.message : "");
      }
    }
    return next;
  }

  /** Forwards one call to the provider's API with the connection's token (the proxy route). */
  forward(request: ProxyRequest): Promise<ProxyOutcome> {
    return this.proxy.forward(request);
  }

  /** Counts one unit of upstream work against the workspace's hourly limits. */
  admit(work: LimitedWork, conn?: Conn) {
    return this.limits.admit(work, conn);
  }

  /** Holds a completed consent until its user confirms it; returns the one-time confirm token. */
  holdGrant(grant: GrantToHold) {
    return this.grants.hold(grant);
  }

  /** Makes a held grant the workspace's connection to each chosen tenant (same user, in time, once; a retry answers the same). */
  async confirmGrant(request: ConfirmRequest): Promise<ConfirmOutcome> {
    const outcome = await this.grants.confirm(request);
    // The alarm drops the redemption record once the token's lifetime is over.
    if (outcome.ok) await this.wakeAt(Date.now() + PENDING_GRANT_TTL_MS + 1000);
    return outcome;
  }

  /**
   * Stores connections whose tokens were obtained elsewhere (the operator's import), each in its
   * integration's queue like a confirmed grant; one outcome per item, in order.
   */
  importConnections(items: ImportItem[]): Promise<ImportOutcome[]> {
    return this.importer.importAll(items);
  }

  /** Revokes and drops an unconfirmed grant whose time ran out. */
  expirePendingGrant(id: string): Promise<boolean> {
    return this.grants.expire(id);
  }

  /** Removes one connection and its cached data, and revokes its grant when no other connection holds it. */
  disconnect(ref: ConnectionRef, by: string): Promise<DisconnectOutcome> {
    return this.grants.disconnect(ref, by);
  }

  /** Sends one of this workspace's delivered or dead webhook events again, with a fresh attempt count, within the hourly limit. */
  redeliverWebhook(id: string): Promise<RedeliverOutcome> {
    return this.events.redeliver(id, () => this.limits.admit("webhook_redelivery"));
  }

  /**
   * Seals token sets the re-seal job found under an older key or format again under the current key,
   * each in its integration's exclusive section and only over the ciphertext the job read.
   */
  async resealTokens(batch: ResealBatch): Promise<ResealOutcome> {
    return resealTokens(this.store, this.d, await this.ring(), batch);
  }

  /**
   * Records `key` as used. True the first time; false if it was claimed before and has not expired.
   * Synchronous storage, so two concurrent claims cannot both win.
   */
  async claimOnce(key: string, expiresAt: number): Promise<boolean> {
    const storageKey = CLAIM_PREFIX + key;
    const existing = this.ctx.storage.kv.get<number>(storageKey);
    if (existing !== undefined && existing > Date.now()) return false;
    this.ctx.storage.kv.put(storageKey, expiresAt);
    await this.wakeAt(expiresAt + 1000);
    return true;
  }

  /**
   * Purges expired claims, writes refreshed tokens D1 refused before and runs the re-fetches of
   * provider events whose window closed; re-arms for what is left.
   */
  override async alarm(): Promise<void> {
    const now = Date.now();
    let next = await this.closeProviderEventWindows(now);
    const pruneAt = this.inbox.prune(now);
    if (pruneAt !== null) next = Math.min(next ?? Infinity, pruneAt);
    for (const [key, expiresAt] of this.ctx.storage.kv.list<number>({ prefix: CLAIM_PREFIX })) {
      if (expiresAt <= now) this.ctx.storage.kv.delete(key);
      else next = next === null ? expiresAt + 1000 : Math.min(next, expiresAt + 1000);
    }
    for (const [key, { expiresAt }] of this.ctx.storage.kv.list<{ expiresAt: number }>({ prefix: REDEEMED_PREFIX })) {
      if (expiresAt <= now) this.ctx.storage.kv.delete(key);
      else next = next === null ? expiresAt + 1000 : Math.min(next, expiresAt + 1000);
    }
    for (const integration of this.store.pendingRotations()) {
      try {
        await this.store.exclusive(integration, () => this.store.flushRotations(integration));
      } catch {
        next = Math.min(next ?? Infinity, now + FLUSH_RETRY_MS);
      }
    }
    if (next !== null) await this.ctx.storage.setAlarm(next);
  }

  /** Sets the alarm to `at` unless it is already set sooner. */
  private async wakeAt(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }
}
