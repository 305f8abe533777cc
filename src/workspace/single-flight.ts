// Single flight: concurrent callers with the same key share one in-progress promise. Durable
// Objects do not serialize outbound I/O by themselves; this is what makes "one refresh per expiry"
// and "one fetch per cache key" hold.

export class SingleFlight<T> {
  private readonly inflight = new Map<string, Promise<T>>();

  /** The promise under way for `key`, or a new one from `start`, shared until it settles. */
  run(key: string, start: () => Promise<T>): Promise<T> {
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = start().finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }

  /** Resolves once nothing is under way for `key` (whatever its outcome). */
  async idle(key: string): Promise<void> {
    await this.inflight.get(key)?.catch(() => undefined);
  }
}
