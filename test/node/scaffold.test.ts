// The provider generator (scaffold/), run as a user runs it, in a temporary copy of the repository
// as committed (node_modules linked, not reinstalled): refusals change nothing, an interrupted run is
// undone, and right after scaffolding the project passes every CI check (types, Prettier, ESLint,
// tsc) and its whole test suite. It asserts only what the scaffold adds, never the registry's full
// contents, and picks provider names the copy does not hold: a user's tree may have any providers.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import type { JsonTestResults } from "vitest/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = new URL("../..", import.meta.url).pathname;
/** Set for the whole-suite run inside the copy, which must not start another one. */
const SUITE_ENV = "ZEBBRA_SCAFFOLD_SUITE";
const IN_SUITE_COPY = process.env[SUITE_ENV] === "1";
/** Not copied from a working tree: packages (linked instead), git data, local state and secrets, build output. */
const SKIP = new Set(["node_modules", ".git", ".wrangler", ".dev.vars", "dist"]);

let repo = "";
/** Where the copy came from, for failure messages. */
let source = "";

/**
 * The repository as committed (`git archive HEAD`): what a user scaffolded or edited but did not
 * commit stays out. Without git data (an unpacked tarball, or the whole-suite run's own copy), or
 * with ZEBBRA_SCAFFOLD_FROM=worktree (to test uncommitted scaffold changes), the working tree.
 */
function copyRepository(into: string): string {
  if (existsSync(join(ROOT, ".git")) && process.env.ZEBBRA_SCAFFOLD_FROM !== "worktree") {
    const archive = spawnSync("git", ["archive", "--format=tar", "HEAD"], { cwd: ROOT, maxBuffer: 1 << 30 });
    if (archive.status !== 0)
      throw new Error(`git archive HEAD failed: ${archive.error?.message ?? ""}${archive.stderr.toString()}`);
    const untar = spawnSync("tar", ["-x", "-C", into], { input: archive.stdout });
    if (untar.status !== 0) throw new Error(`tar -x failed: ${untar.error?.message ?? ""}${untar.stderr.toString()}`);
    return "git archive HEAD";
  }
  cpSync(ROOT, into, { recursive: true, filter: (src) => !SKIP.has(relative(ROOT, src).split("/")[0] ?? "") });
  return "the working tree";
}

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
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NO_COLOR: "1",
    CI: "true",
    WRANGLER_SEND_METRICS: "false",
    WRANGLER_SEND_ERROR_REPORTS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    ...extra,
  };
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

/**
 * Runs a command in the copy without blocking this worker, so several can run side by side; ends
 * its whole process group (vitest, workerd, wrangler) after `timeoutMs`.
 */
function run(command: string, args: string[], timeoutMs: number, env: Record<string, string> = {}) {
  const child = spawn(command, args, {
    cwd: repo,
    env: childEnv(env),
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => {
    try {
      if (child.pid) process.kill(-child.pid, "SIGKILL");
    } catch {
      // Gone already: it exited while the timer fired.
    }
  }, timeoutMs);
  return new Promise<{ command: string; exit: string; output: string }>((resolve) => {
    const done = (exit: string) => {
      clearTimeout(timer);
      resolve({ command: [command, ...args].join(" "), exit, output });
    };
    child.on("error", (err) => done(`failed to start: ${err.message}`));
    child.on("close", (code, signal) => done(signal ? `killed by ${signal}` : `exit ${code}`));
  });
}

/** The copy's registry keys, in order (an entry Prettier wrapped has its key on the first line). */
const registryNames = () => {
  const registry = readFileSync(join(repo, "src/providers/registry.ts"), "utf8");
  const block = /defineRegistry\(\{\n([\s\S]*?)\n\}\);/.exec(registry)?.[1] ?? "";
  return block.split("\n").flatMap((l) => /^\s*"?([A-Za-z0-9]+)"?\s*:/.exec(l)?.[1] ?? []);
};

/** The registry's provider imports (`from "./<slug>"`), in order. */
const registryImports = () =>
  [...readFileSync(join(repo, "src/providers/registry.ts"), "utf8").matchAll(/from "\.\/([^"]+)";$/gm)].map(
    (m) => m[1] ?? "",
  );

