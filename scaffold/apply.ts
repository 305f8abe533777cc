// Writes a scaffold plan all or nothing: new files first (exclusive create, so nothing is ever
// overwritten), shared files next (each replaced by an atomic rename, or rewritten in place by its
// generator), in the plan's order. Any failure undoes every write made so far, in reverse order.
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative } from "node:path";
import type { FileChange } from "./plan.ts";

/** A write failed; everything written was undone, except `leftovers` (when undoing failed too). */
export class ApplyError extends Error {
  readonly leftovers: string[];

  constructor(cause: unknown, leftovers: string[]) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = "ApplyError";
    this.leftovers = leftovers;
  }
}

/** The directories `dir` needs created, outermost first. */
function missingDirs(dir: string): string[] {
  const missing: string[] = [];
  for (let d = dir; !existsSync(d); d = dirname(d)) missing.unshift(d);
  return missing;
}

/**
 * Applies `changes` under `root`. Synchronous on purpose: a SIGINT or SIGTERM that has a handler is
 * delivered on the event loop, so it lands before or after this call, never inside it.
 * `failAt` (a change's step) simulates an interruption just before that write.
 */
export function applyPlan(root: string, changes: readonly FileChange[], failAt?: string): void {
  const undo: { path: string; run: () => void }[] = [];
  try {
    for (const change of changes) {
      if (failAt === change.step)
        throw new Error(`SCAFFOLD_FAIL_AT=${failAt}: simulated failure before writing ${change.path}`);
      const file = join(root, change.path);
      if (typeof change.content === "object") {
        const original = change.original ?? "";
        if (readFileSync(file, "utf8") !== original) throw new Error(`${change.path} changed while scaffolding`);
        // Before running: a generator that fails half-way may have written part of the file.
        undo.push({ path: change.path, run: () => writeFileSync(file, original) });
        change.content.inPlace();
        continue;
      }
      const content = typeof change.content === "function" ? change.content() : change.content;
      if (change.kind === "create") {
        for (const dir of missingDirs(dirname(file))) {
          mkdirSync(dir);
          undo.push({ path: `${relative(root, dir)}/`, run: () => rmdirSync(dir) });
        }
        writeFileSync(file, content, { flag: "wx" });
        undo.push({ path: change.path, run: () => unlinkSync(file) });
      } else {
        const original = change.original ?? "";
        if (readFileSync(file, "utf8") !== original) throw new Error(`${change.path} changed while scaffolding`);
        const temp = `${file}.scaffold-${process.pid}`;
        try {
          writeFileSync(temp, content, { flag: "wx" });
          chmodSync(temp, statSync(file).mode);
          renameSync(temp, file);
        } catch (err) {
          rmSync(temp, { force: true });
          throw err;
        }
        undo.push({ path: change.path, run: () => writeFileSync(file, original) });
      }
    }
  } catch (err) {
    const leftovers: string[] = [];
    for (const step of undo.reverse()) {
      try {
        step.run();
      } catch {
        leftovers.push(step.path);
      }
    }
    throw new ApplyError(err, leftovers);
  }
}
