// pending_grants rows: provider consents that wait for their user's confirmation before they become
// a connection. Tokens arrive sealed; rows are taken once (delete … returning) or expired by the cron.
import { and, asc, eq, lt } from "drizzle-orm";
import type { SealedTokenSet } from "./connections";
import { type Db, storageOp } from "./db";
import { type GrantTenant, pendingGrants } from "./schema";

export interface PendingGrant {
  /** SHA-256 hex of the confirm token. */
  id: string;
  workspaceId: string;
  integration: string;
  userId: string;
  sealed: SealedTokenSet;
  expiresAt: number | null;
  scope: string | null;
  /** Every tenant the grant covers; the user picks among the readable ones at confirm. */
  tenants: GrantTenant[];
  config: Record<string, string>;
  tokensIssuedAt: number;
  /** When the refresh token stops working however often it is used; null when the provider states none. */
  refreshHardExpiresAt: number | null;
  createdAt: number;
  pendingUntil: number;
}

function fromRow(row: typeof pendingGrants.$inferSelect): PendingGrant {
  const { tokenCiphertext, keyId, ...rest } = row;
  return { ...rest, sealed: { ciphertext: tokenCiphertext, keyId } };
}

export const insertPendingGrant = storageOp("hold pending grant", async (d: Db, grant: PendingGrant) => {
  const { sealed, ...rest } = grant;
  await d.insert(pendingGrants).values({ ...rest, tokenCiphertext: sealed.ciphertext, keyId: sealed.keyId });
});

/** The pending grant with this id in this workspace, or null. */
export const getPendingGrant = storageOp("read pending grant", async (d: Db, workspaceId: string, id: string) => {
  const row = await d
    .select()
    .from(pendingGrants)
    .where(and(eq(pendingGrants.id, id), eq(pendingGrants.workspaceId, workspaceId)))
    .get();
  return row ? fromRow(row) : null;
});

/** Deletes and returns the pending grant; null when another caller took it first. */
export const takePendingGrant = storageOp("take pending grant", async (d: Db, workspaceId: string, id: string) => {
  const [row] = await d
    .delete(pendingGrants)
    .where(and(eq(pendingGrants.id, id), eq(pendingGrants.workspaceId, workspaceId)))
    .returning();
  return row ? fromRow(row) : null;
});

/** Unconfirmed grants past their confirmation window, oldest first. */
export const expiredPendingGrants = storageOp(
  "select expired pending grants",
  async (d: Db, now: number, limit: number) =>
    d
      .select({ id: pendingGrants.id, workspaceId: pendingGrants.workspaceId })
      .from(pendingGrants)
      .where(lt(pendingGrants.pendingUntil, now))
      .orderBy(asc(pendingGrants.pendingUntil))
      .limit(limit)
      .all(),
);
