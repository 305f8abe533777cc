// wrangler.toml facts the code relies on.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");
const toml = read("wrangler.toml");
// Read as text: src/ is worker code, typechecked in its own world.
const QUEUE_MAX_RETRIES = Number(/const QUEUE_MAX_RETRIES = (\d+);/.exec(read("src/jobs/consumer.ts"))?.[1]);

describe("wrangler.toml", () => {
  it("should retry queue messages as often as the consumer expects before it records a dead letter", () => {
    expect(QUEUE_MAX_RETRIES).toBeGreaterThan(0);
    expect(toml).toMatch(new RegExp(`^max_retries = ${QUEUE_MAX_RETRIES}$`, "m"));
  });

  it("should consume the webhook queue under the name the worker routes by, retrying at least as often as the schedule", () => {
    const name = /export const WEBHOOK_QUEUE_NAME = "([^"]+)";/.exec(read("src/jobs/webhooks.ts"))?.[1];
    const attempts = Number(
      /export const WEBHOOK_MAX_ATTEMPTS = (\d+);/.exec(read("src/framework/webhook-delivery.ts"))?.[1],
    );
    const consumer = new RegExp(`\\[\\[queues\\.consumers\\]\\]\\nqueue = "${name}"\\n[^[]*?max_retries = (\\d+)`).exec(
      toml,
    );
    expect(consumer, `a [[queues.consumers]] block for ${name}`).not.toBeNull();
    expect(Number(consumer![1])).toBeGreaterThanOrEqual(attempts - 1);
    expect(toml).toMatch(new RegExp(`binding = "WEBHOOK_QUEUE"\\nqueue = "${name}"`));
  });

  it("should consume the dispatch queue under the name the worker routes by, in batches the budget allows", () => {
    const name = /export const DISPATCH_QUEUE_NAME = "([^"]+)";/.exec(read("src/jobs/dispatch.ts"))?.[1];
    const consumer = new RegExp(`\\[\\[queues\\.consumers\\]\\]\\nqueue = "${name}"\\nmax_batch_size = (\\d+)`).exec(
      toml,
    );
    expect(consumer, `a [[queues.consumers]] block for ${name}`).not.toBeNull();
    // test/cron-dispatch.test.ts bounds one batch of 10 ranges below 900 subrequests.
    expect(Number(consumer![1])).toBeLessThanOrEqual(10);
  });

  it("should give every queue consumer a retry delay, and every retry in the consumers its own", () => {
    const blocks = toml.split("[[queues.consumers]]").slice(1);
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    for (const block of blocks) {
      const queue = /^queue = "([^"]+)"$/m.exec(block)?.[1];
      const delay = Number(/^retry_delay = (\d+)$/m.exec(block.split("\n[")[0]!)?.[1]);
      // A retry without a delay comes back at once: a failing dependency would get a storm.
      expect(delay, `retry_delay of ${queue}`).toBeGreaterThanOrEqual(10);
    }
    for (const file of readdirSync(new URL("../../src/jobs", import.meta.url)).filter((f) => f.endsWith(".ts"))) {
      const source = read(`src/jobs/${file}`);
      expect(source, file).not.toMatch(/\.retry\(\s*\)/);
      for (const call of source.matchAll(/\.retry\(([^)]*)\)/g)) expect(call[1], file).toMatch(/delaySeconds/);
    }
  });

  it("should run the cron hourly, as the status route's next_scheduled_run assumes", () => {
    expect(toml).toMatch(/^crons = \["0 \* \* \* \*"\]$/m);
  });

  it("should bind what the worker uses", () => {
    for (const binding of [
      'binding = "DB"',
      'binding = "OAUTH_KV"',
      'name = "WORKSPACE"',
      'binding = "FETCH_QUEUE"',
      'binding = "WEBHOOK_QUEUE"',
      'binding = "DISPATCH_QUEUE"',
      'new_sqlite_classes = ["WorkspaceDO"]',
    ]) {
      expect(toml).toContain(binding);
    }
  });
});

describe("the worker's list of published secrets", () => {
  it("should hash exactly the values .dev.vars.example publishes", async () => {
    const { createHash } = await import("node:crypto");
    const example = Object.fromEntries(
      read(".dev.vars.example")
        .split("\n")
        .filter((line) => /^[A-Z_]+=/.test(line))
        .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
    );
    const settings = read("src/framework/settings.ts");
    for (const name of ["AUTH_JWT_SECRET", "TOKEN_ENCRYPTION_KEY"]) {
      const hash = createHash("sha256").update(String(example[name])).digest("hex");
      expect(settings, name).toContain(`${name}: "${hash}"`);
    }
  });
});
