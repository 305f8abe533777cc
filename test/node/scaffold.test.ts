// The provider generator (scaffold/), run as a user runs it, in a temporary copy of the repository
// (node_modules linked, not reinstalled): refusals change nothing, an interrupted run is undone, and
// right after scaffolding the project typechecks and the generated tests pass unedited.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = new URL("../..", import.meta.url).pathname;
/** Not copied: installed packages (linked instead), git data, local wrangler state, build output. */
const SKIP = new Set(["node_modules", ".git", ".wrangler", "dist"]);

let repo = "";

/** The copy's node_modules: a link per package, so Vite's caches (.vite, .vite-temp) stay inside the copy. */
function linkNodeModules(into: string): void {
  mkdirSync(join(into, "node_modules"));
  for (const entry of readdirSync(join(ROOT, "node_modules"))) {
    if (!entry.startsWith(".vite") && entry !== ".cache")
      symlinkSync(join(ROOT, "node_modules", entry), join(into, "node_modules", entry));
  }
}

/** Every file (by content hash) and directory of the copy, outside node_modules and .wrangler. */
function tree(dir = repo, out: Record<string, string> = {}): Record<string, string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const rel = relative(repo, path);
    if (rel === "node_modules" || rel === ".wrangler") continue;
    if (entry.isDirectory()) {
      out[`${rel}/`] = "dir";
      tree(path, out);
    } else out[rel] = createHash("sha256").update(readFileSync(path)).digest("hex");
  }
  return out;
}

/** Child processes get a plain environment: not the outer vitest's markers, no colours. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", CI: "true", ...extra };
  for (const key of Object.keys(env)) if (key.startsWith("VITEST") || key === "FORCE_COLOR") delete env[key];
  return env;
}

function scaffold(args: string[], extraEnv: Record<string, string> = {}) {
  const res = spawnSync(process.execPath, ["scaffold/scaffold.ts", ...args], {
    cwd: repo,
    encoding: "utf8",
    env: childEnv(extraEnv),
  });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

function npx(args: string[]) {
  const res = spawnSync("npx", args, { cwd: repo, encoding: "utf8", env: childEnv(), timeout: 110_000 });
  return { status: res.status, output: `${res.stdout}${res.stderr}` };
}

const registryNames = () => {
  const source = readFileSync(join(repo, "src/providers/registry.ts"), "utf8");
  const block = /defineRegistry\(\{\n([\s\S]*?)\n\}\);/.exec(source)?.[1] ?? "";
  return block.split("\n").map((l) => l.trim().split(":")[0] ?? "");
};

/** Lines a person writes in a provider declaration: not blank, not a comment. */
const declarativeLines = (source: string) =>
  source.split("\n").filter((l) => l.trim() !== "" && !l.trim().startsWith("//")).length;

beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), "zebbra-scaffold-"));
  cpSync(ROOT, repo, { recursive: true, filter: (src) => !SKIP.has(relative(ROOT, src).split("/")[0] ?? "") });
  linkNodeModules(repo);
});
afterAll(() => {
  if (repo) rmSync(repo, { recursive: true, force: true });
});

