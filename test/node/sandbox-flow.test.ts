// The sandbox end to end on plain `wrangler dev` with .dev.vars.example's settings: the Sandbox and
// SandboxPayroll providers go through the same path Xero takes (registry, OAuth over HTTP, the
// workspace's Durable Object, the cron, the queue, the adapters, the confirm step and its choice of
// companies), and the data served is the sandbox's demo companies'.
import { connect as connectSocket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, bearer, confirm, connectSandbox, consentTo, type Dev, runCron, sandboxConsent } from "./dev-flow.ts";
import { type DevServer, developmentVars, exampleVars, freePort, startDev } from "./dev-server.ts";
import { waitForFetch } from "./wait-for-fetch.ts";

let server: DevServer;
let dev: Dev;

beforeAll(async () => {
  const port = await freePort();
  server = await startDev({ port, args: ["--env-file", developmentVars(port)] });
  dev = { url: server.url, jwtSecret: exampleVars().AUTH_JWT_SECRET! };
}, 90_000);
afterAll(async () => {
  await server?.stop();
});

const TRADING = "sandbox-trading-ltd";
const HOLDINGS = "sandbox-holdings-ltd";

const lastMonthEnd = () => {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 0)).toISOString().slice(0, 10);
};

describe("the sandbox on wrangler dev", () => {
  it("should list both sandbox providers as configured", async () => {
    const jwt = await bearer(dev, { "ws-sbx-list": "member" });
    const { status, body } = await api<{ name: string; configured: boolean }[]>(
      dev,
      "/integration/providers?workspace_id=ws-sbx-list",
      { bearer: jwt },
    );
    expect(status).toBe(200);
    expect(body.filter((p) => p.name.startsWith("Sandbox"))).toEqual([
      expect.objectContaining({ name: "Sandbox", configured: true }),
      expect.objectContaining({ name: "SandboxPayroll", configured: true }),
    ]);
  });

  it("should connect Sandbox, fetch it on the cron and serve 24 months of its reports", async () => {
    const ws = "ws-sbx-accounting";
    await connectSandbox(dev, ws, "Sandbox");
    const jwt = await bearer(dev, { [ws]: "member" });
    const providers = await api<{ name: string; connected: boolean; connected_by: string }[]>(
      dev,
      `/integration/providers?workspace_id=${ws}`,
      { bearer: jwt },
    );
    expect(providers.body.find((p) => p.name === "Sandbox")).toMatchObject({ connected: true, connected_by: "user-1" });

    await runCron(dev);
    const run = await waitForFetch(dev, ws, "Sandbox");
    expect(run).toMatchObject({ outcome: "success", trigger: "cron" });

    const status = await api<{ integration: string; token: { expires_at: string } }[]>(
      dev,
      `/integration/status?workspace_id=${ws}`,
      { bearer: jwt },
    );
    const expiresIn = Date.parse(status.body.find((s) => s.integration === "Sandbox")!.token.expires_at) - Date.now();
    // The sandbox's access tokens live two minutes.
    expect(expiresIn).toBeGreaterThan(0);
    expect(expiresIn).toBeLessThanOrEqual(120_000);

    const month = lastMonthEnd();
    const from = `${Number(month.slice(0, 4)) - 1}${month.slice(4, 8)}01`;
    const points = await api<{ name: string }[]>(
      dev,
      `/integration/dataEndpoints?workspace_id=${ws}&from_date=${from}`,
      {
        bearer: jwt,
      },
    );
    expect(points.status).toBe(200);
    expect(points.body.map((p) => p.name)).toEqual(expect.arrayContaining(["Sales", "Net Profit", "Total Assets"]));

    const data = await api<{ dates: string[]; data: Record<string, Record<string, number | null>> }>(
      dev,
      `/integration/data?workspace_id=${ws}&integration=Sandbox&from_date=${from}`,
      { bearer: jwt },
    );
    expect(data.status).toBe(200);
    expect(data.body.dates).toContain(month);
    expect(typeof data.body.data["Sales"]?.[month]).toBe("number");
  });

  it("should connect both companies of one consent, each a connection with its own books", async () => {
    const ws = "ws-sbx-two";
    const jwt = await bearer(dev, { [ws]: "admin" });
    const consented = await consentTo(dev, ws, "Sandbox", sandboxConsent(dev, [TRADING, HOLDINGS]));
    // The callback's message lists both companies to choose from.
    expect(consented.tenants?.map((t) => [t.id, t.name])).toEqual([
      [TRADING, "Sandbox Trading Ltd"],
      [HOLDINGS, "Sandbox Holdings Ltd"],
    ]);
    const unchosen = await confirm(dev, ws, "Sandbox", consented.confirmToken);
    expect(unchosen.status).toBe(409);
    expect(unchosen.body).toMatchObject({ error: { code: "tenant_choice_required" } });
    expect((unchosen.body["tenants"] as { id: string }[]).map((t) => t.id)).toEqual([TRADING, HOLDINGS]);
    // The token stays usable for the choice.
    const chosen = await confirm(dev, ws, "Sandbox", consented.confirmToken, [TRADING, HOLDINGS]);
    expect(chosen.status).toBe(200);
    expect((chosen.body["connections"] as { tenant_id: string }[]).map((k) => k.tenant_id)).toEqual([
      TRADING,
      HOLDINGS,
    ]);

    const providers = await api<{ name: string; connections: { tenant_id: string; tenant_name: string }[] }[]>(
      dev,
      `/integration/providers?workspace_id=${ws}`,
      { bearer: jwt },
    );
    expect(providers.body.find((p) => p.name === "Sandbox")?.connections).toEqual([
      expect.objectContaining({ tenant_id: TRADING, tenant_name: "Sandbox Trading Ltd" }),
      expect.objectContaining({ tenant_id: HOLDINGS, tenant_name: "Sandbox Holdings Ltd" }),
    ]);

    const month = lastMonthEnd();
    const from = `${Number(month.slice(0, 4)) - 1}${month.slice(4, 8)}01`;
    const unnamed = await api<{ error: { code: string } }>(
      dev,
      `/integration/data?workspace_id=${ws}&integration=Sandbox&from_date=${from}`,
      { bearer: jwt },
    );
    expect(unnamed.status).toBe(409);
    expect(unnamed.body.error.code).toBe("tenant_required");
    const books = await Promise.all(
      [TRADING, HOLDINGS].map((tenant) =>
        api<{ data: Record<string, Record<string, number | null>> }>(
          dev,
          `/integration/data?workspace_id=${ws}&integration=Sandbox&tenant_id=${tenant}&from_date=${from}`,
          { bearer: jwt },
        ),
      ),
    );
    expect(books.map((b) => b.status)).toEqual([200, 200]);
    const [trading, holdings] = books.map((b) => b.body.data["Total Income"]?.[month]);
    expect(typeof trading).toBe("number");
    expect(typeof holdings).toBe("number");
    expect(holdings).not.toBe(trading);

    // The proxy reaches each connection's own company, and refuses a caller's other one.
    for (const [tenant, other] of [
      [TRADING, HOLDINGS],
      [HOLDINGS, TRADING],
    ] as const) {
      const url = `${dev.url}/integration/proxy/Sandbox/v1/company?workspace_id=${ws}&tenant_id=${tenant}`;
      const res = await fetch(url, { headers: { Authorization: `Bearer ${jwt}` } });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ id: tenant });
      const crossed = await fetch(url, { headers: { Authorization: `Bearer ${jwt}`, "Sandbox-Company-Id": other } });
      expect(crossed.status).toBe(400);
      await crossed.body?.cancel();
    }
  });

  it("should connect SandboxPayroll and serve its employees with monthly salaries", async () => {
    const ws = "ws-sbx-payroll";
    await connectSandbox(dev, ws, "SandboxPayroll");
    const jwt = await bearer(dev, { [ws]: "member" });
    const data = await api<{ employees: { name: string; monthly_salary: number; from_integration: boolean }[] }>(
      dev,
      `/integration/data?workspace_id=${ws}&integration=SandboxPayroll&from_date=2024-01-01`,
      { bearer: jwt },
    );
    expect(data.status).toBe(200);
    expect(data.body.employees.length).toBeGreaterThan(10);
    // Patricia Churchland earns 78,000 a year in the recorded Gusto demo company.
    expect(data.body.employees.find((e) => e.name === "Patricia Churchland")).toMatchObject({
      monthly_salary: 6500,
      from_integration: true,
    });
  });

  it("should disconnect: the connection and its data are gone", async () => {
    const ws = "ws-sbx-disconnect";
    await connectSandbox(dev, ws, "Sandbox");
    const admin = await bearer(dev, { [ws]: "admin" });
    const res = await api(dev, `/integration/disconnect?workspace_id=${ws}&integration=Sandbox`, {
      method: "POST",
      bearer: admin,
    });
    expect(res.status).toBe(200);
    const data = await api<{ error: { code: string } }>(
      dev,
      `/integration/data?workspace_id=${ws}&integration=Sandbox&from_date=2024-01-01`,
      { bearer: admin },
    );
    expect(data.status).toBe(404);
    expect(data.body.error.code).toBe("not_connected");
  });

  it("should proxy a call to the sandbox's API with the connection's token", async () => {
    const ws = "ws-sbx-proxy";
    await connectSandbox(dev, ws, "Sandbox");
    const jwt = await bearer(dev, { [ws]: "member" });
    const res = await fetch(`${dev.url}/integration/proxy/Sandbox/v1/company?workspace_id=${ws}`, {
      headers: { Authorization: `Bearer ${jwt}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("X-Proxied-By")).toBe("zebbra-integrations");
    expect(await res.json()).toMatchObject({ id: expect.any(String) as string });
  });

  /** Sends a raw HTTP request line (fetch() and the URL parser would resolve `..` and `\\` first). */
  async function rawGet(path: string, jwt: string): Promise<{ status: number; head: string; body: string }> {
    const { host, port } = new URL(dev.url);
    const text = await new Promise<string>((resolve, reject) => {
      const socket = connectSocket(Number(port), "127.0.0.1", () => {
        socket.write(
          `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${jwt}\r\nConnection: close\r\n\r\n`,
        );
      });
      let answer = "";
      socket.on("data", (chunk: Buffer) => (answer += chunk.toString("latin1")));
      socket.on("end", () => resolve(answer));
      socket.on("error", reject);
    });
    const [head = "", body = ""] = text.split("\r\n\r\n", 2);
    return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), head, body };
  }

  // The runtime resolves `..`, `%2e%2e` and backslashes in the request line before the worker sees
  // the URL (as Cloudflare's URL normalization does in front of it): such a path reaches the proxy
  // already resolved, and one that climbed out of the provider's segment never reaches it at all.
  it.each([
    ["..", "v1/../../oauth/authorize"],
    ["a backslash", "v1\\..\\..\\oauth\\authorize"],
    ["encoded dots", "v1/%2e%2e/%2e%2e/oauth/authorize"],
  ])("should never forward a raw request line with %s outside the API base", async (_what, path) => {
    const ws = "ws-sbx-proxy-raw";
    await connectSandbox(dev, ws, "Sandbox");
    const answer = await rawGet(
      `/integration/proxy/Sandbox/${path}?workspace_id=${ws}`,
      await bearer(dev, { [ws]: "member" }),
    );
    expect(answer.status).toBe(400);
    expect(answer.head).not.toMatch(/X-Proxied-By/i);
  });

  it("should refuse a raw request line with an encoded slash, and forward an in-base .. resolved", async () => {
    const ws = "ws-sbx-proxy-raw2";
    await connectSandbox(dev, ws, "Sandbox");
    const jwt = await bearer(dev, { [ws]: "member" });
    const slash = await rawGet(`/integration/proxy/Sandbox/v1/..%2f..%2foauth/authorize?workspace_id=${ws}`, jwt);
    expect(slash.status).toBe(400);
    expect(slash.body).toContain('"code":"invalid_request"');
    const inside = await rawGet(`/integration/proxy/Sandbox/v1/x/../company?workspace_id=${ws}`, jwt);
    expect(inside.status).toBe(200);
    expect(inside.head).toMatch(/X-Proxied-By: zebbra-integrations/i);
  });
});
