// A deploy that is not safe refuses to serve: outside development a published dev secret, a short JWT
// secret, an empty issuer or audience, or an APP_ORIGIN that is not exactly an https origin turns
// every route into a generic 503 (the log names the variable); anywhere, `*` or a non-origin in
// APP_ORIGIN does. Development stays as easy as it was. And several app origins each get CORS.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createApp } from "../src/edge/app";
import { configProblems } from "../src/framework/settings";
import { consent } from "./fake-client";
import { token } from "./helpers";

/** The published values of .dev.vars.example (test/node/config.test.ts keeps the worker's hashes equal to them). */
const PUBLISHED = {
  AUTH_JWT_SECRET: "local-dev-jwt-secret-change-me-0123456789",
  TOKEN_ENCRYPTION_KEY: "dev1:cyV1Wb1CXBP6TaRQ7IBcEmtfe3eIy9eE7GehPhDhKqk=",
};

/** GET /health of an app built for `overrides`; on a loopback host for a local development run. */
async function health(
  overrides: Record<string, string>,
  base = "https://integrations.example.test",
): Promise<Response> {
  const variant = { ...env, ...overrides } as Env;
  const ctx = createExecutionContext();
  const res = await createApp(variant).fetch(new Request(`${base}/health`), variant, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

afterEach(() => vi.restoreAllMocks());

describe("a deploy that is not safe", () => {
  it.each([
    ["AUTH_JWT_SECRET", { AUTH_JWT_SECRET: PUBLISHED.AUTH_JWT_SECRET }, "is the value .dev.vars.example publishes"],
    ["TOKEN_ENCRYPTION_KEY", { TOKEN_ENCRYPTION_KEY: PUBLISHED.TOKEN_ENCRYPTION_KEY }, "publishes"],
    ["AUTH_JWT_SECRET", { AUTH_JWT_SECRET: "short-secret" }, "is shorter than 32 bytes"],
    ["ADMIN_API_TOKEN", { ADMIN_API_TOKEN: "short-operator-token" }, "is shorter than 32 bytes"],
    ["AUTH_JWT_ISSUER", { AUTH_JWT_ISSUER: "" }, "is empty"],
    ["AUTH_JWT_AUDIENCE", { AUTH_JWT_AUDIENCE: " " }, "is empty"],
    ["APP_ORIGIN", { APP_ORIGIN: "http://app.example.test" }, "https origin"],
    ["APP_ORIGIN", { APP_ORIGIN: "https://app.example.test/" }, "https origin"],
    ["APP_ORIGIN", { APP_ORIGIN: "*" }, '"*"'],
  ])(
    "should refuse to serve when %s is unsafe: a generic 503, the log naming it",
    async (variable, overrides, problem) => {
      const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
      const res = await health(overrides);
      expect(res.status).toBe(503);
      const body = await res.json<{ error: { code: string; message: string } }>();
      expect(body.error.code).toBe("service_not_configured");
      expect(body.error.message).not.toContain(variable);
      const line = logged.mock.calls.map((c) => c.join(" ")).join("\n");
      expect(line).toContain(variable);
      expect(line).toContain(problem);
      // The log names the variable, never its value.
      for (const value of Object.values(overrides)) if (value.length > 3) expect(line).not.toContain(value);
    },
  );

  it("should refuse a short ADMIN_API_TOKEN in development too: it reaches every workspace", async () => {
    const problems = await configProblems({ ...env, ENVIRONMENT: "development", ADMIN_API_TOKEN: "too-short" } as Env);
    expect(problems).toContainEqual({
      variable: "ADMIN_API_TOKEN",
      problem: "is shorter than 32 bytes",
      kind: "unsafe",
    });
  });

  it("should name a missing secret, as before", async () => {
    const res = await health({ TOKEN_ENCRYPTION_KEY: "" });
    expect(res.status).toBe(503);
    expect((await res.json<{ error: { message: string } }>()).error.message).toContain("TOKEN_ENCRYPTION_KEY");
  });

  it("should stay as easy as before in development: the published values, no issuer, http origins", async () => {
    const development = {
      ENVIRONMENT: "development",
      ...PUBLISHED,
      AUTH_JWT_ISSUER: "",
      AUTH_JWT_AUDIENCE: "",
      APP_ORIGIN: "http://127.0.0.1:8787,http://localhost:5173",
    };
    expect(await configProblems({ ...env, ...development })).toEqual([]);
    expect((await health(development, "http://127.0.0.1:8787")).status).toBe(200);
    // The same deploy reached on another host is served as production: the published values refuse it.
    expect((await health(development)).status).toBe(503);
    // `*` is refused in development too, and the answer names it.
    const star = await health({ ...development, APP_ORIGIN: "*" }, "http://127.0.0.1:8787");
    expect(star.status).toBe(503);
    expect((await star.json<{ error: { message: string } }>()).error.message).toContain("APP_ORIGIN");
  });
});

describe("several app origins", () => {
  it("should answer CORS for each origin of APP_ORIGIN and no other", async () => {
    const origins = { APP_ORIGIN: "https://app.example.test,https://admin.example.test" };
    const variant = { ...env, ...origins } as Env;
    const app = createApp(variant);
    for (const origin of ["https://app.example.test", "https://admin.example.test", "https://evil.example"]) {
      const ctx = createExecutionContext();
      const res = await app.fetch(
        new Request("https://integrations.example.test/health", { headers: { Origin: origin } }),
        variant,
        ctx,
      );
      await waitOnExecutionContext(ctx);
      expect(res.headers.get("Access-Control-Allow-Origin"), origin).toBe(
        origin === "https://evil.example" ? null : origin,
      );
    }
  });
});

describe("a connect posts back to the app origin that started it", () => {
  it("should record the session's app origin and post the callback's message there only", async () => {
    const origins = { APP_ORIGIN: "https://app.example.test,https://admin.example.test" };
    const variant = { ...env, ...origins } as Env;
    const app = createApp(variant);
    const fetchVia = async (path: string, init: RequestInit = {}) => {
      const ctx = createExecutionContext();
      const res = await app.fetch(new Request(new URL(path, "https://integrations.example.test"), init), variant, ctx);
      await waitOnExecutionContext(ctx);
      return res;
    };
    const ws = "ws-two-origins";
    const session = await fetchVia("/integration/connect-sessions", {
      method: "POST",
      headers: {
        Authorization: `Bearer ${await token({ [ws]: "member" })}`,
        "Content-Type": "application/json",
        Origin: "https://admin.example.test",
      },
      body: JSON.stringify({ workspace_id: ws, integration: "Gusto" }),
    });
    expect(session.status).toBe(201);
    const started = new URL((await session.json<{ url: string }>()).url);
    const login = await fetchVia(started.pathname + started.search, { redirect: "manual" });
    const { location } = await consent(login.headers.get("Location")!);
    const page = await (await fetchVia(location.pathname + location.search)).text();
    expect(page).toContain(`"https://admin.example.test"`);
    expect(page).not.toContain(`"https://app.example.test"`);
    // An app_origin outside APP_ORIGIN is refused.
    const foreign = await fetchVia("/integration/connect-sessions", {
      method: "POST",
      headers: { Authorization: `Bearer ${await token({ [ws]: "member" })}`, "Content-Type": "application/json" },
      body: JSON.stringify({ workspace_id: ws, integration: "Gusto", app_origin: "https://evil.example" }),
    });
    expect(foreign.status).toBe(400);
  });
});
