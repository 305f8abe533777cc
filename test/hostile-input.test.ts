// Hostile input: every route in the OpenAPI document, fuzzed over its query, body and headers with
// random and boundary values (arrays where scalars belong, deep JSON, wrong content types), must
// answer without a 500, in the error shape; and every corruption of an OAuth callback's `state` or
// `code` must answer 400 and store nothing. (test/global-setup.ts searches the whole run's log output
// for tokens, codes, client secrets and keys.) The generator is seeded: a failure names its seed.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { consent } from "./fake-client";
import { keyRingFromEnv } from "../src/framework/crypto";
import { db } from "../src/storage/db";
import { storeAccess } from "../src/workspace/integration-access";
import { call, connectSession, login, seedConnection, token } from "./helpers";
import { mulberry32 } from "./mulberry32";

const SEED = 20261129;
const CASES_PER_OPERATION = 40;

const deep = (depth: number, leaf: unknown): unknown => {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
  return value;
};

/** Values a field should never trust: boundaries, wrong types, encodings, injections. */
const NASTY_STRINGS = [
  "",
  " ",
  "x".repeat(10_000),
  "ws-fuzz",
  "Xero",
  "xero",
  "../../etc/passwd",
  "%2e%2e%2f",
  "\u0000",
  "\u2028\u2029",
  "<script>alert(1)</script>",
  "'; DROP TABLE integration_access; --",
  "__proto__",
  "constructor",
  "9999-12-31",
  "0000-00-00",
  "2024-02-30",
  "-1",
  "1e309",
  "NaN",
  "😀".repeat(100),
  "null",
  "[]",
  "{}",
];

const NASTY_JSON: unknown[] = [
  null,
  0,
  -1,
  1e308,
  true,
  "",
  [],
  {},
  [1, 2, 3],
  deep(5000, "x"),
  { workspace_id: ["ws-fuzz"], integration: { $ne: null } },
  { workspace_id: "ws-fuzz", integration: "Xero", confirm_token: deep(200, 1) },
  { __proto__: { admin: true }, workspace_id: "ws-fuzz" },
  { workspace_id: "ws-fuzz", integration: "Xero", config: deep(100, "y") },
  { workspace_id: "ws-fuzz", integration: "Xero", confirm_token: "x", tenant_ids: "not-a-list" },
  { workspace_id: "ws-fuzz", integration: "Xero", confirm_token: "x", tenant_ids: [] },
  { workspace_id: "ws-fuzz", integration: "Xero", confirm_token: "x", tenant_ids: Array(500).fill("t") },
  { workspace_id: "ws-fuzz", integration: "Xero", confirm_token: "x", tenant_ids: [deep(50, "t"), null, ""] },
];

/** What HTTP can carry in a header value at all (a client cannot send the rest). */
const headerSafe = (value: string) => value.replace(/[^\x20-\x7e]/g, "?");

interface Operation {
  method: string;
  path: string;
  parameters: { name: string; in: string }[];
  hasBody: boolean;
}

async function operations(): Promise<Operation[]> {
  const doc = await (
    await call("/openapi.json")
  ).json<{
    paths: Record<string, Record<string, { parameters?: { name: string; in: string }[]; requestBody?: unknown }>>;
  }>();
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      parameters: op.parameters ?? [],
      hasBody: op.requestBody !== undefined,
    })),
  );
}

