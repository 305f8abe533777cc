// The dev console at `/`, mounted only when ENVIRONMENT=development: a demo host app for one demo
// user of one demo workspace, whose bearer JWT is minted here with AUTH_JWT_SECRET.
import { Hono } from "hono/tiny";
import { sign } from "hono/jwt";
import { appOrigins } from "../../framework/settings";
import { authConfigFromEnv } from "../auth";
import type { AppEnv } from "../env";
import { consolePage } from "./page";

export const DEMO_USER = "demo-user";
export const DEMO_WORKSPACE = "demo-workspace";

/** How long the page's JWT lasts; reload the page for a fresh one. */
const JWT_LIFETIME_SECONDS = 3600;

/** The demo user's JWT, shaped as a host app would sign it (with its issuer and audience, when set). */
async function demoJwt(env: Env): Promise<string> {
  const config = authConfigFromEnv(env);
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {
    sub: DEMO_USER,
    iat: now,
    exp: now + JWT_LIFETIME_SECONDS,
    workspaces: { [DEMO_WORKSPACE]: "admin" },
  };
  if (config.issuer) claims.iss = config.issuer;
  if (config.audience) claims.aud = config.audience;
  return sign(claims, config.secret, "HS256");
}

export const consoleRoutes = new Hono<AppEnv>().get("/", async (c) =>
  consolePage(c, {
    jwt: await demoJwt(c.env),
    appOrigins: appOrigins(c.env),
    workspaceId: DEMO_WORKSPACE,
    userId: DEMO_USER,
  }),
);
