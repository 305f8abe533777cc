// The re-seal job: moves every stored token set (pending grants, then connection rows) under the
// current key and format, after a key rotation or the change of format. A pass is a chain of bounded
// steps on DISPATCH_QUEUE: each step reads at most RESEAL_PAGE rows after its keyset cursor (no
// token is opened here), hands each workspace's rows to its object, which re-seals them over the
// ciphertext read (src/workspace/reseal.ts), and sends the next step with the cursor. The cron
// starts a pass when the key or format changed since the last one, when a pass stalled, and daily.
import * as z from "zod/mini";
import { keyRingFromEnv, SEAL_FORMAT } from "../framework/crypto";
import { lazy } from "../framework/lazy";
import { db } from "../storage/db";
import { type CurrentSeal, staleConnections, stalePendingGrants } from "../storage/reseal";
import { type ResealBatch, type ResealOutcome, workspaceClient } from "../workspace/client";
import { MINUTE_MS, DAY_MS } from "../framework/durations";

/** Rows per step: each may cost one workspace-object call, so a step stays far below the subrequest limit. */
export const RESEAL_PAGE = 100;
/** Workspace objects called at once by a step. */
const CONCURRENCY = 10;
/** OAUTH_KV key of the last pass's state: `{ keyId, format, at, done }`. */
export const RESEAL_STATE_KEY = "job:reseal";
/** A pass with no step for this long is taken for dead and started again. */
const STALLED_AFTER_MS = 15 * MINUTE_MS;
/** A finished pass is run again after this long, for rows written meanwhile under an old key (a deploy's last requests). */
const REPEAT_AFTER_MS = DAY_MS;
/** How often a running pass records that it is alive (KV allows one write a second per key). */
const HEARTBEAT_MS = MINUTE_MS;

/** Where a pass stands: pending grants after `pending` (null once they are done), then connections after `connection`. */
export interface ResealCursor {
  pending: string | null;
  connection: number;
}

export const RESEAL_START: ResealCursor = { pending: "", connection: 0 };

/** A DISPATCH_QUEUE message: the next step of a pass. */
export const resealMessage = lazy(() =>
  z.object({
    kind: z.literal("reseal"),
    pending: z.nullable(z.string()),
    connection: z.int().check(z.minimum(0)),
    /**
     * The current key when the pass started. Rows it passed before a later rotation stay under that
     * key, so the pass is recorded as done for it, and the next tick starts one for the new key.
     */
    keyId: z.string(),
    /** When the pass last recorded its heartbeat (epoch ms). */
    beatAt: z.number(),
  }),
);

export type ResealMessage = z.infer<ReturnType<typeof resealMessage>>;

interface ResealState {
  keyId: string;
  format: string;
  /** When the pass started, last beat or finished (epoch ms). */
  at: number;
  done: boolean;
}

export interface ResealStepReport extends ResealOutcome {
  /** Rows read (a grant's connections count one each). */
  scanned: number;
  /** Workspace objects called. */
  workspaces: number;
  /** Where the next step starts; null when the pass is done. */
  next: ResealCursor | null;
}

/**
 * One bounded step: at most `limit` rows not yet under the current key and format, after `cursor`,
 * each re-sealed through its workspace's object. Safe to repeat (a queue retry): a row already moved
 * is no longer read, and a write only replaces the ciphertext the step read.
 */
