// Outgoing webhooks in Node: signatures checked by the spec's reference library (standardwebhooks),
// deliveries against a local receiver on 127.0.0.1, the URL rules and the secret errors.
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkWebhookUrl,
  deliverWebhook,
  WEBHOOK_MAX_ATTEMPTS,
  webhookRetryDelaySeconds,
} from "../../src/framework/webhook-delivery";
import { webhookSettings } from "../../src/framework/settings";
import {
  newWebhookEvent,
  signWebhook,
  WEBHOOK_EVENT_TYPES,
  webhookKeys,
  WebhookSecretError,
  type WebhookEvent,
} from "../../src/framework/webhooks";

const newSecret = (bytes = 32) => `whsec_${randomBytes(bytes).toString("base64")}`;
const nowSeconds = () => Math.floor(Date.now() / 1000);
// Written out here rather than imported: the test pins the body's exact shape.
const bodyOf = (event: WebhookEvent) =>
  JSON.stringify({ type: event.type, timestamp: event.timestamp, data: event.data });
const sampleEvent = () =>
  newWebhookEvent(
    "data.fetched",
    { workspace_id: "ws_1", integration: "Xero", tenant_id: "org-1" },
    { cache_date: "2024-05-31", from_date: "2024-05-31", fetched_at: "2026-12-01T10:00:00.000Z", trigger: "cron" },
  );

describe("newWebhookEvent", () => {
  it("should stamp the event and give it a fresh msg_ id", () => {
    const now = new Date("2026-12-01T10:00:00.000Z");
    const about = { workspace_id: "ws_1", integration: "Gusto", tenant_id: "company-1" };
    const details = { connected_by: "user-1", source: "connect" as const };
    const a = newWebhookEvent("connection.created", about, details, now);
    const b = newWebhookEvent("connection.created", about, details, now);
    expect(a.data).toEqual({ ...about, ...details });
    expect(a.timestamp).toBe("2026-12-01T10:00:00.000Z");
    expect(a.id).toMatch(/^msg_[A-Za-z0-9_-]{40,}$/);
    expect(a.id).not.toBe(b.id);
  });
});

/** A sample event signed now with `secret` (and `previous`), and the headers a receiver would get. */
async function signSample(secret: string, previous?: string) {
  const event = sampleEvent();
  const body = bodyOf(event);
  const timestamp = nowSeconds();
  const signature = await signWebhook(await webhookKeys(secret, previous), event.id, timestamp, body);
  const headers = { "webhook-id": event.id, "webhook-timestamp": String(timestamp), "webhook-signature": signature };
  return { body, timestamp, signature, headers };
}

