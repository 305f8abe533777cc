// The provider generator (scaffold/), run as a user runs it, in a temporary copy of the repository
// as committed (node_modules linked, not reinstalled): refusals change nothing, and right after
// scaffolding an accounting and a payroll provider the copy passes what concerns them: types up to
// date (worker-configuration.d.ts untouched), Prettier and ESLint on the new files, tsc, their own
// tests and the contract test over every provider. It asserts only what the scaffold adds, never the
// registry's full contents, and picks provider names the copy does not hold: a user's tree may have
// any providers.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = new URL("../..", import.meta.url).pathname;
/** Not copied from a working tree: packages (linked instead), git data, local state and secrets, build output. */
const SKIP = new Set(["node_modules", ".git", ".wrangler", ".dev.vars", "dist"]);

let repo = "";
/** Where the copy came from, for failure messages. */
let source = "";

/**
 * The repository as committed (`git archive HEAD`): what a user scaffolded or edited but did not
 * commit stays out. Without git data (an unpacked tarball), or
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

function scaffold(args: string[]) {
  const res = spawnSync(process.execPath, ["scaffold/scaffold.ts", ...args], {
    cwd: repo,
    encoding: "utf8",
    env: childEnv(),
  });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

/**
 * Runs a command in the copy without blocking this worker, so several can run side by side; ends
 * its whole process group (vitest, workerd, wrangler) after `timeoutMs`.
 */
function run(command: string, args: string[], timeoutMs: number) {
  const child = spawn(command, args, {
    cwd: repo,
    env: childEnv(),
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

/** The provider folders the copy's generated registry index imports, in order. */
const registeredFolders = () =>
  [...readFileSync(join(repo, "src/providers/index.generated.ts"), "utf8").matchAll(/from "\.\/([^"]+)";$/gm)].map(
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
  names.existing = registeredFolders()[0] ?? "";
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

  /** What a run creates, and changes, in the order it reports them. */
  const creates = (slug: string) => [
    `src/providers/${slug}/normalize.ts`,
    `src/providers/${slug}/index.ts`,
    `test/${slug}.test.ts`,
    `docs/providers/${slug}.md`,
  ];
  const changes = [".dev.vars.example", "src/providers/index.generated.ts", "docs/providers.md", "public/openapi.json"];

  it("should list every file of a dry run and write nothing", () => {
    const before = tree();
    const res = scaffold([names.accounting, "--type", "accounting", "--dry-run"]);
    expect(res.status).toBe(0);
    expect(listed(res.stdout, "Would create")).toEqual(creates(names.accounting.toLowerCase()));
    expect(listed(res.stdout, "Would change")).toEqual(changes);
    expect(tree()).toEqual(before);
  });

  it("should refuse a name whose folder exists, even unregistered", () => {
    const slug = names.orphan.toLowerCase();
    mkdirSync(join(repo, "src/providers", slug));
    try {
      const before = tree();
      const res = scaffold([names.orphan, "--type", "payroll"]);
      expect(res.status).toBe(2);
      expect(res.stderr).toContain(`src/providers/${slug} exists`);
      expect(tree()).toEqual(before);
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
    const foldersBefore = registeredFolders();
    const devVarsBefore = readFileSync(join(repo, ".dev.vars.example"), "utf8");

    const res = scaffold([name, "--type", type]);
    expect(res.status, res.stderr).toBe(0);
    const created = listed(res.stdout, "Created");
    const changed = listed(res.stdout, "Changed");
    expect(created).toEqual(creates(slug));
    expect(changed).toEqual(changes);
    expect(res.stdout).toContain("Next steps");
    for (const path of created) written.add(path);

    // Exactly the files it reported, and the folders they need: worker-configuration.d.ts untouched.
    const after = tree();
    const added = Object.keys(after).filter((p) => !(p in before));
    expect(added.filter((p) => !p.endsWith("/")).sort()).toEqual([...created].sort());
    for (const dir of added.filter((p) => p.endsWith("/"))) expect(created.some((p) => p.startsWith(dir))).toBe(true);
    expect(
      Object.keys(before)
        .filter((p) => after[p] !== before[p])
        .sort(),
    ).toEqual([...changed].sort());

    // Registered once, in folder order, by the generator.
    expect(registeredFolders()).toEqual([...foldersBefore, slug].sort());

    const devVars = readFileSync(join(repo, ".dev.vars.example"), "utf8");
    expect(devVars.startsWith(devVarsBefore.replace(/\n*$/, "\n"))).toBe(true);
    expect(devVars.slice(devVarsBefore.length)).toMatch(
      new RegExp(`^${prefix}_CLIENT_ID=\\n${prefix}_CLIENT_SECRET=$`, "m"),
    );
    expect(readFileSync(join(repo, "docs/providers.md"), "utf8")).toContain(
      `| ${name} | ${type} | API call after connecting | default: 10 concurrent, 1200/min per tenant | — | \`${prefix}_*\` |`,
    );
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

  // Not the whole suite again: what concerns the new providers, side by side (they only read the copy).
  it("should leave the copy typechecked, its types current, its new files clean and their tests passing", async () => {
    expect(written.size).toBeGreaterThan(0);
    const sources = [...written].filter((p) => p.endsWith(".ts"));
    const tests = sources.filter((p) => p.startsWith("test/"));
    const checks = await Promise.all([
      run("npm", ["run", "types:check"], 300_000),
      run("npx", ["prettier", "--check", ...written], 300_000),
      run("npx", ["eslint", "--max-warnings", "0", ...sources], 300_000),
      run("npm", ["run", "typecheck"], 300_000),
      run("npx", ["vitest", "run", "--project", "workers", ...tests, "test/provider-contract.test.ts"], 300_000),
    ]);
    for (const check of checks)
      expect(check.exit, `${check.command} in the copy (${source}, ${repo})\n${check.output}`).toBe("exit 0");
  }, 600_000);
});