function fuzzRequest(op: Operation, random: () => number, bearers: string[]): { url: string; init: RequestInit } {
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
  const url = new URL(
    op.path.replace(/\{[^}]+\}/g, () => encodeURIComponent(pick(NASTY_STRINGS))),
    "https://integrations.example.test",
  );
  for (const p of op.parameters.filter((p) => p.in === "query")) {
    const roll = random();
    if (roll < 0.15) continue; // missing
    url.searchParams.append(p.name, pick(NASTY_STRINGS));
    if (roll > 0.85) url.searchParams.append(p.name, pick(NASTY_STRINGS)); // an array where a scalar belongs
  }
  if (random() < 0.3) url.searchParams.append(pick(NASTY_STRINGS).slice(0, 20) || "extra", pick(NASTY_STRINGS));
  const headers = new Headers();
  const auth = random();
  if (auth < 0.6) headers.set("Authorization", `Bearer ${pick(bearers)}`);
  else if (auth < 0.8)
    headers.set(
      "Authorization",
      pick(["Bearer", "Basic dXNlcjpwYXNz", `Bearer ${headerSafe(pick(NASTY_STRINGS))}`, "bearer   x.y.z"]),
    );
  if (random() < 0.3) headers.set("Origin", pick(["https://evil.example", "null", "https://app.example.test"]));
  let body: BodyInit | null = null;
  if (op.hasBody || random() < 0.2) {
    const kind = random();
    if (kind < 0.5) body = JSON.stringify(pick(NASTY_JSON));
    else if (kind < 0.6) body = "{not json";
    else if (kind < 0.7) body = JSON.stringify({ padding: "x".repeat(70 * 1024) });
    else if (kind < 0.8) body = "a=1&b=2";
    else
      body = JSON.stringify({
        workspace_id: pick(NASTY_STRINGS),
        integration: pick(NASTY_STRINGS),
        confirm_token: pick(NASTY_STRINGS),
      });
    headers.set(
      "Content-Type",
      pick([
        "application/json",
        "application/json; charset=utf-8",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "application/vnd.api+json",
        "",
      ]),
    );
  }
  return {
    url: url.toString(),
    // GET and HEAD cannot carry a body: such a case goes out as a POST.
    init: {
      method: ["GET", "HEAD"].includes(op.method) && body ? "POST" : op.method,
      headers,
      body,
      redirect: "manual",
    },
  };
}

describe("tenant_id", () => {
  it("should answer hostile tenant ids on every per-connection route with a 4xx naming the problem, never another tenant", async () => {
    const ws = "ws-fuzz-tenants";
    // Three Xero organisations, so the routes resolve tenant_id rather than stopping at not_connected.
    await seedConnection(ws, "xero");
    const second = await seedConnection(ws, "xero");
    await storeAccess(db(env.DB), await keyRingFromEnv(env), {
      workspaceId: ws,
      integration: "Xero",
      tokens: { accessToken: second.access_token, refreshToken: second.refresh_token, tokenType: "Bearer" },
      expiresAt: Date.now() + 1800_000,
      scope: second.scope,
      tenantId: "org-second",
      additionalInfo: {},
    });
    const admin = await token({ [ws]: "admin" });
    const routes = [
      ["GET", "/integration/data?integration=Xero&from_date=2022-04-01"],
      ["GET", "/integration/dataEndpoints?integration=Xero&from_date=2022-04-01"],
      ["GET", "/integration/runs?integration=Xero"],
      ["GET", "/integration/status?integration=Xero"],
      ["POST", "/integration/fetch?integration=Xero"],
      ["POST", "/integration/disconnect?integration=Xero"],
      ["GET", "/integration/proxy/Xero/api.xro/2.0/Organisation?x=1"],
    ] as const;
    const hostile = [
      "",
      "x".repeat(300),
      "__proto__",
      "constructor",
      "../org-second",
      "org-second%00",
      "ORG-SECOND",
      "org-second ",
      "'; DROP TABLE integration_access; --",
      "\u0000",
      "😀",
    ];
    for (const [method, path] of routes) {
      for (const tenant of hostile) {
        const url = `${path}&workspace_id=${ws}&tenant_id=${encodeURIComponent(tenant)}`;
        const res = await call(url, { method, bearer: admin });
        // Listings filter by it (a run log outlives its connection): nothing matches. A disconnect of
        // no connection is a no-op. The rest find no connection: 400 or 404.
        const empty = { runs: [], status: [], dataEndpoints: [], disconnect: { disconnected: false } } as const;
        const listing = Object.entries(empty).find(([route]) => path.startsWith(`/integration/${route}?`));
        if (listing && res.status === 200) {
          expect(await res.json(), url).toMatchObject(listing[1]);
          continue;
        }
        expect([400, 404], `${method} ${url}`).toContain(res.status);
        const body = await res.json<{ error: { code: string; message: string } }>();
        expect(body.error.code, url).toMatch(/^(invalid_request|not_connected)$/);
      }
      // Twice, as a list where one value belongs: refused.
      const twice = await call(`${path}&workspace_id=${ws}&tenant_id=org-second&tenant_id=org-second`, {
        method,
        bearer: admin,
      });
      expect(twice.status, `${method} ${path} twice`).toBe(400);
    }
    // Nothing was disconnected by any of it.
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM integration_access WHERE workspace_id = ?")
      .bind(ws)
      .first<{ n: number }>();
    expect(rows?.n).toBe(3);
  });
});

