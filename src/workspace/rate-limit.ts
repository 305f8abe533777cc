// Per-tenant API limits (e.g. Xero: 5 concurrent, 60 a minute), enforced in the workspace's
// Durable Object, where every fetch of the workspace runs.
import type { RateLimit } from "../framework/provider";
import type { Limiter } from "../framework/provider-http";
import { MINUTE_MS } from "../framework/durations";

export class RateLimiter implements Limiter {
  private active = 0;
  private readonly queue: (() => void)[] = [];
  private readonly starts: number[] = [];

  constructor(
    private readonly limit: RateLimit,
    /** The rolling window `perMinute` counts over; shorter only in tests. */
    private readonly windowMs = MINUTE_MS,
  ) {}

  /** Runs `task` once a concurrency slot and a slot in the rolling minute are free. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next waiter, so a newcomer cannot take it in between.
      const next = this.queue.shift();
      if (next) next();
      else this.active--;
    }
  }

  private async acquire(): Promise<void> {
    if (this.active >= this.limit.concurrent) await new Promise<void>((resolve) => this.queue.push(resolve));
    else this.active++;
    for (;;) {
      const now = Date.now();
      while (this.starts.length && this.starts[0]! <= now - this.windowMs) this.starts.shift();
      if (this.starts.length < this.limit.perMinute) break;
      await new Promise((resolve) => setTimeout(resolve, this.starts[0]! + this.windowMs - now));
    }
    this.starts.push(Date.now());
  }
}

/**
 * The limit of a provider that declares none. An undocumented limit is not no limit: without one, a
 * burst through the proxy would reach the provider all at once and spend the shared OAuth app's
 * standing there. Concurrency is what a burst breaks, so that is the tight part; the per-minute
 * figure is a backstop (the proxy's own budget is LIMIT_PROXY_CALLS_PER_MINUTE per workspace), high
 * enough that one tick's cron fetches of a large connection (a thousand keys) are not held back.
 */
export const DEFAULT_RATE_LIMIT: RateLimit = { concurrent: 10, perMinute: 1200 };

/**
 * One limiter per (provider, tenant) in this workspace's object, shared by fetches and proxied
 * calls, so together they stay within the provider's per-tenant limits.
 */
export class TenantLimiters {
  private readonly limiters = new Map<string, RateLimiter>();

  /** The limiter for `provider`'s `tenantId`: its declared limit, else DEFAULT_RATE_LIMIT. */
  for(provider: { name: string; rateLimit?: RateLimit | undefined }, tenantId: string | null): RateLimiter {
    const key = `${provider.name}:${tenantId ?? ""}`;
    let limiter = this.limiters.get(key);
    if (!limiter) {
      limiter = new RateLimiter(provider.rateLimit ?? DEFAULT_RATE_LIMIT);
      this.limiters.set(key, limiter);
    }
    return limiter;
  }
}
