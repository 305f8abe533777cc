// The per-tenant limiter the workspace object applies to a provider's API (Xero: 5 in flight, 60 a minute).
import { describe, expect, it } from "vitest";
import { RateLimiter } from "../src/workspace/rate-limit";

describe("RateLimiter", () => {
  it("should keep at most `concurrent` tasks in flight", async () => {
    const limiter = new RateLimiter({ concurrent: 3, perMinute: 1000 });
    let active = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        limiter.run(async () => {
          peak = Math.max(peak, ++active);
          await new Promise((r) => setTimeout(r, 5));
          active--;
        }),
      ),
    );
    expect(peak).toBe(3);
  });

  it("should start at most `perMinute` tasks in any window", async () => {
    const windowMs = 100;
    const limiter = new RateLimiter({ concurrent: 10, perMinute: 2 }, windowMs);
    const starts: number[] = [];
    await Promise.all(
      Array.from({ length: 6 }, () => limiter.run(() => Promise.resolve(void starts.push(Date.now())))),
    );
    expect(starts).toHaveLength(6);
    // The third start of any run of three comes a full window after the first.
    for (let i = 0; i + 2 < starts.length; i++) expect(starts[i + 2]! - starts[i]!).toBeGreaterThanOrEqual(windowMs);
  });

  it("should free the slot when a task fails", async () => {
    const limiter = new RateLimiter({ concurrent: 1, perMinute: 1000 });
    await expect(limiter.run(() => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await limiter.run(() => Promise.resolve("next"))).toBe("next");
  });
});
