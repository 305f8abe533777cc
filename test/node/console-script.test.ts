// src/edge/console/script.ts is generated from the TypeScript in src/edge/console/browser/; this
// fails when it is stale or hand-edited (npm run console:build rewrites it).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { OUTPUT, renderConsoleScript } from "../../scripts/console-script.ts";

describe("src/edge/console/script.ts", () => {
  it("should be what scripts/console-script.ts builds from src/edge/console/browser/", async () => {
    expect(readFileSync(OUTPUT, "utf8"), "stale: run npm run console:build").toBe(await renderConsoleScript());
  });
});
