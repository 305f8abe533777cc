// What every provider module owes its readers, read from the source: its variables in
// .dev.vars.example (where a user finds what to set, and the only variables there besides the
// worker-wide ones .dev.vars.types lists) and docs/providers.md; a catalogue provider (no adapter)
// declared in at most 16 lines besides its name (its tenant lookup and pin included; helpers such as
// the lookup's schema sit above it), with the documentation it was taken from cited in its header.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { providerList } from "../../src/providers/registry";

const root = new URL("../../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), "utf8");
const devVars = read(".dev.vars.example");
const providersDoc = read("docs/providers.md");
/** The names a `.env`-style file sets, commented-out ones excluded. */
const variables = (text: string) => [...text.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!);

describe.each(providerList)("provider $name", (provider) => {
  it("should have its variables in .dev.vars.example and docs/providers.md", () => {
    for (const suffix of ["CLIENT_ID", "CLIENT_SECRET"])
      expect(devVars).toMatch(new RegExp(`^${provider.envPrefix}_${suffix}=`, "m"));
    expect(providersDoc).toContain(`\`${provider.envPrefix}_*\``);
  });
});

describe(".dev.vars.example", () => {
  it("should set only worker-wide variables (.dev.vars.types) and registered providers' ones", () => {
    const workerWide = new Set(variables(read(".dev.vars.types")));
    const prefixes = providerList.map((p) => `${p.envPrefix}_`);
    const strays = variables(devVars).filter((v) => !workerWide.has(v) && !prefixes.some((p) => v.startsWith(p)));
    expect(strays).toEqual([]);
    expect([...workerWide].filter((v) => !variables(devVars).includes(v))).toEqual([]);
  });
});

const catalogueFolders = readdirSync(new URL("src/providers/", root), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .filter((name) => /^\s*apiType: null,$/m.test(read(`src/providers/${name}/index.ts`)));

describe.each(catalogueFolders)("catalogue provider src/providers/%s", (folder) => {
  const source = read(`src/providers/${folder}/index.ts`);

  // Its `name` line not counted: it stands for the registry entry the count was set without.
  it("should be declared in at most 16 lines besides its name", () => {
    const declaration = /^export default defineProvider\(\{$[\s\S]*?^\}\);$/m.exec(source)?.[0];
    expect(declaration, "an `export default defineProvider({ … });` block").toBeDefined();
    const lines = declaration!
      .split("\n")
      .filter((line) => line.trim() !== "" && !line.trim().startsWith("//") && !/^\s*name: "\w+",$/.test(line));
    expect(lines.length).toBeLessThanOrEqual(16);
  });

  it("should cite the provider's documentation in its header comment", () => {
    const header = source.split("\nimport ")[0]!;
    expect(header).toMatch(/^\/\/ /);
    expect(header).toMatch(/https:\/\/\S+/);
  });
});
