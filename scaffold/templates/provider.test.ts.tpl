// {{Name}} ({{type}}, scaffolded): connects through the real login, callback and confirm step against
// the fake OAuth server's generic provider (test/fake/, /generic/{{slug}}/...), then reads its data through the data
// API, which runs the adapter with the stored token against the fake's placeholder endpoint. Once
// {{Name}}'s real endpoints replace the placeholders, give the fake their shapes too
// (docs/adding-a-provider.md).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { keyRingFromEnv } from "../src/framework/crypto";
import { ProviderDataError } from "../src/framework/data";
import { db } from "../src/storage/db";
import { loadAccess } from "../src/workspace/integration-access";
import { normalize{{Name}} } from "../src/providers/{{slug}}/normalize";
import { findGrant, grantRequests } from "./fake-client";
import { authorizeThroughPopup, call, confirm, getData, rawAccessRow, token } from "./helpers";

const ws = "ws-{{slug}}";
/** The fake's grant behind the connection made by the first test (storage is shared within a file). */
let grantId = "";

describe("{{Name}}", () => {
  it("should connect through login, callback and confirm, and store the grant encrypted", async () => {
    const { authorize, callback, html, code, confirmToken } = await authorizeThroughPopup(ws, "{{Name}}");
    expect(authorize.pathname).toBe("/generic/{{slug}}/authorize");
    expect(authorize.searchParams.get("redirect_uri")).toBe("https://integrations.example.test/integration/{{slug}}/callback");
    expect(callback.status).toBe(200);
    expect(html).toContain("{{Name}} authorized.");
    expect((await confirm(ws, "{{Name}}", confirmToken)).status).toBe(200);

    const grant = (await findGrant({ code }))!;
    grantId = grant.grantId;
    const access = await loadAccess(db(env.DB), await keyRingFromEnv(env), ws, "{{Name}}");
    expect(access).toMatchObject({
      tokens: { accessToken: grant.currentAccessToken, refreshToken: grant.currentRefreshToken },
      tenantId: grant.tenantIds[0],
      requiresReconnect: false,
    });
    const raw = JSON.stringify(await rawAccessRow(ws, "{{Name}}"));
    expect(raw).not.toContain(grant.currentAccessToken);
    expect(raw).not.toContain(grant.currentRefreshToken);
  });

  it("should be listed as configured and connected", async () => {
    const res = await call(`/integration/providers?workspace_id=${ws}`, { bearer: await token({ [ws]: "member" }) });
    const listed = (await res.json<{ name: string }[]>()).find((p) => p.name === "{{Name}}");
    expect(listed).toMatchObject({ api_type: "{{type}}", configured: true, connected: true });
  });

  it("should serve its data through GET /integration/data, read with the stored token", async () => {
    const res = await getData(ws, "{{Name}}", "2024-01-01");
    expect(res.status).toBe(200);
    const { fetched_at, ...body } = await res.json<{ fetched_at: string }>();
    expect(Date.parse(fetched_at)).toBeGreaterThan(Date.now() - 60_000);
{{#accounting}}
    // The entry's name: from_date 2024-01-01 reads the cache entry of 2024-01-31 (docs/api.md).
    expect(body).toEqual({ cache_date: "2024-01-31", dates: ["2024-01-31"], data: { Revenue: { "2024-01-31": 100 } } });
{{/accounting}}
{{#payroll}}
    // The fake's third employee left before 2024-01-01.
    expect(body).toEqual({
      cache_date: "2024-01-31",
      employees: [
        { id: "emp_1001", name: "Ada Lovelace", start_date: "2021-03-01", end_date: null, title: "Head of Engineering", department: "Engineering", monthly_salary: 12500, from_integration: true },
        { id: "emp_1002", name: "Grace Hopper", start_date: "2022-09-15", end_date: "2024-06-30", title: "Payroll Specialist", department: "", monthly_salary: 6000, from_integration: true },
      ],
    });
{{/payroll}}
    const requests = await grantRequests(grantId);
    expect(requests.map((r) => [r.method, r.path, r.status])).toEqual([
      ["GET", "/me", 200],
      ["GET", "{{endpoint_path}}", 200],
    ]);
  });

  it("should refuse a response it cannot read", () => {
    expect(() => normalize{{Name}}({ unexpected: true }, "2024-01-01")).toThrow(ProviderDataError);
  });
});