describe("npm run scaffold", () => {
  it("should explain itself with --help", () => {
    const res = scaffold(["--help"]);
    expect(res.status).toBe(0);
    expect(res.stdout).toContain("--type");
    expect(res.stdout).toContain("--dry-run");
  });

  it.each([
    ["empty", "", /empty/],
    ["not alphanumeric", "x-y", /letters and digits only/],
    ["an existing provider", "Xero", /exists already/],
    ["an existing provider in another case", "xero", /exists already/],
    ["200 characters", "a".repeat(200), /200 characters/],
  ])("should refuse a name that is %s with exit 2, writing nothing", (_, name, message) => {
    const before = tree();
    const res = scaffold([name, "--type", "accounting"]);
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(message);
    expect(tree()).toEqual(before);
  });

  it.each([
    ["a missing --type", ["Acme"]],
    ["an unknown --type", ["Acme", "--type", "crm"]],
    ["two names", ["Acme", "Beta", "--type", "payroll"]],
    ["an unknown option", ["Acme", "--type", "payroll", "--force"]],
    ["no name", ["--type", "payroll"]],
  ])("should refuse %s with exit 2 and the usage", (_, args) => {
    const before = tree();
    const res = scaffold(args);
    expect(res.status).toBe(2);
    expect(res.stderr).toContain("Usage: npm run scaffold");
    expect(tree()).toEqual(before);
  });

  it("should list every file of a dry run and write nothing", () => {
    const before = tree();
    const res = scaffold(["Acme", "--type", "accounting", "--dry-run"]);
    expect(res.status).toBe(0);
    for (const path of [
      "src/providers/acme/index.ts",
      "src/providers/acme/normalize.ts",
      "test/acme.test.ts",
      "docs/providers/acme.md",
      ".dev.vars.example",
      "src/providers/registry.ts",
      "docs/providers.md",
    ]) {
      expect(res.stdout).toContain(path);
    }
    expect(tree()).toEqual(before);
  });

  it.each(["normalize", "test", "register", "providers-doc"])(
    "should undo everything when interrupted before the %s step",
    (step) => {
      const before = tree();
      const res = scaffold(["Acme", "--type", "accounting"], { SCAFFOLD_FAIL_AT: step });
      expect(res.status).toBe(1);
      expect(res.stderr).toContain("undone");
      expect(tree()).toEqual(before);
    },
  );

  it("should refuse a name whose files were left behind unregistered", () => {
    mkdirSync(join(repo, "src/providers/orphan"));
    try {
      const res = scaffold(["Orphan", "--type", "payroll"]);
      expect(res.status).toBe(2);
      expect(res.stderr).toMatch(/src\/providers\/orphan exists.*not registered/s);
    } finally {
      rmSync(join(repo, "src/providers/orphan"), { recursive: true });
    }
  });

  it("should write, register (sorted) and report an accounting and a payroll provider", () => {
    const acme = scaffold(["Acme", "--type", "accounting"]);
    expect(acme.status, acme.stderr).toBe(0);
    for (const path of [
      "src/providers/acme/index.ts",
      "src/providers/acme/normalize.ts",
      "test/acme.test.ts",
      "docs/providers/acme.md",
    ]) {
      expect(existsSync(join(repo, path))).toBe(true);
      expect(acme.stdout).toContain(path);
    }
    expect(acme.stdout).toMatch(
      /Changed:[\s\S]*\.dev\.vars\.example[\s\S]*src\/providers\/registry\.ts[\s\S]*docs\/providers\.md/,
    );
    expect(acme.stdout).toContain("Next steps");
    const zenpay = scaffold(["Zenpay", "--type", "payroll"]);
    expect(zenpay.status, zenpay.stderr).toBe(0);

    const names = registryNames();
    expect(names).toEqual(expect.arrayContaining(["Acme", "Zenpay"]));
    expect(names).toEqual([...names].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())));
    const registry = readFileSync(join(repo, "src/providers/registry.ts"), "utf8");
    expect(registry).toContain('import { acme } from "./acme";\nimport { gusto } from "./gusto";');
    expect(registry).toContain('import { zenpay } from "./zenpay";');
    expect(readFileSync(join(repo, ".dev.vars.example"), "utf8")).toMatch(
      /^ACME_CLIENT_ID=\nACME_CLIENT_SECRET=\n[\s\S]*^ZENPAY_CLIENT_ID=$/m,
    );
    const providersDoc = readFileSync(join(repo, "docs/providers.md"), "utf8");
    expect(providersDoc).toContain("| Acme | accounting | API call after connecting | — | — | `ACME_*` |");
    expect(providersDoc).toContain("| Zenpay | payroll | API call after connecting | — | — | `ZENPAY_*` |");
    // The aim: a standard OAuth 2.0 provider is at most 25 lines a person writes.
    for (const slug of ["acme", "zenpay"])
      expect(declarativeLines(readFileSync(join(repo, `src/providers/${slug}/index.ts`), "utf8"))).toBeLessThanOrEqual(
        25,
      );
  });

  it.each(["Acme", "ACME", "zenpay"])("should refuse a second run for %s, touching nothing", (name) => {
    const before = tree();
    const res = scaffold([name, "--type", "payroll"]);
    expect(res.status).toBe(2);
    expect(res.stderr).toContain("exists already");
    expect(tree()).toEqual(before);
  });

  it("should typecheck, and pass the generated tests unedited", () => {
    for (const project of ["tsconfig.json", "test/tsconfig.json", "tsconfig.node.json"]) {
      const tsc = npx(["tsc", "-p", project, "--noEmit"]);
      expect(tsc.status, `tsc -p ${project}\n${tsc.output}`).toBe(0);
    }
    const vitest = npx(["vitest", "run", "--project", "workers", "test/acme.test.ts", "test/zenpay.test.ts"]);
    expect(vitest.status, vitest.output).toBe(0);
    expect(vitest.output).toMatch(/Test Files\s+2 passed/);
  });
});
