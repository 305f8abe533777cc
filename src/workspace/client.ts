// How everything else reaches a workspace's Durable Object: typed calls that return the object's
// plain outcomes (thrown errors lose their class across RPC, so failures come back as data).
import type { Failure } from "../framework/failure";
import type { FetchRun, FetchTrigger } from "../framework/runs";
import type { Conn, ConnectionRef } from "./connections";
import type { CachedRead, RunsOutcome, WorkspaceDO } from "./do";
import type { FetchOutcome } from "./fetcher";
import type { ConfirmOutcome, ConfirmRequest, DisconnectOutcome, GrantToHold } from "./grants";
import type { ImportItem, ImportOutcome } from "./imports";
import type { LimitedWork } from "./limits";
import type { StoredPayload } from "./payloads";
import type { NoteOutcome, Pending } from "./provider-events";
import type { AccessOutcome, Force } from "./tokens";
import type { ProxyOutcome, ProxyRequest } from "./proxy";
import type { ResealBatch, ResealOutcome } from "./reseal";
import type { RedeliverOutcome } from "./webhook-events";

export type {
  AccessOutcome,
  CachedRead,
  Conn,
  ConnectionRef,
  ConfirmOutcome,
  DisconnectOutcome,
  ImportItem,
  ImportOutcome,
  RunsOutcome,
  FetchOutcome,
  LimitedWork,
  NoteOutcome,
  Pending,
  ProxyOutcome,
  ProxyRequest,
  RedeliverOutcome,
  ResealBatch,
  ResealOutcome,
  StoredPayload,
};

export interface WorkspaceClient {
  /** A usable access token of a connection, refreshed first when due (getIntegrationAccess of Zebbra's original framework). */
  getIntegrationAccess(ref: ConnectionRef): Promise<AccessOutcome>;
  /** Refreshes now whatever the expiry, or (keep-alive) when the grant's tokens were issued before a time. */
  refreshNow(ref: ConnectionRef, force?: Force): Promise<AccessOutcome>;
  /** The cached data of one key of a connection from the object's storage (no upstream call); payload null on a miss. */
  readCached(ref: ConnectionRef, cacheDate: number): Promise<CachedRead>;
  /** Fetches one cache key of a connection from the provider and caches it. */
  runFetch(ref: ConnectionRef, cacheDate: number, trigger: FetchTrigger): Promise<FetchOutcome>;
  /** Logs a key the fetch queue gave up on, as its own run. */
  recordDeadLetter(conn: Conn, cacheDate: number, trigger: FetchTrigger, error: string): Promise<void>;
  /** The latest run of each of `conns` that has one, by connKey. */
  latestRuns(conns: Conn[]): Promise<Record<string, FetchRun>>;
  /** A connection's runs, newest first. */
  fetchRuns(ref: ConnectionRef, limit: number): Promise<RunsOutcome>;
  /** Takes a provider's verified events for one connection: deduplicated, then gathered for one re-fetch. */
  noteProviderEvents(conn: Conn, events: { id: string; kind: string }[]): Promise<NoteOutcome>;
  /** The connections whose provider events wait for their re-fetch. */
  pendingProviderEvents(): Promise<Pending[]>;
  /** latestRuns and pendingProviderEvents in one call: what the status shows. */
  connectionActivity(conns: Conn[]): Promise<{ runs: Record<string, FetchRun>; pending: Pending[] }>;
  /** Forwards one call to the provider's API with the connection's token. */
  forward(request: ProxyRequest): Promise<ProxyOutcome>;
  /** Counts one unit of upstream work against the workspace's hourly limits. */
  admit(work: LimitedWork, conn?: Conn): Promise<{ ok: true } | { ok: false; failure: Failure }>;
  /** Claims a one-time key (hashed state or session id); false if it was used before. */
  claimOnce(key: string, expiresAt: number): Promise<boolean>;
  /** Holds a completed consent until its user confirms it; returns the one-time confirm token. */
  holdGrant(grant: GrantToHold): Promise<{ confirmToken: string; pendingUntil: number }>;
  /** Makes a held grant the workspace's connection to each chosen tenant. */
  confirmGrant(request: ConfirmRequest): Promise<ConfirmOutcome>;
  /** Stores connections whose tokens were obtained elsewhere; one outcome per item, in order. */
  importConnections(items: ImportItem[]): Promise<ImportOutcome[]>;
  /** Revokes and drops an unconfirmed grant whose time ran out. */
  expirePendingGrant(id: string): Promise<boolean>;
  /** Deletes a connection and its data, revoking its grant unless another connection holds it. `by`: the user's JWT sub. */
  disconnect(ref: ConnectionRef, by: string): Promise<DisconnectOutcome>;
  /** Sends one of the workspace's webhook events again, with a fresh attempt count. */
  redeliverWebhook(id: string): Promise<RedeliverOutcome>;
  /** Seals the given token sets again under the current key, each only if it still holds what the job read. */
  resealTokens(batch: ResealBatch): Promise<ResealOutcome>;
}

/** The client of `workspaceId`'s object (one object per workspace, addressed by its id). */
export function workspaceClient(env: Env, workspaceId: string): WorkspaceClient {
  const stub: DurableObjectStub<WorkspaceDO> = env.WORKSPACE.getByName(workspaceId);
  return {
    getIntegrationAccess: (ref) => stub.getIntegrationAccess(ref),
    refreshNow: (ref, force) => stub.refreshNow(ref, force),
    readCached: (ref, cacheDate) => stub.readCached(ref, cacheDate),
    runFetch: (ref, cacheDate, trigger) => stub.runFetch(ref, cacheDate, trigger),
    recordDeadLetter: (conn, cacheDate, trigger, error) => stub.recordDeadLetter(conn, cacheDate, trigger, error),
    latestRuns: (conns) => stub.latestRuns(conns),
    fetchRuns: (ref, limit) => stub.fetchRuns(ref, limit),
    noteProviderEvents: (conn, events) => stub.noteProviderEvents(conn, events),
    pendingProviderEvents: () => stub.pendingProviderEvents(),
    connectionActivity: (conns) => stub.connectionActivity(conns),
    forward: (request) => stub.forward(request),
    admit: (work, conn) => stub.admit(work, conn),
    claimOnce: (key, expiresAt) => stub.claimOnce(key, expiresAt),
    holdGrant: (grant) => stub.holdGrant(grant),
    confirmGrant: (request) => stub.confirmGrant(request),
    importConnections: (items) => stub.importConnections(items),
    expirePendingGrant: (id) => stub.expirePendingGrant(id),
    disconnect: (ref, by) => stub.disconnect(ref, by),
    redeliverWebhook: (id) => stub.redeliverWebhook(id),
    resealTokens: (batch) => stub.resealTokens(batch),
  };
}
