// `npm run bench`: the benchmarks in bench/ run inside workerd like the tests (real Durable Objects,
// D1 and queues, fake providers over HTTP) and print their figures; they assert nothing about time.
import { defineConfig } from "vitest/config";
import { workersProject } from "./vitest.config.ts";

const project = workersProject("bench", ["bench/**/*.bench.ts"]);

export default defineConfig({
  plugins: project.plugins,
  test: { ...project.test, testTimeout: 600_000, hookTimeout: 60_000, reporters: ["default"], silent: false },
});
