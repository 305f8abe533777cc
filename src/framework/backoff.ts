// The one exponential backoff, used by token refresh retries, provider 429 retries and the queue.

/** `base` doubled for every earlier attempt (attempt 0 waits `base`), at most `cap`; any unit. */
export function exponentialBackoff(attempt: number, base: number, cap = Number.POSITIVE_INFINITY): number {
  return Math.min(cap, base * 2 ** attempt);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
