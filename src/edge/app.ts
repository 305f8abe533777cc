// Builds the Hono app: every route from the route table, one error handler, one not-found handler.
import { HTTPException } from "hono/http-exception";
import { AppError, errorBody } from "./errors";
import { Api } from "./http/api";
import { allConnectors } from "./oauth/registry";
import { connectSessionRoutes } from "./routes/connect-sessions";
import { connectionRoutes } from "./routes/connections";
import { dataRoutes } from "./routes/data";
import { metaRoutes } from "./routes/meta";

export function createApp() {
  const api = new Api();
  connectionRoutes(api);
  connectSessionRoutes(api);
  dataRoutes(api);
  for (const connector of allConnectors()) api.mount(connector.router);
  metaRoutes(api);

  api.app.notFound((c) => c.json(errorBody("not_found", `No route for ${c.req.method} ${new URL(c.req.url).pathname}`), 404));
  api.app.onError(function renderError(err, c) {
    if (err instanceof AppError) return c.json(errorBody(err.code, err.message), err.status, err.headers);
    if (err instanceof HTTPException) return c.json(errorBody("http_error", err.message || "Request failed"), err.status);
    // Unexpected: log with the stack (never request data that could hold secrets) and answer a bare 500.
    console.error("unhandled error", c.req.method, new URL(c.req.url).pathname, err);
    return c.json(errorBody("internal_error", "Internal server error"), 500);
  });
  return api.app;
}