export async function resealStep(
  env: Env,
  cursor: ResealCursor = RESEAL_START,
  limit: number = RESEAL_PAGE,
): Promise<ResealStepReport> {
  const d = db(env.DB);
  const current: CurrentSeal = { keyId: (await keyRingFromEnv(env)).currentId, prefix: SEAL_FORMAT };
  const pending = cursor.pending === null ? [] : await stalePendingGrants(d, current, cursor.pending, limit);
  const pendingDone = cursor.pending === null || pending.length < limit;
  const connections = pendingDone ? await staleConnections(d, current, cursor.connection, limit - pending.length) : [];

  const batches = new Map<string, ResealBatch>();
  const batchOf = (workspaceId: string) => {
    let batch = batches.get(workspaceId);
    if (!batch) batches.set(workspaceId, (batch = { grants: [], pendingGrants: [] }));
    return batch;
  };
  const rowsOf = new Map<string, number>();
  for (const p of pending) {
    batchOf(p.workspaceId).pendingGrants.push({ integration: p.integration, id: p.id, sealed: p.sealed });
    rowsOf.set(p.workspaceId, (rowsOf.get(p.workspaceId) ?? 0) + 1);
  }
  for (const c of connections) {
    // The connections of one grant share its ciphertext: one re-seal writes them all.
    const { grants } = batchOf(c.workspaceId);
    const same = (g: ResealBatch["grants"][number]) =>
      g.integration === c.integration && g.generation === c.generation && g.sealed.ciphertext === c.sealed.ciphertext;
    if (!grants.some(same)) grants.push({ integration: c.integration, generation: c.generation, sealed: c.sealed });
    rowsOf.set(c.workspaceId, (rowsOf.get(c.workspaceId) ?? 0) + 1);
  }

  const report: ResealStepReport = {
    scanned: pending.length + connections.length,
    workspaces: batches.size,
    resealed: 0,
    changed: 0,
    failed: 0,
    next: null,
  };
  const queue = [...batches];
  const worker = async () => {
    for (let item = queue.shift(); item; item = queue.shift()) {
      const [workspaceId, batch] = item;
      try {
        const outcome = await workspaceClient(env, workspaceId).resealTokens(batch);
        report.resealed += outcome.resealed;
        report.changed += outcome.changed;
        report.failed += outcome.failed;
      } catch (err) {
        // The object or D1 failed: these rows stay as they are, and the next pass (or a retry) takes them.
        report.failed += rowsOf.get(workspaceId) ?? 0;
        console.warn("re-seal: a workspace object failed", err instanceof Error ? err.message : "");
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, batches.size) }, worker));

  if (!pendingDone) report.next = { pending: pending.at(-1)!.id, connection: cursor.connection };
  else if (connections.length === limit - pending.length && connections.length > 0)
    report.next = { pending: null, connection: connections.at(-1)!.id };
  return report;
}

/** Sends the next step of a pass (production: to DISPATCH_QUEUE). */
export type ResealSend = (message: ResealMessage) => Promise<void>;

const queueSend =
  (env: Env): ResealSend =>
  async (message) => {
    await env.DISPATCH_QUEUE.send(message, { contentType: "json" });
  };

/** The cron's part: starts a pass when one is due (see the module header); says whether it did. */
export async function startReseal(
  env: Env,
  now: number,
  send: ResealSend = queueSend(env),
): Promise<{ started: boolean }> {
  const keyId = (await keyRingFromEnv(env)).currentId;
  const state = await env.OAUTH_KV.get<ResealState>(RESEAL_STATE_KEY, "json");
  const due =
    !state ||
    state.keyId !== keyId ||
    state.format !== SEAL_FORMAT ||
    now - state.at > (state.done ? REPEAT_AFTER_MS : STALLED_AFTER_MS);
  if (!due) return { started: false };
  await putState(env, { keyId, format: SEAL_FORMAT, at: now, done: false });
  await send({ kind: "reseal", ...RESEAL_START, keyId, beatAt: now });
  return { started: true };
}

/** One step of a pass, from its queue message; sends the next one, or records the pass as done. */
export async function runResealMessage(
  env: Env,
  message: ResealMessage,
  {
    send = queueSend(env),
    now = Date.now(),
    limit = RESEAL_PAGE,
  }: { send?: ResealSend; now?: number; limit?: number } = {},
): Promise<ResealStepReport> {
  const report = await resealStep(env, { pending: message.pending, connection: message.connection }, limit);
  const { keyId } = message;
  if (report.next === null) {
    await putState(env, { keyId, format: SEAL_FORMAT, at: now, done: true });
    console.log("re-seal: pass done", JSON.stringify(report));
    return report;
  }
  let beatAt = message.beatAt;
  if (now - beatAt >= HEARTBEAT_MS) {
    await putState(env, { keyId, format: SEAL_FORMAT, at: now, done: false });
    beatAt = now;
  }
  await send({ kind: "reseal", ...report.next, keyId, beatAt });
  return report;
}

function putState(env: Env, state: ResealState): Promise<void> {
  return env.OAUTH_KV.put(RESEAL_STATE_KEY, JSON.stringify(state));
}
