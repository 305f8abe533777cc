// `npm run scaffold <Name> -- --type accounting|payroll [--dry-run]`: copies the provider templates
// into a new folder, then runs the generators that list providers (scaffold/README.md). Git is the
// undo. Exit codes: 0 done, 1 failed (git status shows what was written), 2 refused (nothing written).
import { spawnSync } from "node:child_process";
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { API_TYPES, type ApiType, MAX_NAME_LENGTH, type Plan, planScaffold, ScaffoldRefusal } from "./plan.ts";

const USAGE = `Usage: npm run scaffold <Name> -- --type accounting|payroll [--dry-run]

Generates a provider in src/providers/<name>/ that works from the first run: an OAuth declaration
whose endpoints are marked placeholders (every URL and the scopes are also read from the
<NAME>_* variables), an adapter of the chosen type whose provider-specific normalization is one
marked function, a test of its own logic, and docs/providers/<name>.md. Adds its variables to
.dev.vars.example, then runs npm run providers:generate, which registers every folder (routes,
listing and cron follow) and regenerates docs/providers.md and public/openapi.json. test/provider-contract.test.ts connects,
refreshes and fetches it against the suite's fake OAuth server, as every provider.

  <Name>         registry name: letters and digits only (^[A-Za-z0-9]+$), at most ${MAX_NAME_LENGTH};
                 must not exist yet, compared case-insensitively. Conventionally PascalCase.
  --type, -t     accounting (data: line values by month end) or payroll (data: employee rows)
  --dry-run, -n  list the files it would create or change; write nothing
  --help, -h     this text

Exit codes: 0 done · 1 failed (git status shows what it wrote; git is the undo) · 2 refused (bad name,
exists, bad options), nothing written.
Walkthrough: docs/adding-a-provider.md`;

const ROOT = fileURLToPath(new URL("..", import.meta.url));

class UsageError extends ScaffoldRefusal {}

function parse(argv: string[]): { help: true } | { help: false; name: string; type: ApiType; dryRun: boolean } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        type: { type: "string", short: "t" },
        "dry-run": { type: "boolean", short: "n" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: true };
  if (positionals.length === 0) throw new UsageError("Missing the provider name.");
  if (positionals.length > 1)
    throw new UsageError(
      `Expected one provider name, got ${positionals.length}: ${positionals.map((p) => JSON.stringify(p)).join(" ")}`,
    );
  const type = values.type;
  if (type === undefined) throw new UsageError("Missing --type: accounting or payroll.");
  if (!(API_TYPES as readonly string[]).includes(type))
    throw new UsageError(`Unknown --type ${JSON.stringify(type)}: use accounting or payroll.`);
  return { help: false, name: positionals[0] ?? "", type: type as ApiType, dryRun: values["dry-run"] ?? false };
}

function listing(plan: Plan, dryRun: boolean): string {
  const changed = [plan.devVars, ...plan.generated];
  const width = Math.max(...[...plan.creates, ...changed].map((c) => c.path.length));
  const rows = (changes: { path: string; what: string }[]) =>
    changes.map((c) => `  ${c.path.padEnd(width)}  ${c.what}`);
  return [
    `${dryRun ? "Would create" : "Created"}:`,
    ...rows(plan.creates),
    `${dryRun ? "Would change" : "Changed"}:`,
    ...rows(changed),
  ].join("\n");
}

/** Writes the plan's files (never over an existing one) and appends its variables. */
function write(plan: Plan): void {
  for (const file of plan.creates) {
    mkdirSync(dirname(join(ROOT, file.path)), { recursive: true });
    writeFileSync(join(ROOT, file.path), file.content, { flag: "wx" });
  }
  const devVars = join(ROOT, plan.devVars.path);
  const current = readFileSync(devVars, "utf8");
  appendFileSync(devVars, `${current.endsWith("\n") ? "" : "\n"}${plan.devVars.content}`);
}

/** `npm run providers:generate`: the registry's index and docs/providers.md, from the folders now on disk. */
function generate(): void {
  const run = spawnSync("npm", ["run", "--silent", "providers:generate"], { cwd: ROOT, encoding: "utf8" });
  if (run.status !== 0)
    throw new Error(
      `npm run providers:generate failed (${run.error?.message ?? `exit ${run.status ?? run.signal}`}):\n${run.stdout}${run.stderr}`,
    );
}

function nextSteps({ names, type }: Plan): string {
  const { name, slug, prefix } = names;
  return `Next steps:
  1. Its tests pass as generated:   npx vitest run --project workers test/${slug}.test.ts test/provider-contract.test.ts
  2. Fill in the placeholders:      grep -rn "TODO(scaffold)" src/providers/${slug}
     (${name}'s endpoints and scopes in index.ts, its ${type === "accounting" ? "report" : "employees"} response in normalize.ts; docs/providers/${slug}.md)
  3. Register an OAuth app at ${name} with the redirect URI
       http://127.0.0.1:8787/integration/${slug}/callback
     and put ${prefix}_CLIENT_ID and ${prefix}_CLIENT_SECRET (and sandbox URLs) into .dev.vars.
  4. npm run dev, and connect it: docs/adding-a-provider.md
  5. Before committing, what CI runs (after adding, renaming or removing a provider folder by hand,
     npm run providers:generate first):
       npm run types:check && npm run format:check && npm run lint && npm run typecheck && npm test`;
}

async function main(argv: string[]): Promise<number> {
  try {
    const args = parse(argv);
    if (args.help) {
      console.log(USAGE);
      return 0;
    }
    const plan = await planScaffold(ROOT, args.name, args.type);
    if (args.dryRun) {
      console.log(`Dry run: scaffolding ${args.name} (${args.type}) would write these files; nothing was written.\n`);
      console.log(listing(plan, true));
      return 0;
    }
    try {
      write(plan);
      generate();
    } catch (err) {
      console.error(`Scaffolding failed: ${err instanceof Error ? err.message : String(err)}`);
      console.error("`git status` shows what it wrote; git checkout and git clean undo it.");
      return 1;
    }
    console.log(`Scaffolded ${args.name} (${args.type}).\n`);
    console.log(listing(plan, false));
    console.log(`\n${nextSteps(plan)}`);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n\n${USAGE}`);
      return 2;
    }
    if (err instanceof ScaffoldRefusal) {
      console.error(`${err.message}\nNothing was written.`);
      return 2;
    }
    console.error(`Scaffolding failed before writing anything: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
