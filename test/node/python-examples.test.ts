// The Python examples of docs/host-app.md, run as a Python host app would run them: the
// standard-library webhook verifier against events signed as the worker signs them (the
// `standardwebhooks` library, the spec's reference), the PyJWT minting against the worker's own
// checks, and the redirect connect compiled. Skipped only where no python3 is installed (CI installs
// Debian's python3 and python3-jwt).
import { execFileSync, spawnSync } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";

const EXAMPLES = new URL("../../docs/examples/python/", import.meta.url).pathname;

/** The first python3 that runs, and the first that also has PyJWT. */
function pythons(): { any: string | null; withJwt: string | null } {
  const candidates = ["python3", "/usr/bin/python3"];
  const runs = (python: string, code: string) => spawnSync(python, ["-c", code], { encoding: "utf8" }).status === 0;
  return {
    any: candidates.find((p) => runs(p, "import sys")) ?? null,
    withJwt: candidates.find((p) => runs(p, "import jwt")) ?? null,
  };
}
const { any: python, withJwt } = pythons();

describe.skipIf(python === null)("the Python examples (docs/host-app.md)", () => {
  const secret = `whsec_${randomBytes(32).toString("base64")}`;
  const event = {
    type: "data.fetched",
    timestamp: new Date().toISOString(),
    data: { workspace_id: "ws_1", integration: "Xero", tenant_id: "org-1", cache_date: "2024-05-31" },
  };

  const verify = (headers: Record<string, string>, body: string) =>
    spawnSync(python!, [`${EXAMPLES}verify_webhook.py`], {
      input: JSON.stringify({ headers, body }),
      env: { ...process.env, WEBHOOK_SECRET: secret },
      encoding: "utf8",
    });

  it("should accept a webhook signed as the worker signs it, with the standard library only", () => {
    const body = JSON.stringify(event);
    const id = `msg_${randomBytes(8).toString("hex")}`;
    const now = new Date();
    const signature = new Webhook(secret).sign(id, now, body);
    const headers = {
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
      "webhook-signature": signature,
    };
    const accepted = verify(headers, body);
    expect(accepted.status, accepted.stderr).toBe(0);
    expect(accepted.stdout.trim()).toBe("data.fetched ws_1 Xero");
    // A rotation signs with several keys: any match will do.
    expect(
      verify({ ...headers, "webhook-signature": `v1,${randomBytes(32).toString("base64")} ${signature}` }, body).status,
    ).toBe(0);
  });

  it("should reject a tampered body, a wrong signature, a stale timestamp and missing headers", () => {
    const body = JSON.stringify(event);
    const id = "msg_tampered";
    const now = new Date();
    const headers = {
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
      "webhook-signature": new Webhook(secret).sign(id, now, body),
    };
    expect(verify(headers, body.replace("Xero", "Gusto")).stdout).toMatch(/^rejected: no signature matches/);
    expect(verify({ ...headers, "webhook-signature": "v1,AAAA" }, body).status).toBe(1);
    const old = new Date(now.getTime() - 10 * 60_000);
    const stale = {
      ...headers,
      "webhook-timestamp": String(Math.floor(old.getTime() / 1000)),
      "webhook-signature": new Webhook(secret).sign(id, old, body),
    };
    expect(verify(stale, body).stdout).toMatch(/outside the tolerance/);
    expect(verify({ "webhook-id": id }, body).stdout).toMatch(/missing webhook headers/);
  });

  it("should compile the redirect connect", () => {
    expect(() => execFileSync(python!, ["-m", "py_compile", `${EXAMPLES}connect_redirect.py`])).not.toThrow();
  });

  it.skipIf(withJwt === null)(
    "should mint with PyJWT a token the worker's checks accept: HS256, iat, exp, iss, aud, roles",
    () => {
      const jwtSecret = randomBytes(32).toString("hex");
      const token = execFileSync(
        withJwt!,
        [`${EXAMPLES}mint_jwt.py`, "user-7", "ws_1", "admin", "https://app.example.test", "zebbra-integrations"],
        { env: { ...process.env, AUTH_JWT_SECRET: jwtSecret }, encoding: "utf8" },
      ).trim();
      const [head, body, signature] = token.split(".") as [string, string, string];
      expect(JSON.parse(Buffer.from(head, "base64url").toString())).toMatchObject({ alg: "HS256" });
      expect(createHmac("sha256", jwtSecret).update(`${head}.${body}`).digest("base64url")).toBe(signature);
      const claims = JSON.parse(Buffer.from(body, "base64url").toString()) as Record<string, unknown>;
      expect(claims).toMatchObject({
        sub: "user-7",
        iss: "https://app.example.test",
        aud: "zebbra-integrations",
        workspaces: { ws_1: "admin" },
      });
      const { iat, exp } = claims as { iat: number; exp: number };
      expect(exp - iat).toBeLessThanOrEqual(3600);
      expect(Math.abs(iat - Date.now() / 1000)).toBeLessThan(60);
    },
  );
});
