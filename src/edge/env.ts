// The Hono environment: generated bindings plus what middleware puts on the context.
import type { Role } from "./auth";

export interface AuthUser {
  id: string;
  workspaces: Record<string, Role>;
}

export interface AppEnv {
  Bindings: Env;
  Variables: { user: AuthUser };
}
