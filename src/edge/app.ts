// Builds the Hono app: every route, one error handler, one not-found handler. `AppType` is the typed
// API for a host app's `hc<AppType>()` client (hono/client).
import type { Handler } from "hono";
// hono/tiny (PatternRouter) in every file that makes a Hono app: a route is one regular expression,
// and the bundle carries no RegExpRouter/TrieRouter/SmartRouter (~2.4 KiB gzip, docs/development.md).
// Mounted apps hand their routes to this one's router, so one file left on "hono" would bring them back.
import { Hono } from "hono/tiny";
import { cors } from "hono/cors";
import { createMiddleware } from "hono/factory";
import { HTTPException } from "hono/http-exception";
import { FailureError } from "../framework/failure";
import {
  appOrigins,
  type ConfigProblem,
  configProblems,
  isDevelopment,
  isLoopbackHost,
  rememberLocalOrigin,
} from "../framework/settings";
import { availableProviders } from "../providers/registry";
import { describe } from "./docs";
import type { AppEnv } from "./env";
import { errorBody, notFound, retryAfterHeader, statusOf } from "./errors";
import { adminRoutes } from "./routes/admin";
import { connectSessionRoutes } from "./routes/connect-sessions";
import { connectionRoutes } from "./routes/connections";
import { dataRoutes } from "./routes/data";
import { mcpRoutes } from "./routes/mcp";
import { metaRoutes } from "./routes/meta";
import { oauthRoutes } from "./routes/oauth";
import { providerWebhookRoutes } from "./routes/provider-webhooks";
import { proxyRoutes } from "./routes/proxy";
import { webhookRoutes } from "./routes/webhooks";

/** A provider's webhook route: called server to server by the provider, never from a browser. */
const PROVIDER_WEBHOOK_PATH = /^\/integration\/[a-z0-9]+\/webhooks$/;

/**
 * CORS for the host app's origins only (APP_ORIGIN's list); any other origin gets no CORS header at
 * all, and neither does a provider's webhook route.
 */
const appOriginCors = (() => {
  const allow = cors({
    origin: (origin) => origin,
    allowMethods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
    allowHeaders: ["Authorization", "Content-Type"],
    exposeHeaders: ["Retry-After"],
    maxAge: 600,
  });
  return createMiddleware<AppEnv>(async function appOriginCors(c, next) {
    const origin = c.req.header("Origin");
    const providerWebhook = PROVIDER_WEBHOOK_PATH.test(new URL(c.req.url).pathname);
    if (origin !== undefined && !providerWebhook && appOrigins(c.env).includes(origin)) return allow(c, next);
    await next();
  });
})();

/**
 * Development surfaces (the console, the sandbox and its providers, /docs) are for a local run only:
 * a request that reaches a development deploy on any other host is served as production would
 * serve it, so a reachable deploy left in development mints no admin JWT and offers no sandbox.
 */
const localDevelopmentOnly = createMiddleware<AppEnv>(async function localDevelopmentOnly(c, next) {
  if (isDevelopment(c.env)) {
    if (!isLoopbackHost(new URL(c.req.url).hostname)) c.env = { ...c.env, ENVIRONMENT: "" };
    // The sandbox's endpoints are this origin's (settings.ts selfBase).
    else rememberLocalOrigin(c.req.url);
  }
  await next();
});

/**
 * What wrangler's bundler writes in place of `process.env.NODE_ENV`: "production" for
 * `wrangler deploy`, "development" for `wrangler dev`; unset under the tests. A deploy's bundle thus
 * drops the development branch below, and with it every module only that branch imports (the
 * console, the sandbox, Swagger UI, hono-openapi): bytes, not just their evaluation.
 */
declare const process: { readonly env: { readonly NODE_ENV?: string } };

let development: Promise<Hono<AppEnv>> | undefined;

/**
 * `/openapi.json` for `app`: in a deploy, public/openapi.json (wrangler.toml [assets]), generated at
 * build time by `npm run openapi:generate`; elsewhere the live document (./openapi.ts), built on
 * first request once every route is mounted.
 */
function openApiDocument(app: Hono<AppEnv>): Handler<AppEnv> {
  // A block, not an early return: esbuild drops a constant condition's block, and its imports.
  if (process.env.NODE_ENV !== "production") {
    let live: Promise<unknown> | undefined;
    return async function liveOpenApiDocument(c) {
      live ??= import("./openapi").then((m) => m.liveDocument(app));
      return c.json(await live);
    };
  }
  return async function generatedOpenApiDocument(c) {
    return c.env.ASSETS.fetch(c.req.raw);
  };
}

/** An isolate's bindings never change: the configuration is checked once. */
let checked: { env: Env; problems: Promise<ConfigProblem[]> } | undefined;

/**
 * Every route answers 503 until the configuration is safe (settings.ts configProblems). A missing
 * secret or a malformed value is named, as is anything in development; outside development an
 * unsafe value is named only in the log, and a caller gets a generic 503.
 */
