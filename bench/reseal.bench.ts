// The re-seal job after a key rotation: N connection rows sealed in the first format under the retired
// key, moved by a whole pass of bounded steps (RESEAL_PAGE rows each, through the workspace objects).
// Prints, per layout, the steps, the pass's wall time (steps run back to back, without the queue's
// hop between them), rows a second and the p50 / p99 of one step; records bench/results/reseal.json.
import { env } from "cloudflare:workers";
import { it } from "vitest";
import { RESEAL_PAGE, RESEAL_START, type ResealCursor, resealStep } from "../src/jobs/reseal";
import { sealLegacy } from "../test/legacy-seal";
import { printTable, quantile } from "./report";

const OLD_KEY = env.TOKEN_ENCRYPTION_PREVIOUS_KEYS;
/**
 * Rows, and how many of them each workspace holds (1: every row its own object call). At most about
 * 2,000 objects in all: each keeps SQLite files open, and locally workerd runs out of file handles
 * (SQLITE_CANTOPEN) past some 6,000 of them.
 */
const LAYOUTS = [
  { rows: 1_000, perWorkspace: 1 },
  { rows: 10_000, perWorkspace: 10 },
  { rows: 10_000, perWorkspace: 100 },
];
const INSERTS_PER_BATCH = 100;

async function seed(prefix: string, rows: number, perWorkspace: number): Promise<void> {
  const tokens = { accessToken: "bench-access", refreshToken: "bench-refresh", tokenType: "Bearer" };
  for (let start = 0; start < rows; start += INSERTS_PER_BATCH) {
    const statements = await Promise.all(
      Array.from({ length: Math.min(INSERTS_PER_BATCH, rows - start) }, async (_, i) => {
        const n = start + i;
        const ws = `${prefix}-${Math.floor(n / perWorkspace)}`;
        const sealed = await sealLegacy(OLD_KEY, ws, "Xero", tokens);
        return env.DB.prepare(
          `INSERT INTO integration_access (workspace_id, integration, token_ciphertext, key_id, tenant_id, generation,
             created_at, updated_at, tokens_issued_at)
           VALUES (?, 'Xero', ?, ?, ?, ?, 1, 1, 1)`,
        ).bind(ws, sealed.ciphertext, sealed.keyId, `t-${n}`, n + 1);
      }),
    );
    await env.DB.batch(statements);
  }
}

it("re-seal pass", async ({ task }) => {
  const rows: (string | number)[][] = [];
  const figures: Record<string, number>[] = [];
  for (const [index, layout] of LAYOUTS.entries()) {
    await seed(`bench-reseal-${index}`, layout.rows, layout.perWorkspace);
    const steps: number[] = [];
    let moved = 0;
    let failed = 0;
    const started = performance.now();
    for (let cursor: ResealCursor | null = RESEAL_START; cursor;) {
      const stepStarted = performance.now();
      const step = await resealStep(env, cursor);
      steps.push(performance.now() - stepStarted);
      moved += step.resealed;
      failed += step.failed;
      cursor = step.next;
    }
    const seconds = (performance.now() - started) / 1000;
    if (moved !== layout.rows || failed !== 0) throw new Error(`moved ${moved} of ${layout.rows}, ${failed} failed`);
    const entry = {
      rows: layout.rows,
      rows_per_workspace: layout.perWorkspace,
      steps: steps.length,
      seconds: Number(seconds.toFixed(2)),
      rows_per_second: Math.round(layout.rows / seconds),
      step_p50_ms: Math.round(quantile(steps, 0.5)),
      step_p99_ms: Math.round(quantile(steps, 0.99)),
    };
    figures.push(entry);
    rows.push(Object.values(entry));
  }
  task.meta.benchResult = { name: "reseal", figures: { page: RESEAL_PAGE, passes: figures } };
  printTable(
    `Re-seal pass (${RESEAL_PAGE} rows a step, steps back to back)`,
    ["rows", "rows/workspace", "steps", "seconds", "rows/s", "step p50 ms", "step p99 ms"],
    rows,
  );
});
