// What the workspace object hands its collaborators, named once: each takes the part it uses
// (`Pick<WorkspaceDeps, …>`), so a constructor's arguments are named rather than ten in a row.
import type { KeyRing } from "../framework/crypto";
import type { RegisteredProvider } from "../framework/provider";
import type { Db } from "../storage/db";
import type { ConnectionStore } from "./connections";
import type { UpstreamLimits } from "./limits";
import type { TenantLimiters } from "./rate-limit";
import type { RunLog } from "./run-log";
import type { TokenLifecycle } from "./tokens";
import type { WebhookEvents } from "./webhook-events";

export interface WorkspaceDeps {
  env: Env;
  /** The object's own storage. */
  storage: DurableObjectStorage;
  db: Db;
  /** The token keys, resolved from env when first needed. */
  ring: () => Promise<KeyRing>;
  /** A registered provider by name (the registry as this deployment's env resolves it). */
  providerOf: (name: string) => RegisteredProvider | undefined;
  /** Keeps the object alive until `work` settles (ctx.waitUntil): a dropped promise is a lost write. */
  background: (work: Promise<unknown>) => void;
  /** On-demand keys the cron keeps warm per connection (WARM_KEYS_PER_CONNECTION). */
  warmKeys: () => number;
  store: ConnectionStore;
  events: WebhookEvents;
  tokens: TokenLifecycle;
  limits: UpstreamLimits;
  limiters: TenantLimiters;
  runs: RunLog;
}
