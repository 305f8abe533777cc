// Writes what each workerd benchmark records in `task.meta.benchResult` to
// bench/results/<name>.json (the benchmarks run inside workerd and cannot write files themselves).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Reporter, TestCase } from "vitest/node";

const RESULTS = new URL("./results/", import.meta.url).pathname;

export class BenchResultsReporter implements Reporter {
  onTestCaseResult(testCase: TestCase): void {
    const result = testCase.meta().benchResult;
    if (!result) return;
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(
      join(RESULTS, `${result.name}.json`),
      `${JSON.stringify({ measured_at: new Date().toISOString(), ...(result.figures as object) }, null, 2)}\n`,
    );
  }
}
