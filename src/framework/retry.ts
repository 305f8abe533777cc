// The one retry loop, for the token refresh and for provider 429s (API calls and the proxy): each
// caller says which outcomes are worth another attempt and how long to wait; the attempt count, the
// cap on a server's Retry-After and the sleeping are here once.
import { exponentialBackoff } from "./backoff";

/** How one attempt ended: a value (which may still be worth retrying, e.g. a 429 response) or a throw. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

export interface RetryOptions<T> {
  /** Attempts after the first, at most. */
  retries: number;
  /**
   * The wait in ms before another attempt, after attempt `n` (0 for the first) ended in `outcome`; null
   * when that outcome is final (returned or thrown as it is).
   */
  delayFor(outcome: Outcome<T>, n: number): number | null;
  /** The longest wait taken: a longer one (a far Retry-After) makes the outcome final, for the caller to pass on. */
  maxWaitMs: number;
  /** Releases a value that is retried instead of returned (an unread response body). */
  discard?(value: T): Promise<void>;
}

/** Runs `attempt` until an outcome is final or the retries are spent, then returns or throws that outcome. */
export async function retry<T>(attempt: (n: number) => Promise<T>, options: RetryOptions<T>): Promise<T> {
  for (let n = 0; ; n++) {
    let outcome: Outcome<T>;
    try {
      outcome = { ok: true, value: await attempt(n) };
    } catch (error) {
      outcome = { ok: false, error };
    }
    const wait = n < options.retries ? options.delayFor(outcome, n) : null;
    if (wait === null || wait > options.maxWaitMs) {
      if (outcome.ok) return outcome.value;
      throw outcome.error;
    }
    if (outcome.ok) await options.discard?.(outcome.value);
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

/**
 * `base` ms doubled for every earlier attempt, with equal jitter: between half and all of it, so
 * callers that failed together (every workspace refreshing at a provider's outage) do not all come
 * back at the same instant.
 */
export function jitteredBackoff(n: number, base: number): number {
  const full = exponentialBackoff(n, base);
  return full / 2 + (Math.random() * full) / 2;
}

/** Retry-After as delay-seconds or an HTTP date (RFC 9110 §10.2.3), in ms from `now`; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}
