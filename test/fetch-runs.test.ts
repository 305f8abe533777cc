// The fetch log in each workspace's object: runs in order per integration, the latest per
// integration for the status, retention, dead letters, and GET /integration/runs.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { FetchRun } from "../src/framework/runs";
import { RunLog } from "../src/workspace/run-log";
import { call, errorOf, fetchRuns, token, unregisteredName } from "./helpers";

const DAY = 24 * 3600_000;
const RETENTION = 30 * DAY;

const run = (integration: string, startedAt: number, outcome: FetchRun["outcome"] = "success"): FetchRun => ({
  integration,
  tenantId: "",
  cacheDate: Date.UTC(2023, 10, 1) / 1000,
  trigger: "cron",
  startedAt,
  finishedAt: startedAt + 1000,
  outcome,
  error: outcome === "success" ? null : "provider_unavailable: Xero is unavailable",
});

/** Records `runs` in the workspace object's log, as the object's own code does. */
const record = (ws: string, runs: FetchRun[]) =>
  runInDurableObject(env.WORKSPACE.getByName(ws), (_instance, state) => {
    const log = new RunLog(state.storage, () => RETENTION);
    for (const r of runs) log.record(r);
  });

describe("the fetch log", () => {
  it("should keep each integration's runs newest first and find the latest however many another has", async () => {
    const ws = "ws-runs";
    const now = Date.now();
    await record(ws, [
      run("Gusto", now - DAY, "error"),
      ...Array.from({ length: 250 }, (_, i) => run("Xero", now - DAY + i)),
    ]);
    await record("ws-other", [run("Gusto", now)]);
    const conns = ["Gusto", "Xero", "Sandbox"].map((integration) => ({ integration, tenantId: "" }));
    const latest = await env.WORKSPACE.getByName(ws).latestRuns(conns);
    expect(Object.keys(latest).sort()).toEqual(["Gusto/", "Xero/"]);
    expect(latest["Gusto/"]?.outcome).toBe("error");
    expect(latest["Xero/"]?.startedAt).toBe(now - DAY + 249);
    const xero = await fetchRuns(ws, "Xero");
    expect(xero).toHaveLength(250);
    expect(xero.slice(0, 2).map((r) => r.startedAt)).toEqual([now - DAY + 249, now - DAY + 248]);
  });

  it("should drop runs past the retention when it records", async () => {
    const ws = "ws-prune";
    const now = Date.now();
    await record(ws, [run("Xero", now - 40 * DAY), run("Xero", now - 31 * DAY), run("Xero", now - DAY)]);
    // Pruning goes by the end of the run being recorded, at most hourly per integration.
    await record(ws, [run("Xero", now)]);
    expect((await fetchRuns(ws, "Xero")).map((r) => r.startedAt)).toEqual([now, now - DAY]);
  });

  it("should log a dead letter as its own run", async () => {
    const ws = "ws-dead";
    await env.WORKSPACE.getByName(ws).recordDeadLetter(
      { integration: "Xero", tenantId: "" },
      1_700_000_000,
      "manual",
      "gave up after 4 attempts",
    );
    const [dead] = await fetchRuns(ws, "Xero");
    expect(dead).toMatchObject({ outcome: "dead_letter", trigger: "manual", error: "gave up after 4 attempts" });
  });
});

describe("GET /integration/runs", () => {
  const path = (ws: string, extra = "") => `/integration/runs?workspace_id=${ws}&integration=Xero${extra}`;

  it("should list a member's runs newest first, with the limit", async () => {
    const ws = "ws-runs-api";
    const now = Date.now();
    await record(ws, [run("Xero", now - 2000, "error"), run("Xero", now - 1000)]);
    const res = await call(path(ws, "&limit=1"), { bearer: await token({ [ws]: "member" }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([
      {
        trigger: "cron",
        started_at: new Date(now - 1000).toISOString(),
        finished_at: new Date(now).toISOString(),
        outcome: "success",
        error: null,
        cache_date: "2023-11-01",
        from_date: "2023-11-01",
      },
    ]);
    const all = await (await call(path(ws), { bearer: await token({ [ws]: "member" }) })).json<{ outcome: string }[]>();
    expect(all.map((r) => r.outcome)).toEqual(["success", "error"]);
  });

  it("should refuse another workspace's caller, a bad limit and an unknown integration", async () => {
    const ws = "ws-runs-refused";
    expect((await call(path(ws), { bearer: await token({ "ws-else": "admin" }) })).status).toBe(403);
    const bad = await call(path(ws, "&limit=0"), { bearer: await token({ [ws]: "member" }) });
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).code).toBe("invalid_request");
    const unknown = await call(`/integration/runs?workspace_id=${ws}&integration=${unregisteredName()}`, {
      bearer: await token({ [ws]: "member" }),
    });
    expect(unknown.status).toBe(400);
    expect((await errorOf(unknown)).code).toBe("unknown_integration");
  });
});
