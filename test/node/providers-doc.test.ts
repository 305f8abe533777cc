// docs/providers.md is generated from the registry; this fails when someone forgot to regenerate it.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { providerList } from "../../src/providers/registry";
import { renderProvidersDoc } from "../../scripts/providers-doc";

describe("docs/providers.md", () => {
  it("should match the registry (npm run docs:providers regenerates it)", () => {
    const committed = readFileSync(new URL("../../docs/providers.md", import.meta.url), "utf8");
    expect(committed, "docs/providers.md is stale: run npm run docs:providers").toBe(renderProvidersDoc(providerList));
  });

  it("should have one row per provider", () => {
    const rows = renderProvidersDoc(providerList)
      .split("\n")
      .filter((line) => /^\| (?!provider |---)/.test(line));
    expect(rows.map((r) => r.split(" | ")[0]!.replace(/^\| /, "").split(" ")[0])).toEqual(
      providerList.map((p) => p.name),
    );
  });
});
