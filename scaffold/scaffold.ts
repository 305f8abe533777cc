// `npm run scaffold <Name> -- --type accounting|payroll [--dry-run]`: generates a provider that
// connects and fetches against the test suite's fake server from the first run, registers it and
// documents it (scaffold/README.md). Exit codes: 0 done, 1 failed and undone, 2 refused (nothing written).
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ApplyError, applyPlan } from "./apply.ts";
import {
  API_TYPES,
  type ApiType,
  type FileChange,
  MAX_NAME_LENGTH,
  type Plan,
  planScaffold,
  ScaffoldRefusal,
} from "./plan.ts";

const USAGE = `Usage: npm run scaffold <Name> -- --type accounting|payroll [--dry-run]

Generates a provider in src/providers/<name>/ that works from the first run: an OAuth declaration
whose endpoints are marked placeholders (every URL and the scopes are also read from the
<NAME>_* variables), an adapter of the chosen type whose provider-specific normalization is one
marked function, a test that connects it against the suite's fake OAuth server and runs the
adapter, and docs/providers/<name>.md. Registers it in src/providers/registry.ts (routes, listing and cron
follow), adds its variables to .dev.vars.example and regenerates docs/providers.md from the registry.

  <Name>         registry name: letters and digits only (^[A-Za-z0-9]+$), at most ${MAX_NAME_LENGTH};
                 must not exist yet, compared case-insensitively. Conventionally PascalCase.
  --type, -t     accounting (data: line values by month end) or payroll (data: employee rows)
  --dry-run, -n  list the files it would create or change; write nothing
  --help, -h     this text

Exit codes: 0 done · 1 failed, everything undone · 2 refused (bad name, exists, bad options), nothing written.
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
  const width = Math.max(...plan.changes.map((c) => c.path.length));
  const section = (kind: FileChange["kind"], title: string) => {
    const rows = plan.changes.filter((c) => c.kind === kind).map((c) => `  ${c.path.padEnd(width)}  ${c.what}`);
    return rows.length ? [`${title}:`, ...rows] : [];
  };
  return [
    ...section("create", dryRun ? "Would create" : "Created"),
    ...section("update", dryRun ? "Would change" : "Changed"),
  ].join("\n");
}

function nextSteps({ names, type }: Plan): string {
  const { name, slug, prefix } = names;
  return `Next steps:
  1. Its test passes as generated:  npx vitest run --project workers test/${slug}.test.ts
  2. Fill in the placeholders:      grep -rn "TODO(scaffold)" src/providers/${slug}
     (${name}'s endpoints and scopes in index.ts, its ${type === "accounting" ? "report" : "employees"} response in normalize.ts; docs/providers/${slug}.md)
  3. Register an OAuth app at ${name} with the redirect URI
       http://127.0.0.1:8787/integration/${slug}/callback
     and put ${prefix}_CLIENT_ID and ${prefix}_CLIENT_SECRET (and sandbox URLs) into .dev.vars.
  4. npm run dev, and connect it: docs/adding-a-provider.md
  5. Before committing, what CI runs (after editing .dev.vars.example, npm run types first):
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
    // Signals with a handler wait for the synchronous write below instead of cutting it short.
    const hold = () => console.error("Interrupted: finishing or undoing the write first.");
    process.on("SIGINT", hold).on("SIGTERM", hold);
    applyPlan(ROOT, plan.changes, process.env.SCAFFOLD_FAIL_AT);
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
    if (err instanceof ApplyError) {
      console.error(`Scaffolding failed: ${err.message}`);
      console.error(
        err.leftovers.length === 0
          ? "Everything it had written was undone; the repository is as before."
          : `Undoing failed for: ${err.leftovers.join(", ")}. Restore them by hand (git checkout / rm), then run again.`,
      );
      return 1;
    }
    console.error(`Scaffolding failed before writing anything: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
