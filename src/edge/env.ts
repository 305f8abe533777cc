// The Hono environment: generated bindings plus what middleware puts on the context.
import type { SecureHeadersVariables } from "hono/secure-headers";

export type Role = "admin" | "member";

/** The caller, from the host app's JWT: a user id and a role per workspace. */
export interface AuthUser {
  id: string;
  workspaces: Record<string, Role>;
}

export interface AppEnv {
  Bindings: Env;
  /** `secureHeadersNonce`: the nonce of a page's inline script and style (html.ts). */
  Variables: { user: AuthUser } & SecureHeadersVariables;
}
