// Re-sealing inside the workspace object: token sets the re-seal job found under an older key or
// format are opened and sealed again under the current key, bound to their record, in the
// integration's exclusive section (ordered against refreshes, confirms and disconnects), and written
// only over the very ciphertext the job read, so a newer set is never replaced by an older one.
import { type KeyRing, openTokens, type SealedTokens, sealTokens } from "../framework/crypto";
import type { Db } from "../storage/db";
import { resealGrant, resealPendingGrant } from "../storage/reseal";
import type { ConnectionStore } from "./connections";

/** What the job hands over for one workspace: each grant's and pending grant's ciphertext as it read it. */
export interface ResealBatch {
  grants: { integration: string; generation: number; sealed: SealedTokens }[];
  pendingGrants: { integration: string; id: string; sealed: SealedTokens }[];
}

export interface ResealOutcome {
  /** Rows written under the current key (a grant's connections count one each). */
  resealed: number;
  /** Sets that changed since the job read them (a refresh, a new grant, a confirm): left alone, already current. */
  changed: number;
  /** Sets that could not be opened (a key no longer configured, a damaged row) or written; logged by integration. */
  failed: number;
}

export async function resealTokens(
  store: ConnectionStore,
  d: Db,
  ring: KeyRing,
  batch: ResealBatch,
): Promise<ResealOutcome> {
  const outcome: ResealOutcome = { resealed: 0, changed: 0, failed: 0 };
  const integrations = new Set([...batch.grants, ...batch.pendingGrants].map((e) => e.integration));
  const { workspaceId } = store;
  for (const integration of integrations) {
    const grants = batch.grants.filter((g) => g.integration === integration);
    const pending = batch.pendingGrants.filter((p) => p.integration === integration);
    await store.exclusive(integration, async () => {
      try {
        // A refreshed set the object still holds is newer than D1's: it goes first (sealed anew).
        await store.flushRotations(integration);
      } catch (err) {
        warn(integration, "held tokens could not be written to D1", err);
        outcome.failed += grants.length + pending.length;
        return;
      }
      for (const grant of grants) {
        const record = store.connectionRecord(integration, grant.generation);
        const sealed = await reseal(ring, record, grant.sealed, integration);
        if (!sealed) outcome.failed++;
        else {
          const rows = await resealGrant(d, record, grant.sealed.ciphertext, sealed);
          if (rows > 0) outcome.resealed += rows;
          else outcome.changed++;
        }
      }
      for (const grant of pending) {
        const record = { kind: "pending_grant" as const, workspaceId, integration, id: grant.id };
        const sealed = await reseal(ring, record, grant.sealed, integration);
        if (!sealed) outcome.failed++;
        else if (await resealPendingGrant(d, workspaceId, grant.id, grant.sealed.ciphertext, sealed))
          outcome.resealed++;
        // Confirmed or expired meanwhile: nothing left to move.
        else outcome.changed++;
      }
    });
  }
  return outcome;
}

/** The set sealed again under the current key, or null (logged) when it cannot be opened. */
async function reseal(
  ring: KeyRing,
  record: Parameters<typeof openTokens>[1],
  sealed: SealedTokens,
  integration: string,
): Promise<SealedTokens | null> {
  try {
    return await sealTokens(ring, record, await openTokens(ring, record, sealed));
  } catch (err) {
    warn(integration, `a ${record.kind.replace("_", " ")} under key "${sealed.keyId}" could not be opened`, err);
    return null;
  }
}

function warn(integration: string, what: string, err: unknown): void {
  // The error's name only: Web Crypto's message says nothing more, and a D1 one may quote a query.
  console.warn("re-seal:", integration, what, err instanceof Error ? `(${err.name})` : "");
}
