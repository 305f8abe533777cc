// Refresh single-flight under load: bursts of concurrent getIntegrationAccess calls on an expired
// token. Prints upstream refresh calls per burst and the p50 / p99 wait per caller.
import { it } from "vitest";
import { scriptToken, stats } from "../test/fake-client";
import { accessOutcome, seedConnection } from "../test/helpers";
import { printTable, quantile } from "./report";

const BURSTS = [10, 100, 1000];
/** Token endpoint latency the fake adds, like a real provider's. */
const PROVIDER_LATENCY_MS = 100;

it("refresh burst", async ({ task }) => {
  const rows: (string | number)[][] = [];
  for (const size of BURSTS) {
    const workspace = `bench-burst-${size}`;
    const grant = await seedConnection(workspace, "xero", { expiresInSeconds: -5 });
    await scriptToken(grant.grantId, [{ delayMs: PROVIDER_LATENCY_MS }]);
    const waits = await Promise.all(
      Array.from({ length: size }, async () => {
        const started = performance.now();
        const outcome = await accessOutcome(workspace, "Xero");
        if (!outcome.ok) throw new Error(`burst ${size}: ${outcome.failure.reason}`);
        return performance.now() - started;
      }),
    );
    const summary = await stats(grant.grantId);
    rows.push([
      size,
      summary.refreshRequests,
      quantile(waits, 0.5).toFixed(0),
      quantile(waits, 0.99).toFixed(0),
      summary.revoked ? "revoked" : "healthy",
    ]);
  }
  task.meta.benchResult = {
    name: "refresh-burst",
    figures: {
      provider_latency_ms: PROVIDER_LATENCY_MS,
      bursts: rows.map(([callers, refreshCalls, p50, p99, grant]) => ({
        callers,
        refresh_calls: refreshCalls,
        p50_wait_ms: Number(p50),
        p99_wait_ms: Number(p99),
        grant,
      })),
    },
  };
  printTable(
    `Refresh single-flight (token endpoint latency ${PROVIDER_LATENCY_MS} ms)`,
    ["callers", "refresh calls", "p50 wait ms", "p99 wait ms", "grant"],
    rows,
  );
});
