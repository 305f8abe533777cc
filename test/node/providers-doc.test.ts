// Everything that lists providers is generated from the folders under src/providers/ by
// `npm run providers:generate`; this fails when someone added, renamed or removed a folder (or
// changed a declaration) without regenerating.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { providerList } from "../../src/providers/registry";
import { renderProvidersDoc } from "../../scripts/providers-doc";
import {
  PROVIDERS_DOC,
  PROVIDERS_INDEX,
  providerFolders,
  renderProvidersIndex,
} from "../../scripts/providers-generate";

const committed = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");
const STALE = "is stale: run npm run providers:generate";

describe("the generated provider listings", () => {
  it("should import every provider folder in src/providers/index.generated.ts", () => {
    expect(committed(PROVIDERS_INDEX), `${PROVIDERS_INDEX} ${STALE}`).toBe(renderProvidersIndex(providerFolders()));
  });

  it("should match the registry in docs/providers.md", () => {
    expect(committed(PROVIDERS_DOC), `${PROVIDERS_DOC} ${STALE}`).toBe(renderProvidersDoc(providerList));
  });

  it("should have one row per provider in docs/providers.md", () => {
    const rows = renderProvidersDoc(providerList)
      .split("\n")
      .filter((line) => /^\| (?!provider |---)/.test(line));
    expect(rows.map((r) => r.split(" | ")[0]!.replace(/^\| /, "").split(" ")[0])).toEqual(
      providerList.map((p) => p.name),
    );
  });
});