const safeConfiguration = createMiddleware<AppEnv>(async function safeConfiguration(c, next) {
  if (checked?.env !== c.env) checked = { env: c.env, problems: configProblems(c.env) };
  const problems = await checked.problems;
  if (problems.length === 0) return next();
  // Naming an absent value, or one that is not even a number, gives nothing away.
  const missing = problems.filter((p) => p.kind === "missing").map((p) => p.variable);
  const invalid = problems.filter((p) => p.kind === "invalid");
  const unsafe = problems.filter((p) => p.kind === "unsafe");
  const named = (list: ConfigProblem[]) => list.map((p) => `${p.variable} ${p.problem}`).join("; ");
  if (unsafe.length > 0) console.error("refusing to serve: the configuration is not safe", named(unsafe));
  const parts = [
    ...(missing.length > 0
      ? [`set ${missing.join(" and ")} (in .dev.vars locally, with wrangler secret put in production)`]
      : []),
    ...(invalid.length > 0 ? [`fix ${named(invalid)}`] : []),
    ...(unsafe.length === 0
      ? []
      : isDevelopment(c.env)
        ? [`fix: ${named(unsafe)}`]
        : ["its configuration is not safe; its operator must fix it (the worker's log says what)"]),
  ];
  throw new FailureError("service_not_configured", `This service is not configured: ${parts.join("; ")}`);
});

function buildApp(env: Env) {
  const app = new Hono<AppEnv>()
    .use(localDevelopmentOnly)
    .use(appOriginCors)
    .use(safeConfiguration)
    .route("/", connectionRoutes)
    .route("/", connectSessionRoutes)
    .route("/", dataRoutes)
    .route("/", metaRoutes)
    .route("/", webhookRoutes)
    .route("/", proxyRoutes)
    .route("/", adminRoutes)
    .route("/", mcpRoutes);
  // Mounted for a development deploy, served to local requests only (localDevelopmentOnly).
  const local = createMiddleware<AppEnv>(async (c, next) => (isDevelopment(c.env) ? next() : notFound(c)));
  for (const provider of availableProviders(env)) {
    if (provider.developmentOnly) app.use(`/integration/${provider.slug}/*`, local);
    app.route("/", oauthRoutes(provider));
    app.route("/", providerWebhookRoutes(provider));
  }
  if (process.env.NODE_ENV !== "production" && isDevelopment(env)) {
    // The console, the sandbox and /docs (./development.ts), loaded on their first request: an
    // isolate evaluates them only once it serves them.
    const developmentRoutes: Handler<AppEnv> = async function developmentRoutes(c) {
      development ??= import("./development").then((m) => m.developmentApp);
      return (await development).fetch(c.req.raw, c.env, c.executionCtx);
    };
    app.use("/sandbox/*", local).use("/", local).use("/docs", local);
    app.all("/sandbox/*", developmentRoutes).get("/", developmentRoutes);
    // Swagger UI loads its scripts from a CDN without subresource integrity, so /docs is a local
    // development page only; /openapi.json, which it renders, is served everywhere.
    app.get(
      "/docs",
      describe(
        process.env.NODE_ENV !== "production" && {
          tag: "Service",
          summary: "Human-readable API reference (Swagger UI) for /openapi.json; local development only",
          access: "public",
          responses: { 200: { description: "HTML page", contentType: "text/html" } },
        },
      ),
      developmentRoutes,
    );
  }

  app.get(
    "/openapi.json",
    describe(
      process.env.NODE_ENV !== "production" && {
        tag: "Service",
        summary: "This API's OpenAPI 3.1 document",
        access: "public",
        responses: { 200: { description: "OpenAPI 3.1 document" } },
      },
    ),
    openApiDocument(app),
  );

  app.notFound(notFound);
  app.onError(function renderError(err, c) {
    if (err instanceof FailureError) {
      const { reason, message, retryAfterMs, tenants } = err.failure;
      const headers = retryAfterHeader(retryAfterMs);
      if (statusOf(reason) === 401) headers["WWW-Authenticate"] = 'Bearer realm="zebbra-integrations"';
      // A choice to make: the body lists what to choose from beside the error.
      const body = tenants ? { ...errorBody(reason, message), tenants } : errorBody(reason, message);
      return c.json(body, statusOf(reason), headers);
    }
    if (err instanceof HTTPException)
      return c.json(errorBody("http_error", err.message || "Request failed"), err.status);
    // Unexpected: log with the stack (never request data that could hold secrets) and answer a bare 500.
    console.error("unhandled error", c.req.method, new URL(c.req.url).pathname, err);
    return c.json(errorBody("internal_error", "Internal server error"), 500);
  });
  return app;
}

/**
 * The app for this deployment's bindings: development-only providers (and, in development, the
 * sandbox and the console) are mounted or not once, since an isolate's bindings never change.
 */
export function createApp(env: Env) {
  return buildApp(env);
}

/** The typed API: `hc<AppType>(baseUrl)` gives a host app a client with every route's input and output. */
export type AppType = ReturnType<typeof buildApp>;
