// `npm run connections:import -- <file.jsonl> --url <worker>`: sends a JSONL file of connections (one
// POST /admin/connections/import item a line) to a deployed worker in batches of at most 1,000, and
// prints what became of each: imported, replaced, or an error named by its line number. The operator
// token comes from the ADMIN_API_TOKEN environment variable only, never the command line (where it
// would sit in the shell's history and the process list). docs/host-app.md, "Import existing connections".
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

/** The worker's limit per call (src/edge/routes/admin.ts MAX_IMPORT_ITEMS). */
export const BATCH_ITEMS = 1000;
/** Under the worker's 8 MiB body limit, with room for the envelope. */
const BATCH_BYTES = 7 * 1024 * 1024;

export interface LineError {
  line: number;
  code: string;
  message: string;
}

export interface ImportSummary {
  imported: number;
  replaced: number;
  errors: LineError[];
}

interface ItemResult {
  index: number;
  status: "imported" | "replaced" | "error";
  error?: { code: string; message: string };
}

export interface ImportOptions {
  /** The JSONL text. */
  text: string;
  /** The worker's base URL. */
  url: string;
  token: string;
  /** Where progress goes (stderr). */
  progress: { write(s: string): unknown; isTTY?: boolean };
  fetch?: typeof fetch;
}

/** The file's items with their line numbers; a line that is not a JSON object is that line's error. */
export function readLines(text: string): {
  items: { line: number; item: unknown; bytes: number }[];
  errors: LineError[];
} {
  const items: { line: number; item: unknown; bytes: number }[] = [];
  const errors: LineError[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === "") return;
    try {
      const item: unknown = JSON.parse(raw);
      if (typeof item !== "object" || item === null || Array.isArray(item)) throw new Error("not an object");
      items.push({ line, item, bytes: Buffer.byteLength(raw) });
    } catch {
      // Never the line itself: it holds tokens.
      errors.push({ line, code: "invalid_json", message: "the line is not a JSON object" });
    }
  });
  return { items, errors };
}

/** Consecutive batches of at most BATCH_ITEMS items and BATCH_BYTES bytes. */
export function batches<T extends { bytes: number }>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const item of items) {
    if (current.length > 0 && (current.length >= BATCH_ITEMS || size + item.bytes > BATCH_BYTES)) {
      out.push(current);
      current = [];
      size = 0;
    }
    current.push(item);
    size += item.bytes + 1;
  }
  if (current.length > 0) out.push(current);
  return out;
}

function bar(done: number, total: number): string {
  const width = 30;
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total}`;
}

/** Sends every batch in order; a batch the worker refuses as a whole makes each of its lines an error. */
export async function importFile(options: ImportOptions): Promise<ImportSummary> {
  const send = options.fetch ?? fetch;
  const { items, errors } = readLines(options.text);
  const summary: ImportSummary = { imported: 0, replaced: 0, errors: [...errors] };
  const endpoint = `${options.url.replace(/\/+$/, "")}/admin/connections/import`;
  const total = items.length;
  let done = 0;
  const report = () =>
    options.progress.write(options.progress.isTTY ? `\r${bar(done, total)}` : `${done}/${total} sent\n`);
  for (const batch of batches(items)) {
    const res = await send(endpoint, {
      method: "POST",
      headers: { Authorization: `Bearer ${options.token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ connections: batch.map((b) => b.item) }),
    });
    const body = (await res.json().catch(() => null)) as {
      results?: ItemResult[];
      error?: { code: string; message: string };
    } | null;
    if (res.status === 401 || res.status === 404) {
      // Every further batch would fail alike.
      throw new Error(
        res.status === 404
          ? "The worker answered 404: is ADMIN_API_TOKEN set there, and --url its base URL?"
          : "The worker refused the token (401): ADMIN_API_TOKEN differs from the worker's",
      );
    }
    if (!res.ok || !body?.results) {
      const error = body?.error ?? { code: `http_${res.status}`, message: "the batch was refused" };
      for (const b of batch) summary.errors.push({ line: b.line, ...error });
    } else {
      for (const r of body.results) {
        const line = batch[r.index]!.line;
        if (r.status === "imported") summary.imported++;
        else if (r.status === "replaced") summary.replaced++;
        else summary.errors.push({ line, code: r.error?.code ?? "error", message: r.error?.message ?? "" });
      }
    }
    done += batch.length;
    report();
  }
  if (options.progress.isTTY) options.progress.write("\n");
  summary.errors.sort((a, b) => a.line - b.line);
  return summary;
}

/** The summary as printed: counts, then each error by line. */
export function formatSummary(summary: ImportSummary): string {
  const lines = [
    `imported: ${summary.imported}, replaced: ${summary.replaced}, errors: ${summary.errors.length}`,
    ...summary.errors.map((e) => `  line ${e.line}: ${e.code}: ${e.message}`),
  ];
  return `${lines.join("\n")}\n`;
}

/** Positional arguments and `--name value` / `--name=value` options. */
export function cliArgs(argv: readonly string[]): { positional: string[]; options: Record<string, string> } {
  const positional: string[] = [];
  const options: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) positional.push(arg);
    else if (arg.includes("=")) options[arg.slice(0, arg.indexOf("="))] = arg.slice(arg.indexOf("=") + 1);
    else options[arg] = argv[++i] ?? "";
  }
  return { positional, options };
}

/** Parses `<file> --url <worker>`; null when either is missing. */
export function parseArgs(argv: readonly string[]): { file: string; url: string } | null {
  const { positional, options } = cliArgs(argv);
  const [file] = positional;
  const url = options["--url"];
  return file && url ? { file, url } : null;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (!args) {
    console.error(
      "usage: npm run connections:import -- <file.jsonl> --url <worker base URL>   (ADMIN_API_TOKEN in the environment)",
    );
    process.exit(2);
  }
  const token = process.env["ADMIN_API_TOKEN"]?.trim();
  if (!token) {
    console.error("Set ADMIN_API_TOKEN in the environment (never on the command line).");
    process.exit(2);
  }
  const summary = await importFile({
    text: readFileSync(args.file, "utf8"),
    url: args.url,
    token,
    progress: process.stderr,
  });
  process.stdout.write(formatSummary(summary));
  process.exit(summary.errors.length > 0 ? 1 : 0);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : "the import failed");
    process.exit(1);
  });
}