describe("fuzzing every route", () => {
  it(`should never answer 500, and always the error shape (seed ${SEED})`, { timeout: 120_000 }, async () => {
    const random = mulberry32(SEED);
    const bearers = [
      await token({ "ws-fuzz": "admin" }),
      await token({ "ws-fuzz": "member" }),
      await token({ "ws-other": "admin" }),
      await token({ "ws-fuzz": "admin" }, { exp: 1 }),
      await token({ "ws-fuzz": "admin" }, { secret: "not-the-secret-at-all-0000000000" }),
    ];
    const ops = await operations();
    expect(ops.length).toBeGreaterThan(10);
    for (const op of ops) {
      for (let i = 0; i < CASES_PER_OPERATION; i++) {
        const { url, init } = fuzzRequest(op, random, bearers);
        const res = await call(url, init);
        const where = `${init.method} ${url.slice(0, 300)} (${op.method} ${op.path}, case ${i}, seed ${SEED})`;
        expect(res.status, where).toBeLessThan(500);
        const type = res.headers.get("Content-Type") ?? "";
        // A HEAD answer carries the headers of the error, never its body.
        if (res.status >= 400 && type.includes("application/json") && init.method !== "HEAD") {
          const body = await res.json<{ error?: { code?: unknown; message?: unknown } }>();
          expect(typeof body.error?.code, where).toBe("string");
          expect(typeof body.error?.message, where).toBe("string");
        } else await res.body?.cancel();
      }
    }
  });
});

/** A fresh callback URL (state and code valid, unused) for the workspace. */
async function freshCallback(workspaceId: string): Promise<URL> {
  const { location } = await consent((await login(await connectSession(workspaceId, "Xero"))).toString());
  return location;
}

const storedRows = async (workspaceId: string) => {
  const q = (table: string) =>
    env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE workspace_id = ?`)
      .bind(workspaceId)
      .first<{ n: number }>();
  return ((await q("integration_access"))?.n ?? 0) + ((await q("pending_grants"))?.n ?? 0);
};

type Corruption = [string, (url: URL, other: URL) => void];

const corruptions = (param: "state" | "code"): Corruption[] => {
  const set = (url: URL, value: string) => url.searchParams.set(param, value);
  const value = (url: URL) => url.searchParams.get(param)!;
  return [
    ["missing", (url) => url.searchParams.delete(param)],
    ["empty", (url) => set(url, "")],
    ["truncated", (url) => set(url, value(url).slice(0, -1))],
    ["extended", (url) => set(url, `${value(url)}A`)],
    [
      "one character changed",
      (url) => set(url, value(url).slice(0, 5) + (value(url)[5] === "A" ? "B" : "A") + value(url).slice(6)),
    ],
    ["upper-cased", (url) => set(url, value(url).toUpperCase())],
    ["another flow's", (url, other) => set(url, other.searchParams.get(param)!)],
    ["10,000 characters", (url) => set(url, "x".repeat(10_000))],
    ["an injection", (url) => set(url, `${value(url)}"><script>alert(1)</script>`)],
    ["given twice", (url) => url.searchParams.append(param, value(url))],
  ];
};

describe("corrupted OAuth callbacks", () => {
  it.each(corruptions("state"))("should answer a %s state with 400 and store nothing", async (_, corrupt) => {
    const ws = "ws-bad-state";
    const url = await freshCallback(ws);
    corrupt(url, await freshCallback("ws-bad-state-other"));
    const res = await call(url.toString());
    expect(res.status).toBe(400);
    expect(await res.text()).not.toContain("confirm_token");
    expect(await storedRows(ws)).toBe(0);
  });

  it.each(corruptions("code"))("should answer a %s code with 400 and store nothing", async (_, corrupt) => {
    const ws = "ws-bad-code";
    const url = await freshCallback(ws);
    const other = await freshCallback("ws-bad-code-other");
    corrupt(url, other);
    const res = await call(url.toString());
    expect(res.status).toBe(400);
    expect(await res.text()).not.toContain("confirm_token");
    expect(await storedRows(ws)).toBe(0);
  });
});
