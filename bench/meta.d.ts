// What a workerd benchmark hands to bench/results-reporter.ts (Node) through vitest's task meta.
import "vitest";

declare module "vitest" {
  interface TaskMeta {
    /** A benchmark's figures and the results file (bench/results/<name>.json) they go to. */
    benchResult?: { name: string; figures: unknown };
  }
}
