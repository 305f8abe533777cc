// `npm run dev`: a full local run with one command. Creates .dev.vars from the committed example
// when missing (never overwriting), applies local D1 migrations, then starts plain `wrangler dev`,
// which reads every secret and setting from .dev.vars itself: nothing secret is on a command line.
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync } from "node:fs";

const offline = {
  ...process.env,
  CI: "true", // no interactive prompts
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
};

if (!existsSync(".dev.vars")) {
  copyFileSync(".dev.vars.example", ".dev.vars");
  console.log("Created .dev.vars from .dev.vars.example");
}

// wrangler redraws its migrations table once per migration it applies: show only the last drawing
// (every migration's final status), and everything when it fails.
const migrate = spawnSync("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local"], {
  env: offline,
  encoding: "utf8",
});
const output = `${migrate.stdout ?? ""}${migrate.stderr ?? ""}`;
if (migrate.status !== 0) {
  process.stderr.write(output);
  process.exit(migrate.status ?? 1);
}
const lines = output.split("\n");
const lastTable = lines.findLastIndex((line) => line.trimStart().startsWith("┌"));
const summary = lines.filter((line) => /No migrations to apply|Migrations to be applied/.test(line));
console.log([...summary, ...(lastTable >= 0 ? lines.slice(lastTable) : [])].join("\n").trimEnd());

const port = process.env.PORT ?? "8787";
const dev = spawn("npx", ["wrangler", "dev", "--ip", "127.0.0.1", "--port", port, ...process.argv.slice(2)], {
  stdio: "inherit",
  env: offline,
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => dev.kill(signal));
dev.on("exit", (code) => process.exit(code ?? 0));
