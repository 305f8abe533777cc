// src/edge/sandbox/data.json is generated from the recorded fixtures; this fails when it is stale
// or hand-edited (npm run sandbox:data rewrites it).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderSandboxData, sandboxData } from "../../scripts/sandbox-data.ts";

describe("src/edge/sandbox/data.json", () => {
  it("should be what scripts/sandbox-data.ts makes from test/fixtures/", () => {
    const committed = readFileSync(new URL("../../src/edge/sandbox/data.json", import.meta.url), "utf8");
    expect(committed, "stale: run npm run sandbox:data").toBe(renderSandboxData());
  });

  it("should hold twelve months for every line and a salary unit for every employee", () => {
    const data = sandboxData();
    expect(data.lines.length).toBeGreaterThan(20);
    expect(data.lines.every((l) => l.byMonth.length === 12 && l.byMonth.every(Number.isFinite))).toBe(true);
    expect(new Set(data.lines.map((l) => l.title)).size).toBe(data.lines.length);
    expect(data.employees.length).toBeGreaterThan(10);
  });
});
