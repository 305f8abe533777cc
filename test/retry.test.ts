// The one retry loop (token refresh, provider 429s, the proxy's 429s): which outcomes it repeats, how
// often, a wait past the cap left for the caller, a retried value released, and the jittered backoff.
import { describe, expect, it } from "vitest";
import { jitteredBackoff, parseRetryAfter, retry } from "../src/framework/retry";

/** An attempt that answers the scripted outcomes in order, counting calls. */
function scripted<T>(outcomes: ({ value: T } | { error: Error })[]) {
  const calls: number[] = [];
  const attempt = (n: number): Promise<T> => {
    calls.push(n);
    const next = outcomes[n];
    if (!next) throw new Error(`no outcome scripted for attempt ${n}`);
    return "error" in next ? Promise.reject(next.error) : Promise.resolve(next.value);
  };
  return { attempt, calls };
}

const busy = new Error("busy");
const broken = new Error("broken");

describe("retry", () => {
  it("should repeat what delayFor retries, and return the first final outcome", async () => {
    const { attempt, calls } = scripted<string>([{ error: busy }, { value: "429" }, { value: "200" }]);
    const value = await retry(attempt, {
      retries: 5,
      maxWaitMs: 10,
      delayFor: (o) => ((!o.ok && o.error === busy) || (o.ok && o.value === "429") ? 0 : null),
    });
    expect(value).toBe("200");
    expect(calls).toEqual([0, 1, 2]);
  });

  it("should throw a failure delayFor does not retry, at once", async () => {
    const { attempt, calls } = scripted<string>([{ error: broken }, { value: "never" }]);
    await expect(
      retry(attempt, { retries: 3, maxWaitMs: 10, delayFor: (o) => (!o.ok && o.error === busy ? 0 : null) }),
    ).rejects.toBe(broken);
    expect(calls).toEqual([0]);
  });

  it("should stop after the retries, with the last outcome", async () => {
    const { attempt, calls } = scripted<string>([{ error: busy }, { error: busy }, { value: "late" }]);
    await expect(retry(attempt, { retries: 1, maxWaitMs: 10, delayFor: () => 0 })).rejects.toBe(busy);
    expect(calls).toEqual([0, 1]);
  });

  it("should leave a wait past maxWaitMs to the caller, with the outcome that asked for it", async () => {
    const { attempt, calls } = scripted<string>([{ value: "429 Retry-After: 120" }, { value: "200" }]);
    const value = await retry(attempt, { retries: 3, maxWaitMs: 60_000, delayFor: () => 120_000 });
    expect(value).toBe("429 Retry-After: 120");
    expect(calls).toEqual([0]);
  });

  it("should release every value it retries, and not the one it returns", async () => {
    const { attempt } = scripted<string>([{ value: "a" }, { value: "b" }, { value: "c" }]);
    const released: string[] = [];
    const value = await retry(attempt, {
      retries: 2,
      maxWaitMs: 10,
      delayFor: () => 0,
      discard: (v) => {
        released.push(v);
        return Promise.resolve();
      },
    });
    expect(value).toBe("c");
    expect(released).toEqual(["a", "b"]);
  });
});

describe("jitteredBackoff", () => {
  it("should wait between half and all of the doubled base, not always the same", () => {
    const waits = Array.from({ length: 200 }, () => jitteredBackoff(3, 500));
    for (const wait of waits) {
      expect(wait).toBeGreaterThanOrEqual(2000);
      expect(wait).toBeLessThanOrEqual(4000);
    }
    expect(new Set(waits).size).toBeGreaterThan(1);
  });
});

describe("parseRetryAfter", () => {
  it("should read delay-seconds and an HTTP date, and nothing else (RFC 9110 §10.2.3)", () => {
    const now = Date.parse("2026-12-07T12:00:00Z");
    expect(parseRetryAfter("7", now)).toBe(7000);
    expect(parseRetryAfter("Mon, 07 Dec 2026 12:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Mon, 07 Dec 2026 11:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });
});
