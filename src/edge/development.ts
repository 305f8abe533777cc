// The local-development surfaces in one app: the dev console at `/` and the sandbox under
// /sandbox/. app.ts imports this module on the first such request only (ENVIRONMENT=development, a
// loopback host), so production never evaluates it.
import { Hono } from "hono";
import { consoleRoutes } from "./console/route";
import type { AppEnv } from "./env";
import { notFound } from "./errors";
import { sandboxRoutes } from "./sandbox/routes";

export const developmentApp = new Hono<AppEnv>()
  .route("/", sandboxRoutes)
  .route("/", consoleRoutes)
  .notFound(notFound)
  // The main app's error handler renders every failure (app.ts renderError): rethrow to it.
  .onError((err) => {
    throw err;
  });
