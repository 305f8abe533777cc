// Worker entry: HTTP API, cron trigger and the three queue consumers (dispatch ranges, fetches,
// webhooks), plus the Durable Object class.
import { consumeFetches } from "./jobs/consumer";
import { consumeDispatch, DISPATCH_QUEUE_NAME } from "./jobs/dispatch";
import { runScheduled } from "./jobs/scheduled";
import { consumeWebhooks, WEBHOOK_QUEUE_NAME } from "./jobs/webhooks";

export { WorkspaceDO } from "./workspace/do";

// The HTTP app (routes, their schemas, OpenAPI) is loaded on the first request, not at startup:
// cron, queue and Durable Object invocations never need it, and startup CPU is what every
// isolate pays first.
let app: Promise<{ fetch: ExportedHandlerFetchHandler<Env> }> | undefined;

export default {
  async fetch(request, env, ctx) {
    app ??= import("./edge/app").then((m) => m.createApp(env));
    return (await app).fetch(request, env, ctx);
  },
  scheduled(controller, env, ctx) {
    ctx.waitUntil(runScheduled(controller, env));
  },
  async queue(batch, env, _ctx) {
    if (batch.queue === WEBHOOK_QUEUE_NAME) await consumeWebhooks(batch, env);
    else if (batch.queue === DISPATCH_QUEUE_NAME) await consumeDispatch(batch, env);
    else await consumeFetches(batch, env);
  },
} satisfies ExportedHandler<Env>;
