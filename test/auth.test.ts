import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, errorOf, token } from "./helpers";

const path = "/integration/disconnect?workspace_id=ws-1&integration=Xero";
const b64 = (v: unknown) => encodeBase64urlNoPadding(new TextEncoder().encode(JSON.stringify(v)));

async function expect401(bearer: string | undefined) {
  const res = await call(path, { method: "POST", ...(bearer === undefined ? {} : { bearer }) });
  expect(res.status).toBe(401);
  const error = await errorOf(res);
  expect(error.code).toBe("unauthorized");
  if (bearer) expect(error.message).not.toContain(bearer);
}

describe("bearer JWT authentication", () => {
  it("should answer 401 without a token", async () => {
    await expect401(undefined);
  });

  it("should answer 401 for a malformed token", async () => {
    await expect401("not-a-jwt");
  });

  it("should answer 401 for a token signed with another secret", async () => {
    await expect401(await token({ "ws-1": "admin" }, { secret: "another-secret-entirely-000000" }));
  });

  it("should answer 401 for a token expired longer ago than the 60 s leeway", async () => {
    await expect401(await token({ "ws-1": "admin" }, { exp: Math.floor(Date.now() / 1000) - 90 }));
  });

  it("should allow 60 s of clock skew for exp, nbf and iat, and no more", async () => {
    const now = Math.floor(Date.now() / 1000);
    const accepted = async (opts: { exp?: number; claims?: Record<string, number> }) =>
      (await call(path, { method: "POST", bearer: await token({ "ws-1": "admin" }, opts) })).status;
    expect(await accepted({ exp: now - 30 })).toBe(200);
    expect(await accepted({ claims: { nbf: now + 30, iat: now + 30 } })).toBe(200);
    await expect401(await token({ "ws-1": "admin" }, { claims: { nbf: now + 120 } }));
    await expect401(await token({ "ws-1": "admin" }, { claims: { iat: now + 120 } }));
  });

  it("should answer 401 for alg none", async () => {
    const claims = { sub: "user-1", exp: Math.floor(Date.now() / 1000) + 600, workspaces: { "ws-1": "admin" } };
    await expect401(`${b64({ alg: "none", typ: "JWT" })}.${b64(claims)}.`);
  });

  it("should answer 401 for an HS512 token even with the right secret", async () => {
    const { sign } = await import("hono/jwt");
    const claims = { sub: "user-1", exp: Math.floor(Date.now() / 1000) + 600, workspaces: { "ws-1": "admin" } };
    await expect401(await sign(claims, env.AUTH_JWT_SECRET, "HS512"));
  });

  it("should answer 401 for a token without the workspaces claim", async () => {
    const { sign } = await import("hono/jwt");
    await expect401(
      await sign({ sub: "user-1", exp: Math.floor(Date.now() / 1000) + 600 }, env.AUTH_JWT_SECRET, "HS256"),
    );
  });

  it("should answer 401 for a token without exp", async () => {
    const { sign } = await import("hono/jwt");
    await expect401(await sign({ sub: "user-1", workspaces: { "ws-1": "admin" } }, env.AUTH_JWT_SECRET, "HS256"));
  });

  it("should accept a valid token", async () => {
    const res = await call(path, { method: "POST", bearer: await token({ "ws-1": "admin" }) });
    expect(res.status).toBe(200);
  });
});
