// Limits on what makes this service call out: new cache keys and manual fetches per connection (an
// accountant's ten client companies each get the budget one company has); connections started,
// proxied calls and webhook redeliveries per workspace. Counted in the object's storage, so a restart
// does not reset them: a fixed hourly window per kind and connection, and for proxied calls a rolling
// minute (a fixed one would let twice the budget through across a boundary). Reads served from the
// cache never reach here.
import type { Failure } from "../framework/failure";
import type { WorkspaceLimits } from "../framework/settings";
import { type Conn, connKey } from "./connections";
import { MINUTE_MS, HOUR_MS } from "../framework/durations";

export type LimitedWork = "new_key" | "fetch" | "connect_session" | "proxy_call" | "webhook_redelivery";

const PREFIX = "limit:";

interface Window {
  start: number;
  count: number;
}

/** A rolling window: when each counted unit started, oldest first. */
interface Starts {
  starts: number[];
}

interface Rule {
  windowMs: number;
  /** Counted over the last `windowMs` rather than in fixed windows. */
  rolling?: true;
  /** Counted per connection when one is given, else per workspace. */
  perConnection: boolean;
  description: string;
  max: (limits: WorkspaceLimits) => number;
}

const RULES: Record<LimitedWork, Rule> = {
  new_key: {
    windowMs: HOUR_MS,
    perConnection: true,
    description: "new data months fetched from providers",
    max: (l) => l.newKeysPerHour,
  },
  fetch: { windowMs: HOUR_MS, perConnection: true, description: "manual fetches", max: (l) => l.fetchesPerHour },
  connect_session: {
    windowMs: HOUR_MS,
    perConnection: false,
    description: "connections started",
    max: (l) => l.connectSessionsPerHour,
  },
  proxy_call: {
    windowMs: MINUTE_MS,
    rolling: true,
    perConnection: false,
    description: "proxied calls",
    max: (l) => l.proxyCallsPerMinute,
  },
  webhook_redelivery: {
    windowMs: HOUR_MS,
    perConnection: false,
    description: "webhook redeliveries",
    max: (l) => l.webhookRedeliveriesPerHour,
  },
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
    const rule = RULES[work];
    const max = rule.max(this.limits());
    const perConnection = conn !== undefined && rule.perConnection;
    const key = perConnection ? `${PREFIX}${work}:${connKey(conn)}` : PREFIX + work;
    const refused = (retryAfterMs: number) => ({
      ok: false as const,
      failure: {
        reason: "rate_limited" as const,
        message: `This ${perConnection ? "connection" : "workspace"} reached its limit of ${max} ${rule.description} per ${rule.windowMs === MINUTE_MS ? "minute" : "hour"}`,
        retryAfterMs,
      },
    });
    if (rule.rolling) {
      const starts = (this.storage.kv.get<Starts>(key)?.starts ?? []).filter((t) => t > now - rule.windowMs);
      if (starts.length >= max) return refused(starts[starts.length - max]! + rule.windowMs - now);
      this.storage.kv.put<Starts>(key, { starts: [...starts, now] });
      return { ok: true };
    }
    const start = now - (now % rule.windowMs);
    const window = this.storage.kv.get<Window>(key);
    const count = window && window.start === start ? window.count : 0;
    if (count >= max) return refused(start + rule.windowMs - now);
    this.storage.kv.put<Window>(key, { start, count: count + 1 });
    return { ok: true };
  }
}
