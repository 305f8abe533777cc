// Cron → FETCH_QUEUE → consumer → workspace objects: warm caches for several workspaces, one failing
// provider isolated, retries and dead letters, the manual fetch route and the status route.
import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  getQueueResult,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { cacheDateKey } from "../src/framework/dates";
import worker from "../src/index";
import { defaultFromDate } from "../src/framework/dates";
import { clearScripts, scriptApi, scriptToken, stats } from "./fake-client";
import { call, errorOf, fetchRuns, seedConnection, token } from "./helpers";

const count = async (sql: string, ...binds: unknown[]) =>
  (
    await env.DB.prepare(sql)
      .bind(...binds)
      .first<{ n: number }>()
  )?.n ?? 0;

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  await expect.poll(check, { timeout: 10_000, interval: 50, message: `timed out waiting for ${what}` }).toBe(true);
}

async function tick(): Promise<void> {
  const ctx = createExecutionContext();
  worker.scheduled(createScheduledController({ cron: "0 * * * *", scheduledTime: Date.now() }), env, ctx);
  await waitOnExecutionContext(ctx);
}

describe("cron fan-out through the queue", () => {
  it("should fill the default 24-month window of every workspace, isolating a failing provider", async () => {
    await seedConnection("ws-cron-xero", "xero");
    await seedConnection("ws-cron-gusto", "gusto");
    const failing = await seedConnection("ws-cron-down", "xero");
    await scriptApi(
      failing.grantId,
      Array.from({ length: 8 }, () => ({ status: 500 })),
    );

    await tick();
    const key = cacheDateKey(defaultFromDate(Date.now()));
    await until(
      async () => (await count("SELECT count(*) AS n FROM data_cache WHERE cache_date = ?", key)) === 2,
      "two warm caches",
    );
    const outcomes = async (ws: string, integration: string) =>
      (await fetchRuns(ws, integration)).map((r) => `${r.trigger} ${r.outcome}`);
    await until(async () => (await outcomes("ws-cron-down", "Xero")).length === 1, "the failure");
    expect(await outcomes("ws-cron-down", "Xero")).toEqual(["cron error"]);
    expect(await count("SELECT count(*) AS n FROM data_cache WHERE workspace_id = 'ws-cron-down'")).toBe(0);
    expect(await outcomes("ws-cron-xero", "Xero")).toEqual(["cron success"]);
    expect(await outcomes("ws-cron-gusto", "Gusto")).toEqual(["cron success"]);

    // A second tick finds nothing due for the warm ones; the failed key is still due.
    await tick();
    await until(async () => (await outcomes("ws-cron-down", "Xero")).length === 2, "the second attempt");
    expect(await outcomes("ws-cron-xero", "Xero")).toEqual(["cron success"]);
    expect(await outcomes("ws-cron-gusto", "Gusto")).toEqual(["cron success"]);
  });
});

