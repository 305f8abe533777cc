// The local-development surfaces in one app: the dev console at `/`, the sandbox under /sandbox/
// and Swagger UI at /docs. app.ts imports this module on the first such request only
// (ENVIRONMENT=development, a loopback host), and a `wrangler deploy` bundle leaves it out.
import { Hono } from "hono/tiny";
import { consoleRoutes } from "./console/route";
import { docsPage } from "./docs-page";
import type { AppEnv } from "./env";
import { notFound } from "./errors";
import { sandboxRoutes } from "./sandbox/routes";

export const developmentApp = new Hono<AppEnv>()
  .route("/", sandboxRoutes)
  .route("/", consoleRoutes)
  .get("/docs", (c) => docsPage(c))
  .notFound(notFound)
  // The main app's error handler renders every failure (app.ts renderError): rethrow to it.
  .onError((err) => {
    throw err;
  });
