// Worker entry: HTTP API, cron trigger and queue consumer, plus the Durable Object class.
import { createApp } from "./app";

export { WorkspaceDO } from "./workspace/do";

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
