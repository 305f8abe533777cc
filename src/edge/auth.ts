// Bearer-JWT authentication (HS256, signed by the host app) and per-workspace authorization.
import { createMiddleware } from "hono/factory";
import { verify } from "hono/jwt";
import * as z from "zod/mini";
import { FailureError } from "../framework/failure";
import { lazy } from "../framework/lazy";
import type { AppEnv, AuthUser, Role } from "./env";

const claimsSchema = lazy(() =>
  z.object({
    sub: z.string().check(z.minLength(1)),
    exp: z.number(),
    nbf: z.optional(z.number()),
    iat: z.optional(z.number()),
    workspaces: z.record(z.string(), z.enum(["admin", "member"])),
  }),
);

/** Clock skew tolerated between the host app and this worker, for exp, nbf and iat. */
const LEEWAY_SECONDS = 60;

export interface AuthConfig {
  secret: string;
  issuer?: string;
  audience?: string;
}

export function authConfigFromEnv(env: Env): AuthConfig {
  return {
    secret: env.AUTH_JWT_SECRET,
    issuer: env.AUTH_JWT_ISSUER || undefined,
    audience: env.AUTH_JWT_AUDIENCE || undefined,
  };
}

const hmacKeys = new Map<string, Promise<CryptoKey>>();

/** The HS256 verification key, imported once per isolate instead of on every request. */
function hmacKey(secret: string): Promise<CryptoKey> {
  let key = hmacKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "verify",
    ]);
    hmacKeys.set(secret, key);
  }
  return key;
}

/**
 * Verifies `Authorization: Bearer <jwt>` and returns the caller. Any failure is `unauthorized`: the
 * token's absence, shape, signature, algorithm (only HS256), expiry, issuer or audience. `exp`,
 * `nbf` and `iat` are checked with 60 s of leeway for clocks that disagree a little.
 */
export async function authenticate(header: string | undefined, config: AuthConfig): Promise<AuthUser> {
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  if (!match?.[1]) throw new FailureError("unauthorized", "Missing bearer token");
  if (!config.secret) throw new Error("AUTH_JWT_SECRET is not set");
  let payload: unknown;
  try {
    // Signature, algorithm, issuer and audience here; the time claims below, with leeway.
    payload = await verify(match[1], await hmacKey(config.secret), {
      alg: "HS256",
      iss: config.issuer,
      aud: config.audience,
      exp: false,
      nbf: false,
      iat: false,
    });
  } catch {
    // The verifier's messages echo the token back; never put those in a response.
    throw new FailureError("unauthorized", "Invalid or expired token");
  }
  const claims = claimsSchema().safeParse(payload);
  if (!claims.success) throw new FailureError("unauthorized", "Token lacks the sub, exp or workspaces claim");
  const { exp, nbf, iat } = claims.data;
  const now = Math.floor(Date.now() / 1000);
  if (exp + LEEWAY_SECONDS <= now) throw new FailureError("unauthorized", "Invalid or expired token");
  if (nbf !== undefined && nbf - LEEWAY_SECONDS > now) throw new FailureError("unauthorized", "Token is not valid yet");
  if (iat !== undefined && iat - LEEWAY_SECONDS > now)
    throw new FailureError("unauthorized", "Token was issued in the future");
  return { id: claims.data.sub, workspaces: claims.data.workspaces };
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

