// How everything else reaches a workspace's Durable Object: typed calls that return the object's
// plain outcomes. The only place that casts RPC results (their mapped types lose the union's narrowing).
import type { FetchTrigger } from "../storage/runs";
import type { WorkspaceDO } from "./do";
import type { FetchOutcome } from "./fetcher";
import type { NewAccess } from "./integration-access";
import type { AccessOutcome } from "./tokens";

export type { AccessOutcome, FetchOutcome };

export interface WorkspaceClient {
  /** A usable access token, refreshed first when due (the seed's getIntegrationAccess). */
  getIntegrationAccess(integration: string): Promise<AccessOutcome>;
  /** Refreshes now, whatever the expiry. */
  refreshNow(integration: string): Promise<AccessOutcome>;
  /** Fetches one cache key from the provider and caches it. */
  runFetch(integration: string, cacheDate: number, trigger: FetchTrigger): Promise<FetchOutcome>;
  /** Claims a one-time key (hashed state or session id); false if it was used before. */
  claimOnce(key: string, expiresAt: number): Promise<boolean>;
  /** Stores a new grant, replacing any earlier one. */
  saveConnection(access: Omit<NewAccess, "workspaceId">): Promise<void>;
  /** Deletes the connection and its data and revokes the grant; whether there was one. */
  disconnect(integration: string): Promise<boolean>;
}

export function workspaceClient(env: Env, workspaceId: string): WorkspaceClient {
  const stub: DurableObjectStub<WorkspaceDO> = env.WORKSPACE.getByName(workspaceId);
  return {
    getIntegrationAccess: async (integration) => await stub.getIntegrationAccess(workspaceId, integration),
    refreshNow: async (integration) => await stub.refreshNow(workspaceId, integration),
    runFetch: async (integration, cacheDate, trigger) =>
      await stub.runFetch(workspaceId, integration, cacheDate, trigger),
    claimOnce: (key, expiresAt) => stub.claimOnce(key, expiresAt),
    saveConnection: (access) => stub.saveConnection({ ...access, workspaceId }),
    disconnect: (integration) => stub.disconnect(workspaceId, integration),
  };
}
