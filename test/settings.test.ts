// Settings are parsed by one schema, once per env object: a malformed value (a word where a number
// goes, a number below its minimum) turns every route into a 503 naming the variable, never its
// value, instead of a default silently put in its place; a good value is the one used.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/edge/app";
import { FailureError } from "../src/framework/failure";
import { lifecycleSettings, settings } from "../src/framework/settings";
import { TEST_BINDINGS } from "./bindings";
import { errorOf, token } from "./helpers";

/** `path` on an app built for `overrides`, with the bindings the suite runs with underneath. */
async function fetchWith(overrides: Record<string, string>, path: string, init: RequestInit = {}): Promise<Response> {
  const variant = { ...env, ...overrides } as Env;
  const ctx = createExecutionContext();
  const res = await createApp(variant).fetch(
    new Request(new URL(path, "https://integrations.example.test"), init),
    variant,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res;
}

describe("a malformed setting", () => {
  it.each([
    ["TOKEN_REFRESH_RETRIES", "abc"],
    ["TOKEN_REFRESH_TIMEOUT_MS", "0"],
    ["LIMIT_FETCHES_PER_HOUR", "2.5"],
    ["PROXY_MAX_WAIT_MS", "-1"],
    ["AUTH_JWT_MAX_TTL_S", "an hour"],
  ])("should answer 503 naming %s=%s, not its value", async (variable, value) => {
    const res = await fetchWith({ [variable]: value }, "/health");
    expect(res.status).toBe(503);
    const error = await errorOf(res);
    expect(error.code).toBe("service_not_configured");
    expect(error.message).toContain(`${variable} is not a whole number`);
    if (value.length > 2) expect(error.message).not.toContain(value);
  });

  it("should fail the cron's and the queues' reads too, naming it, rather than run on a default", () => {
    const bad = { ...env, TOKEN_REFRESH_RETRIES: "abc" } as Env;
    expect(() => lifecycleSettings(bad)).toThrow(FailureError);
    expect(() => lifecycleSettings(bad)).toThrow(/TOKEN_REFRESH_RETRIES is not a whole number/);
  });
});

describe("a good setting", () => {
  it("should be used: AUTH_JWT_MAX_TTL_S=600 refuses the hour-long token the default accepts", async () => {
    const iat = Math.floor(Date.now() / 1000);
    const bearer = await token({ "ws-settings": "admin" }, { claims: { iat }, exp: iat + 3600 });
    const init = { method: "POST", headers: { Authorization: `Bearer ${bearer}` } };
    const path = "/integration/disconnect?workspace_id=ws-settings&integration=Xero";
    const short = await fetchWith({ AUTH_JWT_MAX_TTL_S: "600" }, path, init);
    expect(short.status).toBe(401);
    expect((await errorOf(short)).message).toMatch(/at most 600 s/);
    expect((await fetchWith({}, path, init)).status).not.toBe(401);
  });

  it("should read whole numbers, blanks as unset (the default), and the suite's own values", () => {
    const read = (overrides: Record<string, string>) => lifecycleSettings({ ...env, ...overrides });
    expect(read({ TOKEN_REFRESH_RETRIES: " 7 " }).retries).toBe(7);
    expect(read({ TOKEN_REFRESH_RETRIES: "0" }).retries).toBe(0);
    expect(read({ TOKEN_REFRESH_RETRIES: "  " }).retries).toBe(3);
    expect(read({}).timeoutMs).toBe(Number(TEST_BINDINGS.TOKEN_REFRESH_TIMEOUT_MS));
    expect(read({ TOKEN_REFRESH_TIMEOUT_MS: "" }).timeoutMs).toBe(10_000);
  });

  it("should be parsed once per env object", () => {
    const variant = { ...env, TOKEN_REFRESH_RETRIES: "5" } as Env;
    expect(settings(variant)).toBe(settings(variant));
    expect(settings({ ...variant })).not.toBe(settings(variant));
  });
});
