// What the re-seal job reads and writes: token sets not yet sealed under the current key and format,
// paged by a keyset cursor, and compare-and-swap writes of their new ciphertext. A write names the
// ciphertext it replaces, so a set a refresh (or confirm) changed meanwhile is left as it is.
import { and, asc, eq, gt, ne, or, sql } from "drizzle-orm";
import type { SealedTokenSet } from "./connections";
import { type Db, storageOp } from "./db";
import { integrationAccess, pendingGrants } from "./schema";

/** What "current" means: the current key's id and the current format's ciphertext prefix. */
export interface CurrentSeal {
  keyId: string;
  prefix: string;
}

/** A connection row whose tokens need a re-seal. */
export interface StaleConnection {
  id: number;
  workspaceId: string;
  integration: string;
  generation: number;
  sealed: SealedTokenSet;
}

/** A pending grant whose tokens need a re-seal. */
export interface StalePendingGrant {
  id: string;
  workspaceId: string;
  integration: string;
  sealed: SealedTokenSet;
}

const stale = (
  column: typeof integrationAccess.tokenCiphertext | typeof pendingGrants.tokenCiphertext,
  current: CurrentSeal,
) => sql`substr(${column}, 1, ${current.prefix.length}) <> ${current.prefix}`;

/** Connection rows after `afterId` (by id) not sealed under `current`, at most `limit`. */
export const staleConnections = storageOp(
  "list connections to re-seal",
  async (d: Db, current: CurrentSeal, afterId: number, limit: number): Promise<StaleConnection[]> => {
    const rows = await d
      .select({
        id: integrationAccess.id,
        workspaceId: integrationAccess.workspaceId,
        integration: integrationAccess.integration,
        generation: integrationAccess.generation,
        ciphertext: integrationAccess.tokenCiphertext,
        keyId: integrationAccess.keyId,
      })
      .from(integrationAccess)
      .where(
        and(
          gt(integrationAccess.id, afterId),
          or(ne(integrationAccess.keyId, current.keyId), stale(integrationAccess.tokenCiphertext, current)),
        ),
      )
      .orderBy(asc(integrationAccess.id))
      .limit(limit)
      .all();
    return rows.map(({ ciphertext, keyId, ...rest }) => ({ ...rest, sealed: { ciphertext, keyId } }));
  },
);

/** Pending grants after `afterId` (by id) not sealed under `current`, at most `limit`. */
export const stalePendingGrants = storageOp(
  "list pending grants to re-seal",
  async (d: Db, current: CurrentSeal, afterId: string, limit: number): Promise<StalePendingGrant[]> => {
    const rows = await d
      .select({
        id: pendingGrants.id,
        workspaceId: pendingGrants.workspaceId,
        integration: pendingGrants.integration,
        ciphertext: pendingGrants.tokenCiphertext,
        keyId: pendingGrants.keyId,
      })
      .from(pendingGrants)
      .where(
        and(
          gt(pendingGrants.id, afterId),
          or(ne(pendingGrants.keyId, current.keyId), stale(pendingGrants.tokenCiphertext, current)),
        ),
      )
      .orderBy(asc(pendingGrants.id))
      .limit(limit)
      .all();
    return rows.map(({ ciphertext, keyId, ...rest }) => ({ ...rest, sealed: { ciphertext, keyId } }));
  },
);

/**
 * Replaces the grant's ciphertext `from` with `to` on every connection of the grant that still holds
 * `from`; returns how many rows changed (0: a refresh or a new grant wrote them meanwhile).
 */
export const resealGrant = storageOp(
  "re-seal grant tokens",
  async (
    d: Db,
    grant: { workspaceId: string; integration: string; generation: number },
    from: string,
    to: SealedTokenSet,
  ): Promise<number> => {
    const rows = await d
      .update(integrationAccess)
      .set({ tokenCiphertext: to.ciphertext, keyId: to.keyId })
      .where(
        and(
          eq(integrationAccess.workspaceId, grant.workspaceId),
          eq(integrationAccess.integration, grant.integration),
          eq(integrationAccess.generation, grant.generation),
          eq(integrationAccess.tokenCiphertext, from),
        ),
      )
      .returning({ id: integrationAccess.id });
    return rows.length;
  },
);

/** Replaces a pending grant's ciphertext `from` with `to` if it still holds it; false when it is gone or changed. */
export const resealPendingGrant = storageOp(
  "re-seal pending grant tokens",
  async (d: Db, workspaceId: string, id: string, from: string, to: SealedTokenSet): Promise<boolean> => {
    const rows = await d
      .update(pendingGrants)
      .set({ tokenCiphertext: to.ciphertext, keyId: to.keyId })
      .where(
        and(
          eq(pendingGrants.id, id),
          eq(pendingGrants.workspaceId, workspaceId),
          eq(pendingGrants.tokenCiphertext, from),
        ),
      )
      .returning({ id: pendingGrants.id });
    return rows.length > 0;
  },
);
