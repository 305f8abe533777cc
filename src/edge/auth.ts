// Bearer-JWT authentication (HS256, signed by the host app) and per-workspace authorization.
import { decodeBase64urlIgnorePadding } from "@oslojs/encoding";
import { createMiddleware } from "hono/factory";
import { FailureError } from "../framework/failure";
import { hmacVerifyKey } from "../framework/hash";
import { type AuthSettings, authSettings } from "../framework/settings";
import type { AppEnv, AuthUser, Role } from "./env";

/** Clock skew tolerated between the host app and this worker, for exp, nbf and iat. */
const LEEWAY_SECONDS = 60;

export type AuthConfig = AuthSettings;

export function authConfigFromEnv(env: Env): AuthConfig {
  return authSettings(env);
}

const invalid = (message: string) => new FailureError("token_invalid", message);
const claimsInvalid = (message: string) => new FailureError("token_claims_invalid", message);

/** A base64url JWT segment as JSON, or undefined when it is not one. */
function segmentJson(segment: string): unknown {
  try {
    return JSON.parse(
      new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(decodeBase64urlIgnorePadding(segment)),
    );
  } catch {
    return undefined;
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** What is wrong with a numeric date claim, or null. */
function numericDate(claims: Record<string, unknown>, name: string, required: boolean): string | null {
  const value = claims[name];
  if (value === undefined) return required ? `the ${name} claim is missing` : null;
  return typeof value === "number" && Number.isFinite(value) ? null : `${name} is not a number of seconds`;
}

/**
 * The caller's id and roles from verified claims; throws `token_claims_invalid` naming the first
 * claim that is missing or wrong. Roles are `admin` and `member`.
 */
function userOf(claims: Record<string, unknown>): AuthUser {
  const { sub, workspaces } = claims;
  if (typeof sub !== "string" || sub === "") throw claimsInvalid("The sub claim is missing or not a non-empty string");
  if (!isRecord(workspaces))
    throw claimsInvalid(
      `The workspaces claim is ${workspaces === undefined ? "missing" : Array.isArray(workspaces) ? "a list" : "not an object"}; it maps each workspace id to "admin" or "member"`,
    );
  const roles: Record<string, Role> = {};
  for (const [id, role] of Object.entries(workspaces)) {
    if (role !== "admin" && role !== "member")
      throw claimsInvalid(`workspaces[${JSON.stringify(id)}] is ${JSON.stringify(role)}; roles are admin and member`);
    roles[id] = role;
  }
  return { id: sub, workspaces: roles };
}

/**
 * Verifies `Authorization: Bearer <jwt>` and returns the caller. Each failure says which, never
 * echoing the token: `token_missing`; `token_invalid` (format, algorithm (only HS256), signature);
 * `token_expired` (past `exp` plus 60 s of leeway); `token_claims_invalid` naming the claim (`sub`,
 * `workspaces`, `iat` (required), `nbf`, `iss`, `aud`, or `exp − iat` above AUTH_JWT_MAX_TTL_S).
 */
export async function authenticate(header: string | undefined, config: AuthConfig): Promise<AuthUser> {
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  if (!match?.[1]) throw new FailureError("token_missing", "Send the host app's JWT as Authorization: Bearer <token>");
  if (!config.secret) throw new Error("AUTH_JWT_SECRET is not set");
  const parts = match[1].split(".");
  if (parts.length !== 3) throw invalid("The bearer token is not a JWT (three base64url parts)");
  const [head = "", body = "", signature = ""] = parts;
  const jose = segmentJson(head);
  if (!isRecord(jose)) throw invalid("The JWT header is not base64url JSON");
  if (jose.alg !== "HS256")
    throw invalid(
      `The JWT is signed with ${typeof jose.alg === "string" ? jose.alg : "no algorithm"}; only HS256 is accepted`,
    );
  let signatureBytes: Uint8Array;
  try {
    signatureBytes = decodeBase64urlIgnorePadding(signature);
  } catch {
    throw invalid("The JWT signature is not base64url");
  }
  const signed = new TextEncoder().encode(`${head}.${body}`);
  if (!(await crypto.subtle.verify("HMAC", await hmacVerifyKey(config.secret), signatureBytes, signed)))
    throw invalid("The JWT signature does not match: it was not signed with this service's AUTH_JWT_SECRET");
  const claims = segmentJson(body);
  if (!isRecord(claims)) throw invalid("The JWT payload is not base64url JSON");

  const problem =
    numericDate(claims, "exp", true) ?? numericDate(claims, "iat", true) ?? numericDate(claims, "nbf", false);
  if (problem) throw claimsInvalid(`The token's ${problem}`);
  const exp = claims.exp as number;
  const iat = claims.iat as number;
  const now = Math.floor(Date.now() / 1000);
  if (exp + LEEWAY_SECONDS <= now)
    throw new FailureError(
      "token_expired",
      `The token expired at ${new Date(exp * 1000).toISOString()} (${LEEWAY_SECONDS} s of leeway allowed for clock skew)`,
    );
  if (typeof claims.nbf === "number" && claims.nbf - LEEWAY_SECONDS > now)
    throw claimsInvalid(`The token is not valid before ${new Date(claims.nbf * 1000).toISOString()} (nbf)`);
  if (iat - LEEWAY_SECONDS > now) throw claimsInvalid("The token's iat is in the future");
  if (exp - iat > config.maxTtlSeconds)
    throw claimsInvalid(
      `The token lives ${exp - iat} s (exp − iat); at most ${config.maxTtlSeconds} s (AUTH_JWT_MAX_TTL_S) is accepted`,
    );
  if (config.issuer !== undefined && claims.iss !== config.issuer)
    throw claimsInvalid("The iss claim is not this service's AUTH_JWT_ISSUER");
  if (config.audience !== undefined) {
    const aud = claims.aud;
    const audiences = Array.isArray(aud) ? aud : [aud];
    if (!audiences.includes(config.audience))
      throw claimsInvalid("The aud claim does not name this service's AUTH_JWT_AUDIENCE");
  }
  return userOf(claims);
}

/** Throws `forbidden` unless `user` holds `role` (admin includes member) in `workspaceId`. */
export function authorize(user: AuthUser, workspaceId: string, role: Role): void {
  const held = Object.hasOwn(user.workspaces, workspaceId) ? user.workspaces[workspaceId] : undefined;
  if (!held) throw new FailureError("forbidden", `No access to workspace "${workspaceId}"`);
  if (role === "admin" && held !== "admin")
    throw new FailureError("forbidden", "This action needs the admin role in the workspace");
}

/** Sets `c.var.user` from the bearer JWT, or fails `unauthorized`. */
export const authenticated = createMiddleware<AppEnv>(async function authenticated(c, next) {
  c.set("user", await authenticate(c.req.header("Authorization"), authConfigFromEnv(c.env)));
  await next();
});

/**
 * Fails `forbidden` unless the caller holds `role` in the `workspace_id` of the validated `target`
 * (so it runs after `authenticated` and that target's validator).
 */
export function requireRole<T extends "query" | "json">(role: Role, target: T) {
  return createMiddleware<AppEnv, string, { out: { [K in T]: { workspace_id: string } } }>(
    async function requireRole(c, next) {
      // The declared `out` type is what the route's validator produced; TypeScript cannot index it by a generic target.
      const input = c.req.valid(target) as { workspace_id: string };
      authorize(c.var.user, input.workspace_id, role);
      await next();
    },
  );
}
