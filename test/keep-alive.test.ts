// The cron keep-alive: idle refresh tokens of providers whose tokens expire unused are refreshed,
// found by the fan-out's keep-alive ranges and refreshed by the fetch queue's consumer through the
// workspace objects.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import { providers } from "../src/providers/registry";
import { runFanOut } from "./dispatch-driver";
import { stats } from "./fake-client";
import { fetchRuns, rawAccessRow, seedConnection } from "./helpers";

const DAY = 24 * 3600_000;
const xeroIdle = providers.Xero.keepAliveAfterMs;

/** Waits until the grant's refresh count reaches `n`. */
async function refreshed(grantId: string, n: number): Promise<void> {
  await expect
    .poll(async () => (await stats(grantId)).refreshRequests, {
      timeout: 10_000,
      interval: 50,
      message: `grant ${grantId} was not refreshed ${n} times`,
    })
    .toBeGreaterThanOrEqual(n);
}

describe("keep-alive", () => {
  it("should refresh only idle connections of providers that need it, on the cron trigger", async () => {
    const idle = await seedConnection("ws-idle", "xero", { issuedAgoMs: xeroIdle + DAY });
    const recent = await seedConnection("ws-recent", "xero", { issuedAgoMs: DAY });
    // Gusto declares no keep-alive: its refresh tokens do not expire idle.
    const gusto = await seedConnection("ws-idle", "gusto", { issuedAgoMs: 90 * DAY });

    const ctx = createExecutionContext();
    worker.scheduled(createScheduledController({ cron: "0 * * * *", scheduledTime: Date.now() }), env, ctx);
    await waitOnExecutionContext(ctx);

    // The tick's work, done: the idle grant's refresh stored, and each connection's default-window
    // fetch (same tick, same queue) logged.
    await expect
      .poll(async () => Number((await rawAccessRow("ws-idle", "Xero"))!.tokens_issued_at), { timeout: 10_000 })
      .toBeGreaterThan(Date.now() - DAY);
    const cronRuns = async (ws: string, integration: string) =>
      (await fetchRuns(ws, integration)).filter((r) => r.trigger === "cron").length;
    await expect
      .poll(
        async () => [
          await cronRuns("ws-idle", "Xero"),
          await cronRuns("ws-recent", "Xero"),
          await cronRuns("ws-idle", "Gusto"),
        ],
        { timeout: 10_000 },
      )
      .toEqual([1, 1, 1]);
    expect((await stats(idle.grantId)).refreshRequests).toBe(1);
    expect((await stats(recent.grantId)).refreshRequests).toBe(0);
    expect((await stats(gusto.grantId)).refreshRequests).toBe(0);
  });

  it("should refresh every idle connection of a tick, each once, and none on the next tick", async () => {
    const grants = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        seedConnection(`ws-b${i}`, "xero", { issuedAgoMs: xeroIdle + (i + 1) * DAY }),
      ),
    );
    const tick = await runFanOut(Date.now(), { kinds: ["keepalive"] });
    expect(tick.messages).toBe(12);
    for (const grant of grants) await refreshed(grant.grantId, 1);
    expect((await runFanOut(Date.now(), { kinds: ["keepalive"] })).messages).toBe(0);
  });

  it("should skip connections that need a reconnect", async () => {
    const grant = await seedConnection("ws-skip", "xero", { issuedAgoMs: xeroIdle + DAY });
    await env.DB.prepare("UPDATE integration_access SET requires_reconnect = 1 WHERE workspace_id = 'ws-skip'").run();
    expect((await runFanOut(Date.now(), { kinds: ["keepalive"] })).messages).toBe(0);
    expect((await stats(grant.grantId)).refreshRequests).toBe(0);
  });
});
