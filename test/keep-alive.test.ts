// The cron keep-alive pass: idle refresh tokens of providers whose tokens expire unused are
// refreshed, a bounded batch per tick, through the workspace objects.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import { keepAlivePass } from "../src/jobs/keep-alive";
import { providers } from "../src/providers/registry";
import { stats } from "./fake-client";
import { rawAccessRow, seedConnection } from "./helpers";

const DAY = 24 * 3600_000;
const xeroIdle = providers.Xero.keepAliveAfterMs;

describe("keep-alive", () => {
  it("should refresh only idle connections of providers that need it, on the cron trigger", async () => {
    const idle = await seedConnection("ws-idle", "xero", { issuedAgoMs: xeroIdle + DAY });
    const recent = await seedConnection("ws-recent", "xero", { issuedAgoMs: DAY });
    // Gusto declares no keep-alive: its refresh tokens do not expire idle.
    const gusto = await seedConnection("ws-idle", "gusto", { issuedAgoMs: 90 * DAY });

    const ctx = createExecutionContext();
    worker.scheduled(createScheduledController({ cron: "0 * * * *", scheduledTime: Date.now() }), env, ctx);
    await waitOnExecutionContext(ctx);

    expect((await stats(idle.grantId)).refreshRequests).toBe(1);
    expect((await stats(recent.grantId)).refreshRequests).toBe(0);
    expect((await stats(gusto.grantId)).refreshRequests).toBe(0);
    const row = (await rawAccessRow("ws-idle", "Xero"))!;
    expect(row.tokens_issued_at).toBeGreaterThan(Date.now() - DAY);
  });

  it("should stop at the batch size and leave the rest for the next tick, oldest first", async () => {
    const oldest = await seedConnection("ws-b1", "xero", { issuedAgoMs: xeroIdle + 3 * DAY });
    const older = await seedConnection("ws-b2", "xero", { issuedAgoMs: xeroIdle + 2 * DAY });
    const first = await keepAlivePass(env, Date.now(), 1);
    expect(first).toEqual({ due: 1, refreshed: 1, failed: 0 });
    expect((await stats(oldest.grantId)).refreshRequests).toBe(1);
    expect((await stats(older.grantId)).refreshRequests).toBe(0);
    const second = await keepAlivePass(env, Date.now(), 1);
    expect(second).toEqual({ due: 1, refreshed: 1, failed: 0 });
    expect((await stats(older.grantId)).refreshRequests).toBe(1);
    expect(await keepAlivePass(env, Date.now(), 10)).toEqual({ due: 0, refreshed: 0, failed: 0 });
  });

  it("should skip connections that need a reconnect", async () => {
    const grant = await seedConnection("ws-skip", "xero", { issuedAgoMs: xeroIdle + DAY });
    await env.DB.prepare("UPDATE integration_access SET requires_reconnect = 1 WHERE workspace_id = 'ws-skip'").run();
    expect((await keepAlivePass(env, Date.now(), 10)).due).toBe(0);
    expect((await stats(grant.grantId)).refreshRequests).toBe(0);
  });
});
