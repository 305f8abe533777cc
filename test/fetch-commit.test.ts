// How a fetch ends: one D1 write, the index row (the run goes to the object's own log), once the
// connection is in the object's memory; data read for a grant disconnected meanwhile dropped, with
// the run saying so; and a refused index write logged, the key left due.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { configureTenant, gate, scriptApi, setGustoEmployees } from "./fake-client";
import { call, fetchRuns, seedConnection, token } from "./helpers";

const KEY = 1_700_000_000;

const indexRows = async (ws: string) =>
  (await env.DB.prepare("SELECT count(*) AS n FROM data_cache WHERE workspace_id = ?").bind(ws).first<{ n: number }>())
    ?.n;

async function gusto(ws: string) {
  const grant = await seedConnection(ws, "gusto");
  for (const tenantId of grant.tenantIds) {
    await configureTenant(tenantId, { minuteLimit: 0 });
    await setGustoEmployees(tenantId, []);
  }
  return grant;
}

describe("a fetch's D1 writes", () => {
  it("should write D1 once for a cron fetch: its index row", async () => {
    const ws = "ws-commit-count";
    await gusto(ws);
    const stub = env.WORKSPACE.getByName(ws);
    // The first fetch loads the connection from D1 into the object.
    expect((await stub.runFetch({ integration: "Gusto" }, KEY, "cron")).ok).toBe(true);

    const counted = await runInDurableObject(stub, async (instance) => {
      const prepare = vi.spyOn(env.DB, "prepare");
      const batch = vi.spyOn(env.DB, "batch");
      try {
        const outcome = await instance.runFetch({ integration: "Gusto" }, KEY + 86400, "cron");
        return { ok: outcome.ok, statements: prepare.mock.calls.length, batches: batch.mock.calls.length };
      } finally {
        vi.restoreAllMocks();
      }
    });
    expect(counted).toEqual({ ok: true, statements: 1, batches: 0 });

    const logged = await fetchRuns(ws, "Gusto");
    expect(logged.map((r) => [r.cacheDate, r.trigger, r.outcome])).toEqual([
      [KEY + 86400, "cron", "success"],
      [KEY, "cron", "success"],
    ]);
    for (const run of logged) expect(run.finishedAt).toBeGreaterThanOrEqual(run.startedAt);
    expect(await indexRows(ws)).toBe(2);
  });

  it("should drop data read for a grant disconnected during the fetch, and log the run as such", async () => {
    const ws = "ws-commit-disconnected";
    const grant = await gusto(ws);
    const stub = env.WORKSPACE.getByName(ws);
    // Loaded into memory first, so the check after the fetch is the object's, not a fresh D1 read.
    expect((await stub.getIntegrationAccess({ integration: "Gusto" })).ok).toBe(true);
    // The provider reads the data, and its answer is held until the disconnect has finished.
    const answer = gate("fetch-answer");
    await scriptApi(grant.grantId, [{ hold: answer.name, holdAt: "answer" }]);

    const fetching = stub.runFetch({ integration: "Gusto" }, KEY, "cron");
    await answer.held();
    const res = await call(`/integration/disconnect?workspace_id=${ws}&integration=Gusto`, {
      method: "POST",
      bearer: await token({ [ws]: "admin" }),
    });
    expect(res.status).toBe(200);
    await answer.release();

    const outcome = await fetching;
    expect(outcome.ok ? "kept" : outcome.failure.reason).toBe("not_connected");
    expect(await indexRows(ws)).toBe(0);
    const read = await stub.readCached({ integration: "Gusto" }, KEY);
    expect(read.ok ? read.payload : read.failure.reason).toBe("not_connected");
    const logged = await fetchRuns(ws, "Gusto");
    expect(logged.map((r) => [r.outcome, r.error?.split(":")[0]])).toEqual([["error", "not_connected"]]);
  });

  it("should log a fetch whose index row D1 refused as an internal error, and store it on the next try", async () => {
    const ws = "ws-commit-d1-down";
    await gusto(ws);
    const stub = env.WORKSPACE.getByName(ws);
    expect((await stub.getIntegrationAccess({ integration: "Gusto" })).ok).toBe(true);
    await env.DB.prepare("ALTER TABLE data_cache RENAME TO data_cache_away").run();
    let outcome;
    try {
      outcome = await stub.runFetch({ integration: "Gusto" }, KEY, "cron");
    } finally {
      await env.DB.prepare("ALTER TABLE data_cache_away RENAME TO data_cache").run();
    }
    expect(outcome.ok ? "stored" : outcome.failure.reason).toBe("internal_error");
    expect(await indexRows(ws)).toBe(0);
    const [failed] = await fetchRuns(ws, "Gusto");
    expect(failed).toMatchObject({ outcome: "error", error: "internal_error: the fetched data could not be stored" });

    expect((await stub.runFetch({ integration: "Gusto" }, KEY, "cron")).ok).toBe(true);
    expect(await indexRows(ws)).toBe(1);
    expect((await fetchRuns(ws, "Gusto")).map((r) => r.outcome)).toEqual(["success", "error"]);
  });
});
