// The Hono environment: generated bindings plus what middleware puts on the context.
import type { AuthUser } from "./auth";

export interface AppEnv {
  Bindings: Env;
  Variables: { user: AuthUser };
}
