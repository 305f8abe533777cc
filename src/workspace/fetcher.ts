// Fetch runs inside the workspace's Durable Object: one upstream fetch per (connection, cache key)
// however many callers wait, tokens from the object's own lifecycle, the provider's rate limit per
// tenant, every attempt that reaches the provider logged in the object's run log once it ends, and
// the cache (payload in the object's storage, index in D1) written only on success and only while
// the connection still holds the grant the data was read with. A cron fetch that succeeds writes D1
// once: the index row, with its event in the same batch.
import type { DataBatch, DataPayload } from "../framework/data";
import { monthEnd, toIsoDate } from "../framework/dates";
import { type Failure, FailureError } from "../framework/failure";
import type { RegisteredProvider } from "../framework/provider";
import type { FetchRun, FetchTrigger } from "../framework/runs";
import { createProviderApi, ProviderApiError } from "../framework/provider-http";
import { capRequestedKeys } from "../storage/cache";
import { recordEvent } from "../storage/webhooks";
import { type Conn, type ConnectionRef, connKey } from "./connections";
import type { WorkspaceDeps } from "./deps";
import type { PayloadStore } from "./payloads";
import { SingleFlight } from "./single-flight";
import type { UsableAccess } from "./tokens";

/**
 * Plain data, so it crosses Durable Object RPC intact. `changed`: the payload differs from the one
 * cached before (or none was).
 */
export type FetchOutcome =
  { ok: true; payload: DataPayload; fetchedAt: number; changed: boolean } | { ok: false; failure: Failure };

export class Fetcher {
  private readonly flights = new SingleFlight<FetchOutcome>();

  constructor(
    private readonly deps: Pick<
      WorkspaceDeps,
      "db" | "runs" | "store" | "tokens" | "limits" | "providerOf" | "warmKeys" | "events" | "limiters"
    > & { payloads: PayloadStore },
  ) {}

  /**
   * Fetches (connection, cacheDate) now and caches it; concurrent callers share the run, and only
   * the caller that starts an on-demand run counts against the workspace's new-key limit.
   */
  async run(ref: ConnectionRef, cacheDate: number, trigger: FetchTrigger): Promise<FetchOutcome> {
    const { integration } = ref;
    const provider = this.deps.providerOf(integration);
    if (!provider)
      return { ok: false, failure: { reason: "unknown_integration", message: `Unknown integration "${integration}"` } };
    if (provider.apiType === null)
      return { ok: false, failure: { reason: "invalid_request", message: `${provider.name} has no data adapter` } };
    const found = await this.deps.store.exclusive(integration, () => this.deps.store.resolve(ref));
    if (!found.ok) return found;
    const { conn } = found;
    return this.flights.run(`${connKey(conn)}:${cacheDate}`, async () => {
      if (trigger === "on_demand") {
        const admitted = this.deps.limits.admit("new_key", conn);
        if (!admitted.ok) return admitted;
      }
      return this.fetch(provider, conn, cacheDate, trigger);
    });
  }

