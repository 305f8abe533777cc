// How everything else reaches a workspace's Durable Object: typed calls that return the object's
// plain outcomes (thrown errors lose their class across RPC, so failures come back as data).
import type { Failure } from "../framework/failure";
import type { FetchRun, FetchTrigger } from "../framework/runs";
import type { WorkspaceDO } from "./do";
import type { FetchOutcome } from "./fetcher";
import type { ConfirmOutcome, ConfirmRequest, GrantToHold } from "./grants";
import type { LimitedWork } from "./limits";
import type { StoredPayload } from "./payloads";
import type { AccessOutcome } from "./tokens";
import type { ProxyOutcome, ProxyRequest } from "./proxy";
import type { RedeliverOutcome } from "./webhook-events";

export type {
  AccessOutcome,
  ConfirmOutcome,
  FetchOutcome,
  LimitedWork,
  ProxyOutcome,
  ProxyRequest,
  RedeliverOutcome,
  StoredPayload,
};

export interface WorkspaceClient {
  /** A usable access token, refreshed first when due (the seed's getIntegrationAccess). */
  getIntegrationAccess(integration: string): Promise<AccessOutcome>;
  /** Refreshes now, whatever the expiry. */
  refreshNow(integration: string): Promise<AccessOutcome>;
  /** The cached data of one key from the object's storage (no upstream call); null on a miss. */
  readCached(integration: string, cacheDate: number): Promise<StoredPayload | null>;
  /** Fetches one cache key from the provider and caches it. */
  runFetch(integration: string, cacheDate: number, trigger: FetchTrigger): Promise<FetchOutcome>;
  /** Logs a key the fetch queue gave up on, as its own run. */
  recordDeadLetter(integration: string, cacheDate: number, trigger: FetchTrigger, error: string): Promise<void>;
  /** The latest run of each of `integrations` that has one. */
  latestRuns(integrations: string[]): Promise<Record<string, FetchRun>>;
  /** An integration's runs, newest first. */
  fetchRuns(integration: string, limit: number): Promise<FetchRun[]>;
  /** Forwards one call to the provider's API with the connection's token. */
  forward(request: ProxyRequest): Promise<ProxyOutcome>;
  /** Counts one unit of upstream work against the workspace's hourly limits. */
  admit(work: LimitedWork): Promise<{ ok: true } | { ok: false; failure: Failure }>;
  /** Claims a one-time key (hashed state or session id); false if it was used before. */
  claimOnce(key: string, expiresAt: number): Promise<boolean>;
  /** Holds a completed consent until its user confirms it; returns the one-time confirm token. */
  holdGrant(grant: GrantToHold): Promise<{ confirmToken: string; pendingUntil: number }>;
  /** Makes a held grant the workspace's connection. */
  confirmGrant(request: ConfirmRequest): Promise<ConfirmOutcome>;
  /** Revokes and drops an unconfirmed grant whose time ran out. */
  expirePendingGrant(id: string): Promise<boolean>;
  /** Deletes the connection and its data and revokes the grant; whether there was one. `by`: the user's JWT sub. */
  disconnect(integration: string, by: string): Promise<boolean>;
  /** Sends one of the workspace's webhook events again, with a fresh attempt count. */
  redeliverWebhook(id: string): Promise<RedeliverOutcome>;
}

/** The client of `workspaceId`'s object (one object per workspace, addressed by its id). */
export function workspaceClient(env: Env, workspaceId: string): WorkspaceClient {
  const stub: DurableObjectStub<WorkspaceDO> = env.WORKSPACE.getByName(workspaceId);
  return {
    getIntegrationAccess: (integration) => stub.getIntegrationAccess(integration),
    refreshNow: (integration) => stub.refreshNow(integration),
    readCached: (integration, cacheDate) => stub.readCached(integration, cacheDate),
    runFetch: (integration, cacheDate, trigger) => stub.runFetch(integration, cacheDate, trigger),
    recordDeadLetter: (integration, cacheDate, trigger, error) =>
      stub.recordDeadLetter(integration, cacheDate, trigger, error),
    latestRuns: (integrations) => stub.latestRuns(integrations),
    fetchRuns: (integration, limit) => stub.fetchRuns(integration, limit),
    forward: (request) => stub.forward(request),
    admit: (work) => stub.admit(work),
    claimOnce: (key, expiresAt) => stub.claimOnce(key, expiresAt),
    holdGrant: (grant) => stub.holdGrant(grant),
    confirmGrant: (request) => stub.confirmGrant(request),
    expirePendingGrant: (id) => stub.expirePendingGrant(id),
    disconnect: (integration, by) => stub.disconnect(integration, by),
    redeliverWebhook: (id) => stub.redeliverWebhook(id),
  };
}
