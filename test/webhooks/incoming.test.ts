// Provider webhooks in: each provider's signature (good, bad, missing) over the raw body, Xero's
// intent to receive, both QuickBooks formats, Gusto's subscription handshake against the fake's
// verify endpoint; routing through the tenant index to every workspace holding the tenant, unknown
// tenants, duplicates; the debounce closed explicitly (never by waiting), one re-fetch per window,
// and `data.changed` / `data.fetched` verified with the standardwebhooks library.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { encodeBase64, encodeHexLowerCase } from "@oslojs/encoding";
import { describe, expect, it } from "vitest";
import { confirmHandshake } from "../../src/framework/handshake-keys";
import { routeProviderEvents } from "../../src/jobs/provider-events";
import { providers } from "../../src/providers/registry";
import { gustoWebhooks } from "../../src/providers/gusto/webhooks";
import { quickbooksWebhooks } from "../../src/providers/quickbooks/webhooks";
import { xeroWebhooks } from "../../src/providers/xero/webhooks";
import { workspaceClient } from "../../src/workspace/client";
import { ProviderEventInbox, SEEN_FOR_MS } from "../../src/workspace/provider-events";
import { TEST_BINDINGS } from "../bindings";
import { fakeUrl, setGustoEmployees, tenantRequests } from "../fake-client";
import employees from "../fixtures/gusto/employees.json";
import { call, connectThroughPopup, getData, rawAccessRow } from "../helpers";
import { received, until, verified } from "./helpers";

async function hmac(secret: string, body: string, encoding: "base64" | "hex"): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(body)));
  return encoding === "base64" ? encodeBase64(mac) : encodeHexLowerCase(mac);
}

const post = (provider: string, body: string, headers: Record<string, string> = {}) =>
  call(`/integration/${provider}/webhooks`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body,
  });

const tenantOf = async (ws: string, integration: string) =>
  String((await rawAccessRow(ws, integration))?.["tenant_id"]);

const pending = (ws: string) => workspaceClient(env, ws).pendingProviderEvents();

/** The `n`th (1-based) delivery of `type` for `ws`, once it arrives, verified. */
const nthOfType = (ws: string, type: string, n = 1) =>
  until(
    async () => (await received(ws)).map(verified).filter((e) => e.type === type)[n - 1],
    `${type} #${n} for ${ws}`,
  );

/** Closes every window of `ws` now, as its alarm would when they end. */
const closeWindows = (ws: string) =>
  runInDurableObject(
    env.WORKSPACE.getByName(ws),
    (instance: { closeProviderEventWindows(at: number): Promise<unknown> }) =>
      instance.closeProviderEventWindows(Number.MAX_SAFE_INTEGER),
  );

const xeroBody = (events: { tenantId: string; eventType?: string; resourceId?: string; category?: string }[]) =>
  JSON.stringify({
    events: events.map((e, i) => ({
      resourceUrl: `https://api.xero.com/api.xro/2.0/Invoices/${e.resourceId ?? `r-${i}`}`,
      resourceId: e.resourceId ?? `r-${i}`,
      eventDateUtc: "2026-12-07T10:00:00.000",
      eventType: e.eventType ?? "UPDATE",
      eventCategory: e.category ?? "INVOICE",
      tenantId: e.tenantId,
      tenantType: "ORGANISATION",
    })),
    firstEventSequence: 1,
    lastEventSequence: events.length || 1,
    entropy: "S0m3r4Nd0mt3xt",
  });

interface FakeSubscription {
  uuid: string;
  status: string;
  verification_token: string;
  verifyCalls: { token: unknown; authorization: string }[];
}

/** Creates a Gusto webhook subscription at the fake, as the operator's command does; returns its uuid. */
async function createSubscription(): Promise<string> {
  const created = await fetch(fakeUrl("/gusto/api/v1/webhook_subscriptions"), {
    method: "POST",
    headers: { Authorization: `Token ${TEST_BINDINGS.GUSTO_ORG_API_TOKEN}`, "Content-Type": "application/json" },
    body: JSON.stringify({
      url: "https://integrations.example.test/integration/gusto/webhooks",
      subscription_types: ["Employee"],
    }),
  });
  return (await created.json<{ uuid: string }>()).uuid;
}