describe("signWebhook", () => {
  it("should sign so that the reference library verifies the body", async () => {
    const secret = newSecret();
    const { body, signature, headers } = await signSample(secret);
    expect(signature).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it("should add one signature per previous secret, each verifying with its own secret", async () => {
    const secrets = [newSecret(), newSecret(24), newSecret(64)];
    const { body, signature, headers } = await signSample(secrets[0]!, ` ${secrets[1]}, ${secrets[2]} ,`);
    const entries = signature.split(" ");
    expect(entries).toHaveLength(3);
    entries.forEach((entry, i) => {
      const one = { ...headers, "webhook-signature": entry };
      expect(() => new Webhook(secrets[i]!).verify(body, one)).not.toThrow();
      // An entry is bound to its own secret: the others reject it.
      for (const other of secrets.filter((_, j) => j !== i))
        expect(() => new Webhook(other).verify(body, one)).toThrow(WebhookVerificationError);
    });
  });

  it("should fail verification for a tampered body, id or timestamp, or a wrong secret", async () => {
    const secret = newSecret();
    const { body, timestamp, headers } = await signSample(secret);
    const wh = new Webhook(secret);
    const tampered = body.replace('"trigger":"cron"', '"trigger":"manual"');
    expect(tampered).not.toBe(body);
    expect(() => wh.verify(tampered, headers)).toThrow(WebhookVerificationError);
    expect(() => wh.verify(body, { ...headers, "webhook-id": "msg_other" })).toThrow(WebhookVerificationError);
    expect(() => wh.verify(body, { ...headers, "webhook-timestamp": String(timestamp - 1) })).toThrow(
      WebhookVerificationError,
    );
    expect(() => new Webhook(newSecret()).verify(body, headers)).toThrow(WebhookVerificationError);
  });

  it("should accept a secret without base64 padding, as the spec's examples are written", async () => {
    const secret = `whsec_${randomBytes(32).toString("base64").replace(/=+$/, "")}`;
    const { body, headers } = await signSample(secret);
    expect(() => new Webhook(secret).verify(body, headers)).not.toThrow();
  });

  it("should refuse an id with a '.' (it would make signed contents ambiguous)", async () => {
    const keys = await webhookKeys(newSecret());
    await expect(signWebhook(keys, "msg_1.2", nowSeconds(), "{}")).rejects.toThrow(TypeError);
  });
});

describe("webhookKeys", () => {
  const bad: [string, string][] = [
    ["no whsec_ prefix", randomBytes(32).toString("base64")],
    ["not base64", `whsec_${randomBytes(32).toString("base64").slice(0, 30)}!!${"A".repeat(12)}`],
    ["too short (16 bytes)", newSecret(16)],
    ["too long (65 bytes)", newSecret(65)],
  ];

  it.each(bad)("should reject WEBHOOK_SECRET with %s, naming the variable but not the secret", async (_, secret) => {
    const error = await webhookKeys(secret).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebhookSecretError);
    expect((error as WebhookSecretError).variable).toBe("WEBHOOK_SECRET");
    expect((error as Error).message).toMatch(/^WEBHOOK_SECRET /);
    expect((error as Error).message).not.toContain(secret.replace(/^whsec_/, "").slice(0, 8));
  });

  it.each(bad)("should reject a previous secret with %s, naming its entry but not the secret", async (_, secret) => {
    const error = await webhookKeys(newSecret(), `${newSecret()},${secret}`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebhookSecretError);
    expect((error as WebhookSecretError).variable).toBe("WEBHOOK_PREVIOUS_SECRETS");
    expect((error as Error).message).toMatch(/^WEBHOOK_PREVIOUS_SECRETS entry 2 /);
    expect((error as Error).message).not.toContain(secret.replace(/^whsec_/, "").slice(0, 8));
  });

  it("should reject a missing secret", async () => {
    await expect(webhookKeys(undefined)).rejects.toThrow("WEBHOOK_SECRET is not set");
    await expect(webhookKeys("  ")).rejects.toThrow("WEBHOOK_SECRET is not set");
  });

  it("should import a configuration once per isolate", async () => {
    const secret = newSecret();
    const first = webhookKeys(secret);
    expect(webhookKeys(secret)).toBe(first);
    expect(await first).toHaveLength(1);
  });
});

describe("checkWebhookUrl", () => {
  it("should turn webhooks off when the URL is empty", () => {
    expect(checkWebhookUrl("", "production")).toMatchObject({ ok: false, off: true });
    expect(checkWebhookUrl("  ", "development")).toMatchObject({ ok: false, off: true });
  });

  it.each([
    ["https://hooks.example.com/zebbra", "production"],
    ["https://hooks.example.com:8443/zebbra?x=1", undefined],
    ["https://hooks.example.com/zebbra", "development"],
    ["http://127.0.0.1:8787/hook", "development"],
    ["http://localhost/hook", "development"],
    ["http://localhost:3000", "development"],
  ])("should accept %s (environment %s)", (url, environment) => {
    expect(checkWebhookUrl(url, environment)).toEqual({ ok: true, url: new URL(url).href });
  });

  it.each([
    ["http://hooks.example.com/zebbra", "production", /https:/],
    ["http://hooks.example.com/zebbra", "development", /https:/],
    ["http://127.0.0.1:8787/hook", "production", /development/],
    ["http://localhost:3000", undefined, /development/],
    ["http://localhost.example.com/hook", "development", /https:/],
    ["http://127.0.0.2/hook", "development", /https:/],
    ["https://user:pass@hooks.example.com/zebbra", "production", /user name or password/],
    ["https://token@hooks.example.com/zebbra", "production", /user name or password/],
    ["http://user:pass@localhost:3000", "development", /user name or password/],
    ["ftp://hooks.example.com/zebbra", "production", /https:/],
    ["javascript:alert(1)", "development", /https:/],
    ["hooks.example.com/zebbra", "production", /not an absolute URL/],
    ["https://", "production", /not an absolute URL/],
  ])("should reject %s (environment %s)", (url, environment, reason) => {
    const check = checkWebhookUrl(url, environment);
    expect(check).toMatchObject({ ok: false, off: false });
    expect(check.ok ? "" : check.reason).toMatch(reason);
  });
});

describe("deliverWebhook", () => {
  const HUGE_BYTES = 5 * 1024 * 1024;
  const received: { headers: IncomingMessage["headers"]; body: string }[] = [];
  const hanging: ServerResponse[] = [];
  let targetHits = 0;
  const huge = { written: 0, closed: false, finished: false };
  let base = "";

  const streamHuge = async (res: ServerResponse) => {
    res.on("close", () => {
      huge.closed = true;
      huge.finished = res.writableFinished;
    });
    res.writeHead(500, { "content-type": "text/plain", "content-length": String(HUGE_BYTES) });
    const chunk = Buffer.alloc(64 * 1024, "x");
    // Paced, so a client that read everything would take visibly longer than one that stopped.
    while (huge.written < HUGE_BYTES && !huge.closed) {
      if (!res.write(chunk)) await Promise.race([once(res, "drain"), once(res, "close")]);
      huge.written += chunk.length;
      await sleep(2);
    }
    if (!huge.closed) res.end();
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      switch (req.url) {
        case "/ok":
          received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
          res.writeHead(204).end();
          return;
        case "/fail":
          res.writeHead(500, { "content-type": "text/plain", "x-secret-header": "do-not-leak" });
          res.end("receiver broke:\n\tdatabase\u0000down");
          return;
        case "/hang":
          hanging.push(res);
          return;
        case "/redirect":
          res.writeHead(302, { location: "/target" }).end();
          return;
        case "/target":
          targetHits++;
          res.writeHead(200).end();
          return;
        case "/huge":
          void streamHuge(res);
          return;
        default:
          res.writeHead(404).end();
      }
    });
  });

  beforeAll(async () => {
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, "close");
  });

  it("should POST the exact body with the three webhook headers, signed for the reference library", async () => {
    const secret = newSecret();
    const event = sampleEvent();
    const before = nowSeconds();
    const outcome = await deliverWebhook(`${base}/ok`, event, await webhookKeys(secret));
    expect(outcome).toEqual({ delivered: true, status: 204, error: null });
    expect(received).toHaveLength(1);
    const { headers, body } = received[0]!;
    expect(body).toBe(bodyOf(event));
    expect(JSON.parse(body)).toEqual({ type: event.type, timestamp: event.timestamp, data: event.data });
    expect(headers["content-type"]).toBe("application/json");
    expect(headers["user-agent"]).toBeTruthy();
    expect(headers["webhook-id"]).toBe(event.id);
    expect(Number(headers["webhook-timestamp"])).toBeGreaterThanOrEqual(before);
    expect(Number(headers["webhook-timestamp"])).toBeLessThanOrEqual(nowSeconds());
    const signed = {
      "webhook-id": String(headers["webhook-id"]),
      "webhook-timestamp": String(headers["webhook-timestamp"]),
      "webhook-signature": String(headers["webhook-signature"]),
    };
    expect(new Webhook(secret).verify(body, signed)).toEqual(JSON.parse(body));
  });

  it("should report a 500 with the start of its body, as one line and without headers", async () => {
    const outcome = await deliverWebhook(`${base}/fail`, sampleEvent(), await webhookKeys(newSecret()));
    expect(outcome).toEqual({ delivered: false, status: 500, error: "HTTP 500: receiver broke: database down" });
  });

  it("should give up with 'timeout' when the receiver never answers", async () => {
    const started = Date.now();
    const outcome = await deliverWebhook(`${base}/hang`, sampleEvent(), await webhookKeys(newSecret()), {
      timeoutMs: 300,
    });
    expect(outcome).toEqual({ delivered: false, status: null, error: "timeout" });
    expect(hanging).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("should report 'network' when nothing listens", async () => {
    const closed = createServer();
    closed.listen(0, "127.0.0.1");
    await once(closed, "listening");
    const { port } = closed.address() as AddressInfo;
    closed.close();
    await once(closed, "close");
    const outcome = await deliverWebhook(`http://127.0.0.1:${port}/`, sampleEvent(), await webhookKeys(newSecret()));
    expect(outcome).toEqual({ delivered: false, status: null, error: "network" });
  });

  it("should not follow a redirect: a 302 is a failure and its target sees nothing", async () => {
    const outcome = await deliverWebhook(`${base}/redirect`, sampleEvent(), await webhookKeys(newSecret()));
    expect(outcome).toMatchObject({ delivered: false, status: 302 });
    expect(targetHits).toBe(0);
  });

  it("should read no more than 1 KiB of a 5 MB failure body and hang up on the rest", async () => {
    const started = Date.now();
    const outcome = await deliverWebhook(`${base}/huge`, sampleEvent(), await webhookKeys(newSecret()));
    expect(outcome.delivered).toBe(false);
    expect(outcome.status).toBe(500);
    expect(outcome.error).toBe(`HTTP 500: ${"x".repeat(200)}`);
    // The client cancelled the body: the receiver saw the connection close before it had sent it all.
    await expect.poll(() => huge.closed, { timeout: 2000 }).toBe(true);
    expect(huge.finished).toBe(false);
    expect(huge.written).toBeLessThan(HUGE_BYTES / 4);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe("webhookRetryDelaySeconds", () => {
  it("should back off from a minute to at most 6 h, the retries spanning about a day", () => {
    const delays = Array.from({ length: WEBHOOK_MAX_ATTEMPTS - 1 }, (_, i) => webhookRetryDelaySeconds(i + 1));
    expect(delays[0]).toBe(60);
    delays.slice(1).forEach((d, i) => expect(d).toBeGreaterThanOrEqual(delays[i]!));
    expect(Math.max(...delays)).toBe(6 * 3600); // and so under Cloudflare Queues' 12 h limit on a delay
    const total = delays.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(20 * 3600);
    expect(total).toBeLessThan(30 * 3600);
  });
});

describe("webhookSettings", () => {
  const settings = (vars: Record<string, string>) => webhookSettings(vars);

  it("should send every event type and keep delivered events 7 days by default", () => {
    const s = settings({});
    expect([...s.events]).toEqual([...WEBHOOK_EVENT_TYPES]);
    expect(s.deliveredRetentionMs).toBe(7 * 24 * 3600_000);
  });

  it("should read WEBHOOK_EVENTS as a comma-separated list, blanks ignored", () => {
    expect([...settings({ WEBHOOK_EVENTS: " connection.deleted ,, data.fetch_failed, " }).events]).toEqual([
      "connection.deleted",
      "data.fetch_failed",
    ]);
  });

  it("should send every type when the list names an unknown one or nothing", () => {
    for (const list of ["connection.deleted,data.fetchd", " , ", "*"]) {
      expect(settings({ WEBHOOK_EVENTS: list }).events.size).toBe(WEBHOOK_EVENT_TYPES.length);
    }
  });

  it("should take WEBHOOK_DELIVERED_RETENTION_MS, 0 included, and refuse a value that is not a number", () => {
    expect(settings({ WEBHOOK_DELIVERED_RETENTION_MS: "0" }).deliveredRetentionMs).toBe(0);
    expect(() => settings({ WEBHOOK_DELIVERED_RETENTION_MS: "soon" })).toThrow(
      /WEBHOOK_DELIVERED_RETENTION_MS is not a whole number/,
    );
  });
});
