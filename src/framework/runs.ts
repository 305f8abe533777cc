// The fetch log's shape: one ended fetch attempt (or a key the queue gave up on), as the workspace
// object records it and the status and runs routes show it.

/** What started a fetch. */
/** `provider_event`: a re-fetch after the provider reported a change (its webhooks). */
export type FetchTrigger = "cron" | "manual" | "on_demand" | "provider_event";

export interface FetchRun {
  integration: string;
  /** The connection's tenant; '' for a provider without tenants. */
  tenantId: string;
  /** The 12-month batch rule's cache key (epoch seconds). */
  cacheDate: number;
  trigger: FetchTrigger;
  /** Epoch ms. */
  startedAt: number;
  /** Epoch ms. */
  finishedAt: number;
  outcome: "success" | "error" | "dead_letter";
  /** Why it failed (`<reason>: <message>`); never a token. */
  error: string | null;
}
