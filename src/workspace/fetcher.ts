// Fetch runs inside the workspace's Durable Object: one upstream fetch per (integration, cache key)
// however many callers wait, tokens from the object's own lifecycle, the provider's rate limit per
// tenant, every attempt logged in fetch_runs, and the cache written only on success.
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ProviderDataError } from "../adapters/batch";
import { RateLimiter } from "../adapters/rate-limit";
import { toIsoDate } from "../adapters/dates";
import type { Db } from "../db/access";
import { SingleFlight } from "../lib/single-flight";
import { type DataPayload, type FetchTrigger, finishRun, putCached, startRun } from "../db/cache";
import { AppError } from "../errors";
import { createProviderApi, ProviderApiError } from "../providers/api";
import type { RegisteredProvider } from "../providers/types";
import { findProvider } from "../registry";
import type { AccessFailure, TokenLifecycle, UsableAccess } from "./tokens";

export interface FetchFailure {
  status: ContentfulStatusCode;
  code: string;
  message: string;
  /** Worth trying again later (provider down or rate limiting); false for reconnects and bad data. */
  retryable: boolean;
  retryAfterMs?: number;
}

export type FetchOutcome = { ok: true; payload: DataPayload; fetchedAt: number } | { ok: false; error: FetchFailure };

export class Fetcher {
  private readonly flights = new SingleFlight<FetchOutcome>();
  private readonly limiters = new Map<string, RateLimiter>();

  constructor(
    private readonly d: Db,
    private readonly tokens: TokenLifecycle,
  ) {}

  /** Fetches (workspace, integration, cacheDate) now and caches it; concurrent callers share the run. */
  run(workspaceId: string, integration: string, cacheDate: number, trigger: FetchTrigger): Promise<FetchOutcome> {
    return this.flights.run(`${integration}:${cacheDate}`, () => this.fetch(workspaceId, integration, cacheDate, trigger));
  }

  private async fetch(workspaceId: string, integration: string, cacheDate: number, trigger: FetchTrigger): Promise<FetchOutcome> {
    const provider = findProvider(integration);
    if (!provider) return { ok: false, error: { status: 400, code: "unknown_integration", message: `Unknown integration "${integration}"`, retryable: false } };
    const runId = await startRun(this.d, { workspaceId, integration: provider.name, cacheDate, trigger }, Date.now());
    const fail = async (error: FetchFailure): Promise<FetchOutcome> => {
      await finishRun(this.d, runId, "error", `${error.code}: ${error.message}`, Date.now());
      return { ok: false, error };
    };

    // Every from_date that maps to this key lies in or after the key's month, so fetching from the
    // month's first day gives each of them all it needs (payroll rows are trimmed per request).
    const fromDate = `${toIsoDate(new Date(cacheDate * 1000)).slice(0, 8)}01`;
    let payload: DataPayload;
    try {
      payload = await this.fetchPayload(workspaceId, provider, fromDate);
    } catch (err) {
      if (err instanceof TokenFailure) return fail({ ...err.failure, retryable: err.failure.status === 503 });
      const failure = classify(err, provider.name);
      if (failure.status === 500) console.error("fetch failed unexpectedly", provider.name, err);
      else console.warn("fetch failed", provider.name, failure.code, failure.message);
      return fail(failure);
    }
    const now = Date.now();
    await putCached(this.d, workspaceId, provider.name, cacheDate, payload, now, trigger === "on_demand");
    await finishRun(this.d, runId, "success", null, now);
    return { ok: true, payload, fetchedAt: now };
  }

  private async fetchPayload(workspaceId: string, provider: RegisteredProvider, fromDate: string): Promise<DataPayload> {
    const attempt = async (force: boolean) => {
      const outcome = await this.tokens.getIntegrationAccess(workspaceId, provider.name, force);
      if (!outcome.ok) throw new TokenFailure(outcome.error);
      return this.getData(provider, outcome.access, fromDate);
    };
    try {
      return await attempt(false);
    } catch (err) {
      // A 401 with a token we believed valid (revoked or expired early): refresh once and retry.
      if (err instanceof ProviderApiError && err.status === 401) return attempt(true);
      throw err;
    }
  }

  private async getData(provider: RegisteredProvider, access: UsableAccess, fromDate: string): Promise<DataPayload> {
    const limiter = provider.rateLimit ? this.limiter(`${provider.name}:${access.tenantId ?? ""}`, provider) : undefined;
    const ctx = {
      api: createProviderApi(access.apiBaseUrl, access.accessToken, limiter ? { limiter } : {}),
      tenantId: access.tenantId,
      fromDate,
      warn: (message: string) => console.warn(`${provider.name}: ${message}`),
    };
    if (provider.apiType === "accounting") return { apiType: "accounting", batch: await provider.getData(ctx) };
    return { apiType: "payroll", employees: await provider.getData(ctx) };
  }

  private limiter(key: string, provider: RegisteredProvider): RateLimiter {
    let limiter = this.limiters.get(key);
    if (!limiter) {
      limiter = new RateLimiter(provider.rateLimit!);
      this.limiters.set(key, limiter);
    }
    return limiter;
  }
}

class TokenFailure extends Error {
  constructor(readonly failure: AccessFailure) {
    super(failure.message);
  }
}

function classify(err: unknown, integration: string): FetchFailure {
  if (err instanceof ProviderApiError) {
    const transient = err.status === null || err.status === 429 || err.status >= 500;
    const failure: FetchFailure = transient
      ? { status: 503, code: "provider_unavailable", message: `${integration} is unavailable: ${err.message}`, retryable: true }
      : { status: 502, code: "provider_error", message: `${integration} refused the request: ${err.message}`, retryable: false };
    if (err.retryAfterMs !== null) failure.retryAfterMs = err.retryAfterMs;
    return failure;
  }
  if (err instanceof ProviderDataError) return { status: 502, code: err.code, message: err.message, retryable: false };
  if (err instanceof AppError) return { status: err.status, code: err.code, message: err.message, retryable: false };
  return { status: 500, code: "internal_error", message: "The fetch failed unexpectedly", retryable: true };
}
