// The workspace object restarting: storage, not memory, decides; a refresh token that may have been
// consumed is never sent twice.
import { abortAllDurableObjects, evictDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { gate, scriptToken, stats } from "./fake-client";
import { accessOutcome, rawAccessRow, seedConnection } from "./helpers";

describe("WorkspaceDO eviction", () => {
  it("should not refresh again after an eviction between two reads", async () => {
    const grant = await seedConnection("ws-evict", "xero", { expiresInSeconds: -5 });
    const first = await accessOutcome("ws-evict", "Xero");
    await evictDurableObject(env.WORKSPACE.getByName("ws-evict"));
    const second = await accessOutcome("ws-evict", "Xero");
    expect(first.ok && second.ok && first.access.accessToken === second.access.accessToken).toBe(true);
    expect((await stats(grant.grantId)).refreshRequests).toBe(1);
  });

  it("should never resend a refresh token whose refresh was cut off by a crash", async () => {
    const grant = await seedConnection("ws-crash", "xero", { expiresInSeconds: -5 });
    // The provider rotates, then the answer is lost: held until the object has died waiting for it.
    const answer = gate("crash");
    await scriptToken(grant.grantId, [{ hold: answer.name, holdAt: "answer" }]);
    const pending = accessOutcome("ws-crash", "Xero").catch((e: unknown) => e);
    await answer.held();
    // A crash, not a graceful eviction (which would wait for the refresh to finish).
    await abortAllDurableObjects();
    await pending;
    await answer.release();

    const after = await accessOutcome("ws-crash", "Xero");
    expect(!after.ok && after.failure.reason).toBe("reconnect_required");
    const summary = await stats(grant.grantId);
    expect(summary.refreshRequests).toBe(1);
    expect(summary.revoked).toBe(false);
    expect((await rawAccessRow("ws-crash", "Xero"))!.last_refresh_error).toMatch(/^refresh_interrupted/);
  });
});
