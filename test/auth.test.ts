// Bearer-JWT authentication: each failure answers 401 with a code that says which mistake it is
// (token_missing, token_invalid, token_expired, token_claims_invalid naming the claim), never
// echoing the token; 60 s of leeway for clocks; iat required and exp − iat at most AUTH_JWT_MAX_TTL_S.
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { env } from "cloudflare:workers";
import { sign } from "hono/jwt";
import { describe, expect, it } from "vitest";
import { call, errorOf, token } from "./helpers";

const path = "/integration/disconnect?workspace_id=ws-1&integration=Xero";
const b64 = (v: unknown) => encodeBase64urlNoPadding(new TextEncoder().encode(JSON.stringify(v)));
const now = () => Math.floor(Date.now() / 1000);

/** Claims as the host app should send them, for the checks that build their own token. */
const good = () => ({
  sub: "user-1",
  iat: now(),
  exp: now() + 600,
  iss: env.AUTH_JWT_ISSUER,
  aud: env.AUTH_JWT_AUDIENCE,
  workspaces: { "ws-1": "admin" },
});

async function expect401(bearer: string | undefined, code: string, message?: RegExp) {
  const res = await call(path, { method: "POST", ...(bearer === undefined ? {} : { bearer }) });
  expect(res.status).toBe(401);
  expect(res.headers.get("WWW-Authenticate")).toContain("Bearer");
  const error = await errorOf(res);
  expect(error.code).toBe(code);
  if (message) expect(error.message).toMatch(message);
  if (bearer) expect(error.message).not.toContain(bearer);
  expect(error.message).not.toContain(env.AUTH_JWT_SECRET);
}

describe("bearer JWT authentication", () => {
  it("should answer token_missing without a token", async () => {
    await expect401(undefined, "token_missing");
  });

  it("should answer token_invalid for a malformed token, another secret, alg none and HS512", async () => {
    await expect401("not-a-jwt", "token_invalid", /not a JWT/);
    await expect401(`${b64({ alg: "HS256" })}.%%%.abc`, "token_invalid");
    await expect401(
      await token({ "ws-1": "admin" }, { secret: "another-secret-entirely-000000" }),
      "token_invalid",
      /signature/,
    );
    await expect401(`${b64({ alg: "none", typ: "JWT" })}.${b64(good())}.`, "token_invalid", /none.*only HS256/);
    await expect401(await sign(good(), env.AUTH_JWT_SECRET, "HS512"), "token_invalid", /HS512; only HS256/);
  });

  it("should answer token_expired past the 60 s leeway, saying so", async () => {
    await expect401(await token({ "ws-1": "admin" }, { exp: now() - 90 }), "token_expired", /60 s of leeway/);
  });

  it("should allow 60 s of clock skew for exp, nbf and iat, and no more", async () => {
    const accepted = async (opts: { exp?: number; claims?: Record<string, number> }) =>
      (await call(path, { method: "POST", bearer: await token({ "ws-1": "admin" }, opts) })).status;
    expect(await accepted({ exp: now() - 30 })).toBe(200);
    expect(await accepted({ claims: { nbf: now() + 30, iat: now() + 30 } })).toBe(200);
    await expect401(await token({ "ws-1": "admin" }, { claims: { nbf: now() + 120 } }), "token_claims_invalid", /nbf/);
    await expect401(await token({ "ws-1": "admin" }, { claims: { iat: now() + 120 } }), "token_claims_invalid", /iat/);
  });

  it("should answer token_claims_invalid naming the claim and what is wrong with it", async () => {
    const { workspaces: _w, ...noWorkspaces } = good();
    const { exp: _e, ...noExp } = good();
    const { iat: _i, ...noIat } = good();
    const cases: [Record<string, unknown>, RegExp][] = [
      [noWorkspaces, /workspaces claim is missing/],
      [{ ...good(), workspaces: ["ws-1"] }, /workspaces claim is a list/],
      [{ ...good(), workspaces: { "ws-1": "owner" } }, /workspaces\["ws-1"\] is "owner"; roles are admin and member/],
      [noExp, /exp claim is missing/],
      [noIat, /iat claim is missing/],
      [{ ...good(), sub: "" }, /sub claim/],
      [{ ...good(), exp: "tomorrow" }, /exp is not a number/],
      [{ ...good(), iss: "https://someone-else.example" }, /iss claim/],
      [{ ...good(), aud: "another-service" }, /aud claim/],
    ];
    for (const [claims, message] of cases)
      await expect401(await sign(claims, env.AUTH_JWT_SECRET, "HS256"), "token_claims_invalid", message);
  });

  it("should refuse a token living longer than AUTH_JWT_MAX_TTL_S (3600 s): a 30-day token gets 401", async () => {
    const iat = now();
    await expect401(
      await token({ "ws-1": "admin" }, { claims: { iat }, exp: iat + 30 * 24 * 3600 }),
      "token_claims_invalid",
      /lives 2592000 s.*at most 3600 s \(AUTH_JWT_MAX_TTL_S\)/,
    );
    const hour = await call(path, {
      method: "POST",
      bearer: await token({ "ws-1": "admin" }, { claims: { iat }, exp: iat + 3600 }),
    });
    expect(hour.status).toBe(200);
  });

  it("should accept an audience list that names this service", async () => {
    const res = await call(path, {
      method: "POST",
      bearer: await sign({ ...good(), aud: ["other", env.AUTH_JWT_AUDIENCE] }, env.AUTH_JWT_SECRET, "HS256"),
    });
    expect(res.status).toBe(200);
  });

  it("should keep 403 for a workspace not in the token", async () => {
    const res = await call(path, { method: "POST", bearer: await token({ "ws-2": "admin" }) });
    expect(res.status).toBe(403);
    expect((await errorOf(res)).code).toBe("forbidden");
  });

  it("should accept a valid token", async () => {
    const res = await call(path, { method: "POST", bearer: await token({ "ws-1": "admin" }) });
    expect(res.status).toBe(200);
  });
});
