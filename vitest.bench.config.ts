// `npm run bench` (first part): the benchmarks in bench/*.bench.ts run inside workerd like the tests
// (real Durable Objects, D1 and queues, fake providers over HTTP), print their figures and record them
// for bench/results/; they assert nothing about time. bench/weight.ts and bench/routes.ts follow.
import { defineConfig } from "vitest/config";
import { BenchResultsReporter } from "./bench/results-reporter.ts";
import { workersProject } from "./vitest.config.ts";

const project = workersProject("bench", ["bench/**/*.bench.ts"]);

export default defineConfig({
  plugins: project.plugins,
  test: {
    ...project.test,
    testTimeout: 600_000,
    hookTimeout: 60_000,
    reporters: ["default", new BenchResultsReporter()],
    silent: false,
  },
});
