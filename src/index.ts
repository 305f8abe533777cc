// Worker entry: HTTP API, cron trigger and queue consumer, plus the Durable Object class.
import { createApp } from "./app";
import { runScheduled } from "./jobs/scheduled";

export { WorkspaceDO } from "./workspace/do";

const app = createApp();

export default {
  fetch: app.fetch,
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(runScheduled(controller, env));
  },
} satisfies ExportedHandler<Env>;
