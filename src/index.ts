// Worker entry: HTTP API, cron trigger and queue consumer, plus the Durable Object class.
import { createApp } from "./edge/app";
import { consumeFetches } from "./jobs/consumer";
import { runScheduled } from "./jobs/scheduled";

export { WorkspaceDO } from "./workspace/do";

const app = createApp();

export default {
  fetch: app.fetch,
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(runScheduled(controller, env));
  },
  async queue(batch, env, _ctx) {
    await consumeFetches(batch, env);
  },
} satisfies ExportedHandler<Env>;