/** A name the scaffold accepts in the copy: `base`, else `base2`, `base3`… (a user's tree may hold `base`). */
function freshName(base: string): string {
  for (let n = 1; n < 100; n++) {
    const name = n === 1 ? base : `${base}${n}`;
    const res = scaffold([name, "--type", "payroll", "--dry-run"]);
    if (res.status === 0) return name;
    if (res.status !== 2 || !res.stderr.includes("exists already"))
      throw new Error(`dry run for ${name}: ${res.stderr}`);
  }
  throw new Error(`no free name like ${base}`);
}

/** The paths listed under `title:` in a run's summary. */
function listed(stdout: string, title: string): string[] {
  const section = new RegExp(`^${title}:\\n((?:  .*\\n)*)`, "m").exec(stdout)?.[1] ?? "";
  return section.split("\n").flatMap((l) => l.trim().split(/\s+/)[0] || []);
}

/** Lines a person writes in a provider declaration: not blank, not a comment. */
const declarativeLines = (source: string) =>
  source.split("\n").filter((l) => l.trim() !== "" && !l.trim().startsWith("//")).length;

/** An excerpt of a vitest run's output that shows what failed: from its first failures section, else its end. */
function failureExcerpt(output: string): string {
  const from = /⎯+ (Failed Suites|Failed Tests|Unhandled Errors?)\b/.exec(output)?.index ?? -1;
  const excerpt = from >= 0 ? output.slice(from) : output.split("\n").slice(-80).join("\n");
  return excerpt.length > 20_000 ? `${excerpt.slice(0, 20_000)}\n…` : excerpt;
}

/** Names the tests scaffold, chosen in beforeAll. */
const names = { accounting: "", payroll: "", orphan: "", existing: "" };
/** Every file the two scaffold runs reported as created or changed. */
const written = new Set<string>();

beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), "zebbra-scaffold-"));
  source = copyRepository(repo);
  linkNodeModules(repo);
  names.accounting = freshName("Acme");
  names.payroll = freshName("Zenpay");
  names.orphan = freshName("Orphan");
  names.existing = registryNames()[0] ?? "";
}, 60_000);
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

  /** The same letters in another case. */
  const otherCase = (name: string) => (name === name.toLowerCase() ? name.toUpperCase() : name.toLowerCase());

  it.each([
    ["empty", () => "", /empty/],
    ["not alphanumeric", () => "x-y", /letters and digits only/],
    ["an existing provider", () => names.existing, /exists already/],
    ["an existing provider in another case", () => otherCase(names.existing), /exists already/],
    ["200 characters", () => "a".repeat(200), /200 characters/],
  ])("should refuse a name that is %s with exit 2, writing nothing", (_, name, message) => {
    const before = tree();
    const res = scaffold([name(), "--type", "accounting"]);
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(message);
    expect(tree()).toEqual(before);
  });

  it.each([
    ["a missing --type", () => [names.accounting]],
    ["an unknown --type", () => [names.accounting, "--type", "crm"]],
    ["two names", () => [names.accounting, names.payroll, "--type", "payroll"]],
    ["an unknown option", () => [names.accounting, "--type", "payroll", "--force"]],
    ["no name", () => ["--type", "payroll"]],
  ])("should refuse %s with exit 2 and the usage", (_, args) => {
    const before = tree();
    const res = scaffold(args());
    expect(res.status).toBe(2);
    expect(res.stderr).toContain("Usage: npm run scaffold");
    expect(tree()).toEqual(before);
  });

  it("should list every file of a dry run and write nothing", () => {
    const before = tree();
    const slug = names.accounting.toLowerCase();
    const res = scaffold([names.accounting, "--type", "accounting", "--dry-run"]);
    expect(res.status).toBe(0);
    expect(listed(res.stdout, "Would create")).toEqual([
      `src/providers/${slug}/normalize.ts`,
      `src/providers/${slug}/index.ts`,
      `test/${slug}.test.ts`,
      `docs/providers/${slug}.md`,
    ]);
    expect(listed(res.stdout, "Would change")).toEqual([
      ".dev.vars.example",
      "src/providers/registry.ts",
      "docs/providers.md",
      "worker-configuration.d.ts",
    ]);
    expect(tree()).toEqual(before);
  });

  it.each(["normalize", "test", "register", "providers-doc", "types"])(
    "should undo everything when interrupted before the %s step",
    (step) => {
      const before = tree();
      const res = scaffold([names.accounting, "--type", "accounting"], { SCAFFOLD_FAIL_AT: step });
      expect(res.status).toBe(1);
      expect(res.stderr).toContain("undone");
      expect(tree()).toEqual(before);
    },
  );

  it("should undo everything, the types included, when npm run types fails", () => {
    const packageJson = join(repo, "package.json");
    const original = readFileSync(packageJson, "utf8");
    const pkg = JSON.parse(original) as { scripts: Record<string, string> };
    // Writes half a file, then fails: the undo must restore what was there.
    pkg.scripts.types = `node -e "require('fs').writeFileSync('worker-configuration.d.ts', 'partial'); process.exit(3)"`;
    writeFileSync(packageJson, JSON.stringify(pkg, null, 2));
    try {
      const before = tree();
      const res = scaffold([names.accounting, "--type", "accounting"]);
      expect(res.status).toBe(1);
      expect(res.stderr).toContain("npm run types failed");
      expect(res.stderr).toContain("undone");
      expect(tree()).toEqual(before);
    } finally {
      writeFileSync(packageJson, original);
    }
  });

  it("should refuse a name whose files were left behind unregistered", () => {
    const slug = names.orphan.toLowerCase();
    mkdirSync(join(repo, "src/providers", slug));
    try {
      const res = scaffold([names.orphan, "--type", "payroll"]);
      expect(res.status).toBe(2);
      expect(res.stderr).toMatch(new RegExp(`src/providers/${slug} exists.*not registered`, "s"));
    } finally {
      rmSync(join(repo, "src/providers", slug), { recursive: true });
    }
  });

  it.each([
    ["an accounting", "accounting"],
    ["a payroll", "payroll"],
  ] as const)("should write, register (sorted) and report %s provider, changing nothing else", (_, type) => {
    const name = names[type];
    const slug = name.toLowerCase();
    const prefix = name.toUpperCase();
    const before = tree();
    const registryBefore = registryNames();
    const devVarsBefore = readFileSync(join(repo, ".dev.vars.example"), "utf8");

    const res = scaffold([name, "--type", type]);
    expect(res.status, res.stderr).toBe(0);
    const created = listed(res.stdout, "Created");
    const changed = listed(res.stdout, "Changed");
    expect(created).toEqual([
      `src/providers/${slug}/normalize.ts`,
      `src/providers/${slug}/index.ts`,
      `test/${slug}.test.ts`,
      `docs/providers/${slug}.md`,
    ]);
    expect(changed).toEqual([
      ".dev.vars.example",
      "src/providers/registry.ts",
      "docs/providers.md",
      "worker-configuration.d.ts",
    ]);
    expect(res.stdout).toContain("Next steps");
    for (const path of [...created, ...changed]) written.add(path);

    // Exactly the files it reported, and the folders they need.
    const after = tree();
    const added = Object.keys(after).filter((p) => !(p in before));
    expect(added.filter((p) => !p.endsWith("/")).sort()).toEqual([...created].sort());
    for (const dir of added.filter((p) => p.endsWith("/"))) expect(created.some((p) => p.startsWith(dir))).toBe(true);
    expect(
      Object.keys(before)
        .filter((p) => after[p] !== before[p])
        .sort(),
    ).toEqual([...changed].sort());

    // Registered once, between its neighbours, with its import between theirs.
    const registry = registryNames();
    expect(registry.filter((n) => n !== name)).toEqual(registryBefore);
    const at = registry.indexOf(name);
    const [previous, next] = [registry[at - 1], registry[at + 1]];
    if (previous !== undefined) expect(previous.toLowerCase() < slug).toBe(true);
    if (next !== undefined) expect(next.toLowerCase() > slug).toBe(true);
    const imports = registryImports();
    const importAt = imports.indexOf(slug);
    expect(importAt).toBeGreaterThanOrEqual(0);
    if (importAt > 0) expect((imports[importAt - 1] ?? "") < slug).toBe(true);
    if (importAt < imports.length - 1) expect((imports[importAt + 1] ?? "") > slug).toBe(true);

    const devVars = readFileSync(join(repo, ".dev.vars.example"), "utf8");
    expect(devVars.startsWith(devVarsBefore.replace(/\n*$/, "\n"))).toBe(true);
    expect(devVars.slice(devVarsBefore.length)).toMatch(
      new RegExp(`^${prefix}_CLIENT_ID=\\n${prefix}_CLIENT_SECRET=$`, "m"),
    );
    expect(readFileSync(join(repo, "docs/providers.md"), "utf8")).toContain(
      `| ${name} | ${type} | API call after connecting | default: 10 concurrent, 1200/min per tenant | — | \`${prefix}_*\` |`,
    );
    const workerTypes = readFileSync(join(repo, "worker-configuration.d.ts"), "utf8");
    expect(workerTypes).toContain(`${prefix}_CLIENT_ID: string;`);
    expect(workerTypes).toContain(`${prefix}_CLIENT_SECRET: string;`);
    // The aim: a standard OAuth 2.0 provider is at most 25 lines a person writes.
    expect(declarativeLines(readFileSync(join(repo, `src/providers/${slug}/index.ts`), "utf8"))).toBeLessThanOrEqual(
      25,
    );
  });

  it.each([
    ["the accounting provider", () => names.accounting],
    ["the accounting provider in upper case", () => names.accounting.toUpperCase()],
    ["the payroll provider in lower case", () => names.payroll.toLowerCase()],
  ])("should refuse a second run for %s, touching nothing", (_, name) => {
    const before = tree();
    const res = scaffold([name(), "--type", "payroll"]);
    expect(res.status).toBe(2);
    expect(res.stderr).toContain("exists already");
    expect(tree()).toEqual(before);
  });

  it("should leave its files Prettier- and ESLint-clean, the types up to date and the project typechecked", async () => {
    expect(written.size).toBeGreaterThan(0);
    const sources = [...written].filter((p) => p.endsWith(".ts") && !p.endsWith(".d.ts"));
    // What CI runs, side by side: they only read the copy.
    const checks = await Promise.all([
      run("npm", ["run", "types:check"], 300_000),
      // --ignore-unknown: .dev.vars.example has no Prettier parser; .prettierignore'd files are skipped.
      run("npx", ["prettier", "--check", "--ignore-unknown", ...written], 300_000),
      run("npx", ["eslint", "--max-warnings", "0", ...sources], 300_000),
      run("npm", ["run", "typecheck"], 300_000),
    ]);
    for (const check of checks) expect(check.exit, `${check.command}\n${check.output}`).toBe("exit 0");
  }, 600_000);

  // The generated tests run with the rest: nothing in the suite may assume which providers exist.
  it.skipIf(IN_SUITE_COPY)(
    "should pass the whole test suite in the scaffolded copy",
    async () => {
      mkdirSync(join(repo, ".wrangler"), { recursive: true });
      const results = join(repo, ".wrangler", "scaffold-suite.json");
      // Vitest's default workers, as in CI: one more (this one only waits) saves a third of the time
      // but makes the timing-sensitive tests (test/linearizable.test.ts) flaky on two cores.
      const { exit, output } = await run(
        "npx",
        ["vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${results}`],
        17 * 60_000,
        { [SUITE_ENV]: "1" },
      );

      let report = `npx vitest run in the scaffolded copy (${source}, ${repo}): ${exit}`;
      if (exit !== "exit 0") {
        const log = join(tmpdir(), `zebbra-scaffold-suite-${Date.now()}.log`);
        writeFileSync(log, output);
        report += `; its whole output is in ${log}\n\n${failureExcerpt(output)}`;
      }
      expect(exit, report).toBe("exit 0");

      const json = JSON.parse(readFileSync(results, "utf8")) as JsonTestResults;
      for (const slug of [names.accounting, names.payroll].map((n) => n.toLowerCase())) {
        const file = json.testResults.find((r) => r.name.endsWith(`/test/${slug}.test.ts`));
        expect(file?.status, `test/${slug}.test.ts in the suite's results`).toBe("passed");
      }
      // Only this test sat out (it would start the suite again); everything else ran.
      const skipped = json.testResults.flatMap((r) =>
        r.assertionResults.filter((a) => a.status !== "passed").map((a) => a.fullName),
      );
      expect(skipped).toEqual([expect.stringContaining("should pass the whole test suite in the scaffolded copy")]);
    },
    18 * 60_000,
  );
});
