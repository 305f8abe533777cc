// Cron: completed consents nobody confirmed within 10 minutes are revoked at the provider (RFC 7009)
// and dropped, each through its workspace's object (the only place their tokens are decrypted).
import { db } from "../storage/db";
import { expiredPendingGrants } from "../storage/pending";
import { workspaceClient } from "../workspace/client";

export interface PendingGrantReport {
  expired: number;
  failed: number;
}

export async function expirePendingGrants(env: Env, now: number, limit = 200): Promise<PendingGrantReport> {
  const rows = await expiredPendingGrants(db(env.DB), now, limit);
  const outcomes = await Promise.allSettled(
    rows.map((r) => workspaceClient(env, r.workspaceId).expirePendingGrant(r.id)),
  );
  const failed = outcomes.filter((o) => o.status === "rejected").length;
  if (failed > 0) console.warn("pending grants: some could not be expired now; the next tick retries", failed);
  return { expired: outcomes.length - failed, failed };
}