  private async fetch(
    provider: RegisteredProvider,
    conn: Conn,
    cacheDate: number,
    trigger: FetchTrigger,
  ): Promise<FetchOutcome> {
    // Every from_date that maps to this key lies in or after the key's month, so fetching from the
    // month's first day gives each of them all it needs (payroll rows are trimmed per request).
    const fromDate = `${toIsoDate(new Date(cacheDate * 1000)).slice(0, 8)}01`;
    /** data.fetch_failed for the host app, stored on its own (no state change goes with it) and queued. */
    // The entry's one name everywhere (data, runs, status, events): its cache date, a month end.
    const cacheDay = toIsoDate(new Date(cacheDate * 1000));
    const reportFailure = async (reason: string) => {
      const event = this.deps.events.create("data.fetch_failed", conn, {
        cache_date: cacheDay,
        from_date: cacheDay,
        reason,
        trigger,
      });
      if (!event) return;
      await recordEvent(this.deps.db, event);
      await this.deps.events.send(event);
    };
    const first = await this.deps.tokens.getIntegrationAccess(conn);
    // No usable token: nothing reached the provider's API, so there is no fetch to log; but a
    // connection that cannot be fetched is news to the host app, unless it heard already
    // (connection.deleted, connection.requires_reconnect).
    if (!first.ok) {
      const { reason } = first.failure;
      if (reason !== "not_connected" && reason !== "reconnect_required") await reportFailure(reason);
      return first;
    }

    const key = { workspaceId: this.deps.store.workspaceId, ...conn, cacheDate };
    const startedAt = Date.now();
    const ended = (outcome: FetchRun["outcome"], error: string | null, finishedAt: number): FetchRun => ({
      integration: provider.name,
      tenantId: conn.tenantId,
      cacheDate,
      trigger,
      startedAt,
      finishedAt,
      outcome,
      error,
    });
    let payload: DataPayload;
    let access = first.access;
    try {
      try {
        payload = await this.getData(provider, access, fromDate);
      } catch (err) {
        // A 401 with a token we believed valid (revoked or expired early): refresh once and retry.
        if (!(err instanceof ProviderApiError) || err.status !== 401) throw err;
        const again = await this.deps.tokens.getIntegrationAccess(conn, true);
        if (!again.ok) throw FailureError.of(again.failure);
        access = again.access;
        payload = await this.getData(provider, access, fromDate);
      }
    } catch (err) {
      const failure = classify(err, provider.name);
      if (failure.reason === "internal_error")
        console.error("fetch failed unexpectedly", provider.name, err instanceof Error ? err.name : "");
      else console.warn("fetch failed", provider.name, failure.reason, failure.message);
      this.deps.runs.record(ended("error", `${failure.reason}: ${failure.message}`, Date.now()));
      await reportFailure(failure.reason);
      return { ok: false, failure };
    }

    const now = Date.now();
    let fetched = this.deps.events.create(
      "data.fetched",
      conn,
      { cache_date: cacheDay, from_date: cacheDay, fetched_at: new Date(now).toISOString(), trigger },
      now,
    );
    let kept: boolean;
    let changed = false;
    try {
      kept = await this.deps.store.exclusive(provider.name, async () => {
        // Disconnected or replaced while the provider answered: the data belongs to no connection now.
        if (!(await this.deps.store.holdsGeneration(conn, access.generation))) return false;
        changed = this.deps.payloads.storedJson(conn, cacheDate) !== JSON.stringify(payload);
        // A re-fetch for the provider's events that found new data is reported once for the whole
        // connection (data.changed, by the caller); one that found the same data is data.fetched, and
        // so is new data when WEBHOOK_EVENTS leaves data.changed out.
        if (changed && trigger === "provider_event" && this.deps.events.sends("data.changed")) fetched = undefined;
        await this.deps.payloads.write(key, payload, now, trigger === "on_demand", fetched);
        this.deps.runs.record(ended("success", null, now));
        return true;
      });
    } catch (err) {
      // D1 refused the index row: the key stays due (the queue retries it) and the log says why.
      console.error("fetched data not stored", provider.name, err instanceof Error ? err.message : "");
      this.deps.runs.record(ended("error", "internal_error: the fetched data could not be stored", Date.now()));
      return { ok: false, failure: { reason: "internal_error", message: "The fetched data could not be stored" } };
    }
    if (!kept) {
      this.deps.runs.record(
        ended("error", "not_connected: the connection changed during the fetch; its data was dropped", now),
      );
      return {
        ok: false,
        failure: { reason: "not_connected", message: `${provider.name} was disconnected or replaced during the fetch` },
      };
    }
    if (trigger === "on_demand") {
      // Housekeeping of the warm set: the data is stored, so a failure here costs the caller nothing.
      await capRequestedKeys(this.deps.db, key, this.deps.warmKeys()).catch((err: unknown) =>
        console.warn("warm keys not capped", provider.name, err instanceof Error ? err.message : ""),
      );
    }
    await this.deps.events.send(fetched);
    return { ok: true, payload, fetchedAt: now, changed };
  }

  private async getData(provider: RegisteredProvider, access: UsableAccess, fromDate: string): Promise<DataPayload> {
    const limiter = this.deps.limiters.for(provider, access.tenantId);
    const ctx = {
      api: createProviderApi(access.apiBaseUrl, access.accessToken, { limiter }),
      tenantId: access.tenantId,
      fromDate,
      warn: (message: string) => console.warn(`${provider.name}: ${message}`),
    };
    if (provider.apiType === "accounting")
      return { apiType: "accounting", batch: untilThisMonth(await provider.getData(ctx), Date.now()) };
    if (provider.apiType === "payroll") return { apiType: "payroll", employees: await provider.getData(ctx) };
    throw new FailureError("invalid_request", `${provider.name} has no data adapter`);
  }
}

/**
 * A batch cut at the current month: months to come have no books yet, and a provider's zeros for
 * them would read as figures.
 */
function untilThisMonth(batch: DataBatch, now: number): DataBatch {
  const last = monthEnd(toIsoDate(new Date(now)));
  if (batch.dates.every((d) => d <= last)) return batch;
  const dates = batch.dates.filter((d) => d <= last);
  const data = Object.fromEntries(
    Object.entries(batch.data).map(([title, values]) => [
      title,
      Object.fromEntries(dates.map((d) => [d, values[d] ?? null])),
    ]),
  );
  return { dates, data };
}

/** What a failed fetch means for the caller and the queue. */
function classify(err: unknown, integration: string): Failure {
  if (err instanceof ProviderApiError) {
    const transient = err.status === null || err.status === 429 || err.status >= 500;
    const failure: Failure = transient
      ? { reason: "provider_unavailable", message: `${integration} is unavailable: ${err.message}` }
      : { reason: "provider_error", message: `${integration} refused the request: ${err.message}` };
    if (err.retryAfterMs !== null) failure.retryAfterMs = err.retryAfterMs;
    return failure;
  }
  if (err instanceof FailureError) return err.failure;
  return { reason: "internal_error", message: "The fetch failed unexpectedly" };
}