/** The fake's record of subscription `uuid`: its token, status and the verify calls it received. */
async function subscriptionOf(uuid: string): Promise<FakeSubscription> {
  const list = await (await fetch(fakeUrl("/_control/gusto/webhook_subscriptions"))).json<FakeSubscription[]>();
  return list.find((s) => s.uuid === uuid)!;
}

describe("incoming provider webhooks", () => {
  it("should answer Xero 401 with an empty body for a wrong or missing signature and 200 for a right one", async () => {
    const ws = "ws-in-xero";
    await connectThroughPopup(ws, "Xero");
    const tenant = await tenantOf(ws, "Xero");
    // The guide says "Update", the spec "UPDATE": both are the same kind.
    const body = xeroBody([
      { tenantId: tenant, eventType: "Update" },
      { tenantId: tenant, eventType: "CREATE" },
    ]);
    const key = TEST_BINDINGS.XERO_WEBHOOK_KEY;

    for (const signature of [undefined, "", await hmac("another key", body, "base64"), "not base64!"]) {
      const res = await post("xero", body, signature === undefined ? {} : { "x-xero-signature": signature });
      expect(res.status).toBe(401);
      expect(await res.text()).toBe("");
    }
    // The signature is over the raw bytes: the same JSON re-serialized is not what was signed.
    const reformatted = JSON.stringify(JSON.parse(body) as unknown, null, 2);
    expect((await post("xero", reformatted, { "x-xero-signature": await hmac(key, body, "base64") })).status).toBe(401);

    // From a browser on the host app's own origin, still no CORS: only providers call this route.
    const ok = await post("xero", body, {
      "x-xero-signature": await hmac(key, body, "base64"),
      Origin: TEST_BINDINGS.APP_ORIGIN,
    });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe("");
    expect(ok.headers.get("set-cookie")).toBeNull();
    expect(ok.headers.get("access-control-allow-origin")).toBeNull();

    // Through the queue to the workspace's object: one window, both kinds.
    const [window] = await until(async () => {
      const list = await pending(ws);
      return list.length > 0 && list[0]!.events === 2 && list;
    }, "the Xero events noted");
    expect(window).toMatchObject({
      integration: "Xero",
      tenantId: tenant,
      kinds: ["invoice.updated", "invoice.created"],
    });
  });

  it("should pass Xero's intent to receive: signed and unsigned POSTs with no events", async () => {
    const body = xeroBody([]);
    const signed = await post("xero", body, {
      "x-xero-signature": await hmac(TEST_BINDINGS.XERO_WEBHOOK_KEY, body, "base64"),
    });
    expect([signed.status, await signed.text()]).toEqual([200, ""]);
    const unsigned = await post("xero", body, { "x-xero-signature": await hmac("wrong", body, "base64") });
    expect([unsigned.status, await unsigned.text()]).toEqual([401, ""]);
  });

  it("should take QuickBooks' CloudEvents and legacy bodies signed with the verifier token", async () => {
    const ws = "ws-in-qbo";
    await connectThroughPopup(ws, "QuickBooks");
    const realm = await tenantOf(ws, "QuickBooks");
    const token = TEST_BINDINGS.QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN;
    const cloud = JSON.stringify([
      {
        specversion: "1.0",
        id: "88cd52aa-33b6-4351-9aa4-47572edbd068",
        source: "intuit.dsnBgbseACLLRZNxo2dfc4evmEJdxde58xeeYcZliOU=",
        type: "qbo.invoice.updated.v1",
        datacontenttype: "application/json",
        time: "2026-12-07T10:00:00.000Z",
        intuitentityid: "95",
        intuitaccountid: realm,
        data: {},
      },
    ]);
    const legacy = JSON.stringify({
      eventNotifications: [
        {
          realmId: realm,
          dataChangeEvent: {
            entities: [{ name: "Customer", id: "1", operation: "Create", lastUpdated: "2026-12-07T10:00:00.000Z" }],
          },
        },
      ],
    });
    for (const body of [cloud, legacy]) {
      expect((await post("quickbooks", body)).status).toBe(401);
      expect((await post("quickbooks", body, { "intuit-signature": await hmac("wrong", body, "base64") })).status).toBe(
        401,
      );
      const ok = await post("quickbooks", body, { "intuit-signature": await hmac(token, body, "base64") });
      expect([ok.status, await ok.text()]).toEqual([200, ""]);
    }
    const [window] = await until(async () => {
      const list = await pending(ws);
      return list[0]?.events === 2 && list;
    }, "both QuickBooks events noted");
    expect(new Set(window!.kinds)).toEqual(new Set(["invoice.updated", "customer.created"]));
  });

  it("should verify Gusto's subscription through its verify call, then check X-Gusto-Signature with its token", async () => {
    const ws = "ws-in-gusto";
    await connectThroughPopup(ws, "Gusto");
    const company = await tenantOf(ws, "Gusto");
    const event = JSON.stringify({
      uuid: "f7397a24-57ad-4fae-b011-d258e8232900",
      event_type: "employee.updated",
      resource_type: "Company",
      resource_uuid: company,
      entity_type: "Employee",
      entity_uuid: "5df911a0-e8e9-412d-8aaf-a46ad193dd96",
      timestamp: 1765101600,
    });
    // No subscription verified yet: nothing can be checked, so nothing passes.
    expect((await post("gusto", event, { "x-gusto-signature": await hmac("any", event, "hex") })).status).toBe(401);

    // The operator's command creates the subscription; Gusto then POSTs its token here.
    const uuid = await createSubscription();
    const subscription = () => subscriptionOf(uuid);
    const { verification_token: token } = await subscription();

    // A forged handshake: Gusto refuses its token, so it never becomes the key.
    const forged = await post(
      "gusto",
      JSON.stringify({ verification_token: "forged", webhook_subscription_uuid: uuid }),
    );
    expect(forged.status).toBe(200);
    await until(async () => (await subscription()).verifyCalls.length === 1, "the forged verify call");
    expect((await subscription()).status).toBe("pending");

    const handshake = await post(
      "gusto",
      JSON.stringify({ verification_token: token, webhook_subscription_uuid: uuid }),
    );
    expect(handshake.status).toBe(200);
    await until(async () => (await subscription()).status === "verified", "the subscription verified");
    expect((await subscription()).verifyCalls).toEqual([
      { token: "forged", authorization: "Token" },
      { token, authorization: "Token" },
    ]);
    // The key is stored once Gusto confirmed it; the verify call came first, the KV write next.
    await until(async () => (await env.OAUTH_KV.get("provider-webhook-key:gusto")) !== null, "the key stored");
    expect(await env.OAUTH_KV.get("provider-webhook-key:gusto")).not.toContain(token);

    expect((await post("gusto", event)).status).toBe(401);
    expect((await post("gusto", event, { "x-gusto-signature": await hmac("forged", event, "hex") })).status).toBe(401);
    // Hex, not base64: the same MAC in the other encoding is not Gusto's signature.
    expect((await post("gusto", event, { "x-gusto-signature": await hmac(token, event, "base64") })).status).toBe(401);
    const ok = await post("gusto", event, { "x-gusto-signature": await hmac(token, event, "hex") });
    expect([ok.status, await ok.text()]).toEqual([200, ""]);
    const [window] = await until(async () => {
      const list = await pending(ws);
      return list.length > 0 && list;
    }, "the Gusto event noted");
    expect(window).toMatchObject({ integration: "Gusto", tenantId: company, kinds: ["employee.updated"], events: 1 });
  });

  it("should confirm a Gusto handshake with a system access token when no organization API token is set", async () => {
    const uuid = await createSubscription();
    const { verification_token: token } = await subscriptionOf(uuid);
    const gusto = providers.Gusto;
    const { handshake } = gusto.webhooks.key;
    // API versions from 2024-04-01: the app's credentials mint a system access token (Bearer).
    const withoutOrgToken = { ...env, GUSTO_ORG_API_TOKEN: "" } as Env;
    expect(await confirmHandshake(withoutOrgToken, gusto, handshake, { token, subscriptionId: uuid })).toBe(
      "confirmed",
    );
    expect(await subscriptionOf(uuid)).toMatchObject({
      status: "verified",
      verifyCalls: [{ authorization: "Bearer" }],
    });
    // And with neither, nothing is called.
    const bare = { ...withoutOrgToken, GUSTO_CLIENT_ID: "", GUSTO_CLIENT_SECRET: "" };
    expect(await confirmHandshake(bare, gusto, handshake, { token, subscriptionId: uuid })).toBe("not_configured");
  });

  it("should route a tenant to every workspace holding it, count unknown tenants and drop duplicates", async () => {
    const [a, b] = ["ws-in-route-a", "ws-in-route-b"];
    await connectThroughPopup(a, "Xero");
    const tenant = await tenantOf(a, "Xero");
    await connectThroughPopup(b, "Xero", { tenant });
    expect(await tenantOf(b, "Xero")).toBe(tenant);

    const events = xeroWebhooks.parse(
      JSON.parse(
        xeroBody([{ tenantId: tenant, resourceId: "inv-1" }, { tenantId: "00000000-0000-0000-0000-0000000000aa" }]),
      ),
    );
    const first = await routeProviderEvents(env, { integration: "Xero", providerEvents: events });
    expect(first).toEqual({ unknown: 1, connections: 2, fresh: 2, duplicates: 0 });
    // Xero redelivers the same event: each workspace drops it.
    const again = await routeProviderEvents(env, { integration: "Xero", providerEvents: events });
    expect(again).toEqual({ unknown: 1, connections: 2, fresh: 0, duplicates: 2 });
    for (const ws of [a, b]) expect((await pending(ws)).map((p) => p.events)).toEqual([1]);

    // A CloudEvent id seen before is a duplicate too, whatever else it says.
    const realmWs = "ws-in-route-qbo";
    await connectThroughPopup(realmWs, "QuickBooks");
    const realm = await tenantOf(realmWs, "QuickBooks");
    const cloud = (type: string) =>
      quickbooksWebhooks.parse([{ specversion: "1.0", id: "ce-1", type, intuitaccountid: realm, data: {} }]);
    expect(
      (await routeProviderEvents(env, { integration: "QuickBooks", providerEvents: cloud("qbo.bill.created.v1") }))
        .fresh,
    ).toBe(1);
    expect(
      (await routeProviderEvents(env, { integration: "QuickBooks", providerEvents: cloud("qbo.bill.created.v1") }))
        .duplicates,
    ).toBe(1);
  });

  it("should forget an event id after 24 hours, so only a redelivery within a day is dropped", async () => {
    await runInDurableObject(env.WORKSPACE.getByName("ws-in-forget"), (_instance, state) => {
      const inbox = new ProviderEventInbox(state.storage);
      const conn = { integration: "Xero", tenantId: "org-1" };
      const events = [{ id: "e-1", kind: "invoice.updated" }];
      const t0 = 1_800_000_000_000;
      expect(inbox.note(conn, events, 1000, t0).fresh).toBe(1);
      expect(inbox.prune(t0 + SEEN_FOR_MS - 1)).toBe(t0 + SEEN_FOR_MS + 1);
      expect(inbox.note(conn, events, 1000, t0 + SEEN_FOR_MS - 1).duplicates).toBe(1);
      expect(inbox.prune(t0 + SEEN_FOR_MS)).toBeNull();
      expect(inbox.note(conn, events, 1000, t0 + SEEN_FOR_MS).fresh).toBe(1);
    });
  });

  it("should gather a connection's events into one re-fetch, then send data.changed or data.fetched", async () => {
    const ws = "ws-in-debounce";
    await connectThroughPopup(ws, "Gusto");
    const company = await tenantOf(ws, "Gusto");
    await setGustoEmployees(company, employees);
    expect((await getData(ws, "Gusto", "2024-01-01")).status).toBe(200);
    const employeeCalls = async () =>
      (await tenantRequests(company)).filter((r) => r.path.endsWith("/employees")).length;
    const before = await employeeCalls();

    const gusto = (uuid: string, type: string) =>
      gustoWebhooks.parse({ uuid, event_type: type, resource_type: "Company", resource_uuid: company });
    await routeProviderEvents(env, { integration: "Gusto", providerEvents: gusto("e-1", "employee.updated") });
    await routeProviderEvents(env, { integration: "Gusto", providerEvents: gusto("e-2", "employee.created") });
    await routeProviderEvents(env, { integration: "Gusto", providerEvents: gusto("e-3", "employee.updated") });
    // Nothing fetched while the window is open.
    expect(await employeeCalls()).toBe(before);
    expect(await pending(ws)).toMatchObject([{ kinds: ["employee.updated", "employee.created"], events: 3 }]);

    // The books changed upstream; the window closes: one fetch for three events.
    await setGustoEmployees(company, employees.slice(0, 1));
    await closeWindows(ws);
    expect(await employeeCalls()).toBe(before + 1);
    expect(await pending(ws)).toEqual([]);
    const changed = await nthOfType(ws, "data.changed");
    expect(changed).toMatchObject({
      type: "data.changed",
      data: {
        workspace_id: ws,
        integration: "Gusto",
        tenant_id: company,
        cache_dates: "2024-01-31",
        kinds: "employee.updated,employee.created",
      },
    });
    const data = await (await getData(ws, "Gusto", "2024-01-01")).json<{ employees: unknown[] }>();
    expect(data.employees.length).toBeLessThan(employees.length);

    // Another event, the same books: data.fetched, as a cron tick would send.
    await routeProviderEvents(env, { integration: "Gusto", providerEvents: gusto("e-4", "employee.updated") });
    await closeWindows(ws);
    expect(await employeeCalls()).toBe(before + 2);
    // The first data.fetched was the read that cached the key; this one is the re-fetch's.
    const fetched = await nthOfType(ws, "data.fetched", 2);
    expect(fetched).toMatchObject({
      type: "data.fetched",
      data: { tenant_id: company, cache_date: "2024-01-31", trigger: "provider_event" },
    });
  });

  it("should ignore events for a connection that was disconnected", async () => {
    const ws = "ws-in-gone";
    await connectThroughPopup(ws, "Gusto");
    const company = await tenantOf(ws, "Gusto");
    expect((await getData(ws, "Gusto", "2024-01-01")).status).toBe(200);
    const event = gustoWebhooks.parse({
      uuid: "g-1",
      event_type: "employee.updated",
      resource_type: "Company",
      resource_uuid: company,
    });
    await routeProviderEvents(env, { integration: "Gusto", providerEvents: event });
    // Disconnected while its window is open: the window closes without a fetch.
    const calls = (await tenantRequests(company)).length;
    expect((await workspaceClient(env, ws).disconnect({ integration: "Gusto" }, "user-1")).ok).toBe(true);
    await closeWindows(ws);
    expect((await tenantRequests(company)).length).toBe(calls);
    // And later events find no connection at all.
    const later = gustoWebhooks.parse({
      uuid: "g-2",
      event_type: "employee.updated",
      resource_type: "Company",
      resource_uuid: company,
    });
    expect(await routeProviderEvents(env, { integration: "Gusto", providerEvents: later })).toMatchObject({
      unknown: 1,
      connections: 0,
    });
    expect(await pending(ws)).toEqual([]);
  });
});
