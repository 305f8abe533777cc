// Test helpers: signing the host app's JWTs and calling the worker.
import { env, exports } from "cloudflare:workers";
import { sign } from "hono/jwt";

export type Role = "admin" | "member";

/** A bearer token as the host app would mint it. */
export async function token(workspaces: Record<string, Role>, opts: { sub?: string; exp?: number; secret?: string } = {}): Promise<string> {
  return sign(
    { sub: opts.sub ?? "user-1", exp: opts.exp ?? Math.floor(Date.now() / 1000) + 600, workspaces },
    opts.secret ?? env.AUTH_JWT_SECRET,
    "HS256",
  );
}

/** Calls the worker through its real fetch handler. */
export function call(path: string, init: RequestInit & { bearer?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.bearer) headers.set("Authorization", `Bearer ${init.bearer}`);
  return exports.default.fetch(new Request(new URL(path, "https://integrations.example.test"), { ...init, headers }));
}

export async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  const body = (await res.json()) as { error: { code: string; message: string } };
  return body.error;
}
