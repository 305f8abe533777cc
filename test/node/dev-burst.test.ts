// A thousand concurrent reads of one uncached key, over HTTP to plain `wrangler dev` (the vitest
// pool's in-process fetch drops the object's outbound calls past ~700, so test/bounds.test.ts stops
// at 500): every read is answered 200, and Xero (the test fake, on this machine) is read once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeServer, type FakeServer } from "../fake/server.ts";
import { api, bearer, connectDirect, type Dev } from "./dev-flow.ts";
import { type DevServer, developmentVars, exampleVars, freePort, startDev } from "./dev-server.ts";

const BURST = 1000;

let fake: FakeServer;
let server: DevServer;
let dev: Dev;

beforeAll(async () => {
  fake = await startFakeServer();
  const port = await freePort();
  const xero = `http://127.0.0.1:${fake.port}/xero`;
  const vars = developmentVars(port, {
    XERO_CLIENT_ID: "xero-client",
    XERO_CLIENT_SECRET: "xero-secret",
    XERO_AUTHORIZE_URL: `${xero}/authorize`,
    XERO_TOKEN_URL: `${xero}/token`,
    XERO_REVOKE_URL: `${xero}/revoke`,
    XERO_API_BASE_URL: `${xero}/api`,
  });
  server = await startDev({ port, args: ["--env-file", vars] });
  dev = { url: server.url, jwtSecret: exampleVars().AUTH_JWT_SECRET! };
}, 90_000);
afterAll(async () => {
  await server?.stop();
  await fake?.close();
});

const control = async <T>(path: string): Promise<T> =>
  (await fetch(`http://127.0.0.1:${fake.port}/_control${path}`)).json() as Promise<T>;

describe("a burst over HTTP", () => {
  it(`should answer ${BURST} concurrent reads of one new key with one upstream fetch`, async () => {
    const ws = "ws-burst";
    const callback = await connectDirect(dev, ws, "Xero");
    const { grantId } = await control<{ grantId: string }>(`/authorizations/${callback.searchParams.get("code")}`);
    const { tenants } = await control<{ tenants: { id: string; type: string }[] }>(`/grants/${grantId}`);
    const tenant = tenants.find((t) => t.type === "ORGANISATION")!.id;

    const jwt = await bearer(dev, { [ws]: "member" });
    const statuses = await Promise.all(
      Array.from({ length: BURST }, () =>
        api(dev, `/integration/data?workspace_id=${ws}&integration=Xero&from_date=2024-03-15`, { bearer: jwt }).then(
          (r) => r.status,
        ),
      ),
    );
    expect(statuses.filter((s) => s !== 200)).toEqual([]);

    const reports = (
      await control<{ path: string; query: Record<string, string> }[]>(`/tenants/${tenant}/requests`)
    ).filter((r) => r.path.includes("/Reports/"));
    // One fetch: each report request of the 24-month window exactly once.
    const distinct = new Set(reports.map((r) => `${r.path}?${new URLSearchParams(r.query).toString()}`));
    expect(reports.length).toBeGreaterThan(0);
    expect(reports.length).toBe(distinct.size);
  });
});
