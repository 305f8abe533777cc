// WorkspaceDO: one Durable Object per workspace, the single place where that workspace's tokens are
// read for use, refreshed and written, so no two token operations for it ever interleave.
import { DurableObject } from "cloudflare:workers";
import { keyRingFromEnv } from "../framework/crypto";
import { registerOAuthApp } from "../framework/oauth/app";
import { revokeGrant } from "../framework/oauth/flow";
import { findProvider } from "../providers/registry";
import { deleteConnection } from "../storage/connections";
import { db } from "../storage/db";
import type { FetchTrigger } from "../storage/runs";
import { type FetchOutcome, Fetcher } from "./fetcher";
import { type IntegrationAccess, loadAccess, type NewAccess, storeAccess } from "./integration-access";
import { type AccessOutcome, TokenLifecycle } from "./tokens";

/** DO storage prefix of one-time claims (OAuth states, connect sessions); value = expiry (epoch ms). */
const CLAIM_PREFIX = "claim:";

export class WorkspaceDO extends DurableObject<Env> {
  private readonly d = db(this.env.DB);
  private readonly tokens = new TokenLifecycle(this.ctx.storage, this.env, this.d, () => keyRingFromEnv(this.env));
  private readonly fetcher = new Fetcher(this.d, this.tokens);

  /**
   * The seed's `getIntegrationAccess`: a usable access token, refreshed first when it expires within
   * the refresh margin. Concurrent callers share one refresh.
   */
  getIntegrationAccess(workspaceId: string, integration: string): Promise<AccessOutcome> {
    return this.tokens.getIntegrationAccess(workspaceId, integration);
  }

  /** Refreshes now, whatever the expiry (cron keep-alive for idle refresh tokens). */
  refreshNow(workspaceId: string, integration: string): Promise<AccessOutcome> {
    return this.tokens.getIntegrationAccess(workspaceId, integration, true);
  }

  /**
   * Fetches one cache key from the provider (the seed's FetchAdapter.getData) and stores it.
   * Concurrent requests for the same key share one upstream fetch.
   */
  runFetch(workspaceId: string, integration: string, cacheDate: number, trigger: FetchTrigger): Promise<FetchOutcome> {
    return this.fetcher.run(workspaceId, integration, cacheDate, trigger);
  }

  /**
   * Records `key` as used. True the first time; false if it was claimed before and has not expired.
   * Synchronous storage, so two concurrent claims cannot both win.
   */
  async claimOnce(key: string, expiresAt: number): Promise<boolean> {
    const storageKey = CLAIM_PREFIX + key;
    const existing = this.ctx.storage.kv.get<number>(storageKey);
    if (existing !== undefined && existing > Date.now()) return false;
    this.ctx.storage.kv.put(storageKey, expiresAt);
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(expiresAt + 1000);
    return true;
  }

  /** Purges expired claims; re-arms for the next one. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    let next: number | null = null;
    for (const [key, expiresAt] of this.ctx.storage.kv.list<number>({ prefix: CLAIM_PREFIX })) {
      if (expiresAt <= now) this.ctx.storage.kv.delete(key);
      else next = next === null ? expiresAt : Math.min(next, expiresAt);
    }
    if (next !== null) await this.ctx.storage.setAlarm(next + 1000);
  }

  /** Stores a new grant (after an OAuth callback), replacing any earlier one. */
  async saveConnection(access: NewAccess): Promise<void> {
    await this.tokens.settle(access.integration);
    await storeAccess(this.d, await keyRingFromEnv(this.env), access);
  }

  /**
   * Removes the connection and its cached data, then asks the provider to revoke the grant where
   * it offers RFC 7009 revocation. A failed revoke is logged; the local disconnect stands.
   * Returns whether there was a connection.
   */
  async disconnect(workspaceId: string, integration: string): Promise<boolean> {
    await this.tokens.settle(integration);
    let access: IntegrationAccess | null = null;
    try {
      access = await loadAccess(this.d, await keyRingFromEnv(this.env), workspaceId, integration);
    } catch (err) {
      // An undecryptable row (its key was removed) must still be deletable.
      console.warn(
        "disconnect: could not read tokens to revoke",
        integration,
        err instanceof Error ? err.message : String(err),
      );
    }
    const existed = await deleteConnection(this.d, workspaceId, integration);
    const provider = findProvider(integration);
    const resolution = provider ? registerOAuthApp(provider, this.env) : null;
    if (access && resolution?.configured) {
      try {
        await revokeGrant(resolution.app, access.tokens);
      } catch (err) {
        console.warn(
          "disconnect: revocation failed; the local connection is removed anyway",
          integration,
          err instanceof Error ? err.message : String(err),
        );
      }
    }
    return existed;
  }
}
