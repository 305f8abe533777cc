// The one exponential backoff, used by the retry loop (retry.ts) and the queue consumers' delays.

/** `base` doubled for every earlier attempt (attempt 0 waits `base`), at most `cap`; any unit. */
export function exponentialBackoff(attempt: number, base: number, cap = Number.POSITIVE_INFINITY): number {
  return Math.min(cap, base * 2 ** attempt);
}
