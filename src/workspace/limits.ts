// Limits on what makes this service call providers: new cache keys and manual fetches per
// connection (an accountant's ten client companies each get the budget one company has), new
// connections per workspace. Counted in the object's storage (one fixed hourly window per kind and
// connection), so a restart does not reset them; reads served from the cache never reach here.
import type { Failure } from "../framework/failure";
import type { WorkspaceLimits } from "../framework/settings";
import { type Conn, connKey } from "./connections";

export type LimitedWork = "new_key" | "fetch" | "connect_session";

const WINDOW_MS = 3600_000;
const PREFIX = "limit:";

interface Window {
  start: number;
  count: number;
}

const DESCRIPTIONS: Record<LimitedWork, string> = {
  new_key: "new data months fetched from providers",
  fetch: "manual fetches",
  connect_session: "connections started",
};

export class UpstreamLimits {
  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly limits: () => WorkspaceLimits,
  ) {}

  /**
   * Counts one unit of `work` (of the connection `conn`, for per-connection work); a failure with
   * Retry-After when the window's limit is reached.
   */
  admit(work: LimitedWork, conn?: Conn, now = Date.now()): { ok: true } | { ok: false; failure: Failure } {
    const max = this.max(work);
    const key = conn && work !== "connect_session" ? `${PREFIX}${work}:${connKey(conn)}` : PREFIX + work;
    const start = now - (now % WINDOW_MS);
    const window = this.storage.kv.get<Window>(key);
    const count = window && window.start === start ? window.count : 0;
    if (count >= max) {
      const retryAfterMs = start + WINDOW_MS - now;
      return {
        ok: false,
        failure: {
          reason: "rate_limited",
          message: `This ${conn && work !== "connect_session" ? "connection" : "workspace"} reached its limit of ${max} ${DESCRIPTIONS[work]} per hour`,
          retryAfterMs,
        },
      };
    }
    this.storage.kv.put<Window>(key, { start, count: count + 1 });
    return { ok: true };
  }

  private max(work: LimitedWork): number {
    const limits = this.limits();
    return work === "new_key"
      ? limits.newKeysPerHour
      : work === "fetch"
        ? limits.fetchesPerHour
        : limits.connectSessionsPerHour;
  }
}