describe("queue consumer", () => {
  const message = (workspaceId: string, attempts: number) => ({
    id: `msg-${workspaceId}-${attempts}`,
    timestamp: new Date(),
    attempts,
    body: { workspaceId, integration: "Xero", cacheDate: cacheDateKey("2021-07-01"), trigger: "cron" },
  });

  async function consume(messages: ReturnType<typeof message>[]) {
    const batch = createMessageBatch("zebbra-fetch", messages);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    return getQueueResult(batch, ctx);
  }

  it("should retry a transient failure with backoff, then record a dead letter", async () => {
    const grant = await seedConnection("ws-dlq", "xero");
    await scriptApi(
      grant.grantId,
      Array.from({ length: 8 }, () => ({ status: 503 })),
    );
    const first = await consume([message("ws-dlq", 1)]);
    expect(first.retryMessages.map((m) => m.msgId)).toEqual(["msg-ws-dlq-1"]);
    expect(first.explicitAcks).toEqual([]);

    // wrangler.toml's max_retries (3): the fourth attempt is the last.
    const last = await consume([message("ws-dlq", 4)]);
    expect(last.explicitAcks).toEqual(["msg-ws-dlq-4"]);
    expect(last.retryMessages).toEqual([]);
    const dead = (await fetchRuns("ws-dlq", "Xero")).find((r) => r.outcome === "dead_letter");
    expect(dead?.error).toMatch(/gave up after 4 attempts: provider_unavailable/);
  });

  it("should back off exponentially from 30 s, honouring a longer Retry-After", async () => {
    const grant = await seedConnection("ws-backoff", "xero");
    await scriptApi(
      grant.grantId,
      Array.from({ length: 40 }, () => ({ status: 503 })),
    );
    // The harness's QueueResult does not keep retry options, so read them off the message.
    const retryDelay = async (attempts: number) => {
      const batch = createMessageBatch("zebbra-fetch", [message("ws-backoff", attempts)]);
      const retry = vi.spyOn(batch.messages[0]!, "retry");
      const ctx = createExecutionContext();
      await worker.queue(batch, env, ctx);
      await waitOnExecutionContext(ctx);
      return retry.mock.calls[0]?.[0]?.delaySeconds;
    };
    expect([await retryDelay(1), await retryDelay(2), await retryDelay(3)]).toEqual([30, 60, 120]);

    await clearScripts(grant.grantId);
    // Longer than the provider client waits out itself, so the queue waits instead.
    await scriptApi(
      grant.grantId,
      Array.from({ length: 8 }, () => ({ status: 429, retryAfter: 90 })),
    );
    expect(await retryDelay(1)).toBe(90);
  });

  it("should not retry what retrying cannot fix, nor malformed messages", async () => {
    const grant = await seedConnection("ws-gone", "xero", { expiresInSeconds: -5 });
    await scriptToken(grant.grantId, [{ status: 400, error: "invalid_grant" }]);
    const result = await consume([
      message("ws-gone", 1),
      { ...message("ws-x", 1), id: "bad", body: { nope: true } as never },
    ]);
    expect(result.explicitAcks.sort()).toEqual(["bad", "msg-ws-gone-1"]);
    expect(result.retryMessages).toEqual([]);
    expect((await stats(grant.grantId)).refreshRequests).toBe(1);
  });
});

describe("manual fetch and status routes", () => {
  it("should queue a fetch for an admin and show its outcome in the status", async () => {
    const grant = await seedConnection("ws-manual", "gusto");
    const member = await call("/integration/fetch?workspace_id=ws-manual&integration=Gusto", {
      method: "POST",
      bearer: await token({ "ws-manual": "member" }),
    });
    expect(member.status).toBe(403);
    const res = await call("/integration/fetch?workspace_id=ws-manual&integration=Gusto", {
      method: "POST",
      bearer: await token({ "ws-manual": "admin" }),
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ message: "A fetch of Gusto has been queued", queued: 1 });
    await until(
      async () =>
        (await fetchRuns("ws-manual", "Gusto")).filter((r) => r.trigger === "manual" && r.outcome === "success")
          .length === 1,
      "the manual fetch",
    );

    const status = await call("/integration/status?workspace_id=ws-manual", {
      bearer: await token({ "ws-manual": "member" }),
    });
    const text = await status.text();
    expect(text).not.toContain(grant.access_token);
    expect(text).not.toContain(grant.refresh_token);
    const [entry] = JSON.parse(text) as {
      integration: string;
      requires_reconnect: boolean;
      last_fetch: { outcome: string; trigger: string };
      next_scheduled_run: string;
      token: { expires_at: string };
    }[];
    expect(entry).toMatchObject({
      integration: "Gusto",
      requires_reconnect: false,
      last_fetch: { outcome: "success", trigger: "manual" },
    });
    expect(Date.parse(entry!.next_scheduled_run)).toBeGreaterThan(Date.now());
    expect(Date.parse(entry!.token.expires_at)).toBeGreaterThan(Date.now());
  });

  it("should answer 404 not_connected for a manual fetch of a provider that is not connected", async () => {
    const res = await call("/integration/fetch?workspace_id=ws-manual2&integration=Xero", {
      method: "POST",
      bearer: await token({ "ws-manual2": "admin" }),
    });
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe("not_connected");
  });
});
