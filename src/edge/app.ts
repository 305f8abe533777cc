// Builds the Hono app: every route, one error handler, one not-found handler.
import { HTTPException } from "hono/http-exception";
import { FailureError } from "../framework/failure";
import { providerList } from "../providers/registry";
import { Api } from "./api";
import { errorBody, retryAfterHeader, statusOf } from "./errors";
import { connectSessionRoutes } from "./routes/connect-sessions";
import { connectionRoutes } from "./routes/connections";
import { dataRoutes } from "./routes/data";
import { metaRoutes } from "./routes/meta";
import { oauthRoutes } from "./routes/oauth";

export function createApp() {
  const api = new Api();
  connectionRoutes(api);
  connectSessionRoutes(api);
  dataRoutes(api);
  for (const provider of providerList) oauthRoutes(api, provider);
  metaRoutes(api);

  api.app.notFound((c) => c.json(errorBody("not_found", `No route for ${c.req.method} ${new URL(c.req.url).pathname}`), 404));
  api.app.onError(function renderError(err, c) {
    if (err instanceof FailureError) {
      const { reason, message, retryAfterMs } = err.failure;
      const headers = retryAfterHeader(retryAfterMs);
      if (reason === "unauthorized") headers["WWW-Authenticate"] = 'Bearer realm="zebbra-integrations"';
      return c.json(errorBody(reason, message), statusOf(reason), headers);
    }
    if (err instanceof HTTPException) return c.json(errorBody("http_error", err.message || "Request failed"), err.status);
    // Unexpected: log with the stack (never request data that could hold secrets) and answer a bare 500.
    console.error("unhandled error", c.req.method, new URL(c.req.url).pathname, err);
    return c.json(errorBody("internal_error", "Internal server error"), 500);
  });
  return api.app;
}
