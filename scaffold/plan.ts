// What one scaffold run does, worked out before anything is written: the provider's names, the
// files it creates (rendered from scaffold/templates/, then formatted by Prettier as CI checks them)
// and the shared files it patches or regenerates, in write order. Reads the repository; never writes
// (apply.ts does).
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { format, getFileInfo, resolveConfig } from "prettier";
import { PROVIDER_NAME_PATTERN, PROVIDER_VARIABLES } from "../src/framework/names.ts";

export const API_TYPES = ["accounting", "payroll"] as const;
export type ApiType = (typeof API_TYPES)[number];

/** Names are typed in URLs, variable names and file names; the API takes at most 100 characters. */
export const MAX_NAME_LENGTH = 64;

/** A refusal the user can act on (bad name, provider exists): exit code 2, nothing written. */
export class ScaffoldRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ScaffoldRefusal";
  }
}

export interface Names {
  /** Registry key and display name, as typed: `Acme`. */
  name: string;
  /** Folder, URL segment and test file name: `acme`. */
  slug: string;
  /** Variable prefix: `ACME`. */
  prefix: string;
  /** The provider module's exported const: `acme`. */
  ident: string;
  /** The key in the registry object: `Acme`, or `"7shifts"` when not an identifier. */
  registryKey: string;
}

export interface FileChange {
  /** Relative to the repository root, `/`-separated. */
  path: string;
  kind: "create" | "update";
  /**
   * The new content, or how to produce it once the earlier changes are written, or (`inPlace`, for
   * updates) a generator that rewrites the file itself; undoing it restores `original`.
   */
  content: string | (() => string) | { inPlace: () => void };
  /** For updates: the content read while planning; the write is refused if the file changed since. */
  original?: string;
  /** What the change is, for the summary. */
  what: string;
  /** Step id for SCAFFOLD_FAIL_AT (simulated interruption before this write). */
  step: string;
}

export interface Plan {
  names: Names;
  type: ApiType;
  /**
   * In write order: new files first, then .dev.vars.example, the registry, the generated providers
   * doc and the Worker's types.
   */
  changes: FileChange[];
}

const REGISTRY = "src/providers/registry.ts";
const DEV_VARS = ".dev.vars.example";
const PROVIDERS_DOC = "docs/providers.md";
const WORKER_TYPES = "worker-configuration.d.ts";

// Words a const cannot be named, plus identifiers the generated modules declare themselves.
const UNUSABLE_IDENTIFIERS = new Set(
  (
    "break case catch class const continue debugger default delete do else enum export extends false finally for function if " +
    "implements import in instanceof interface let new null package private protected public return static super switch this " +
    "throw true try typeof var void while with yield await async of type as from arguments eval undefined NaN Infinity " +
    "z me api response isoDate"
  ).split(" "),
);

/** Checks a name against the naming rule of Zebbra's original framework; throws ScaffoldRefusal with what to do instead. */
export function checkName(name: string): void {
  if (name === "")
    throw new ScaffoldRefusal("The provider name is empty. Pass it first: npm run scaffold Acme -- --type accounting");
  if (name.length > MAX_NAME_LENGTH) {
    throw new ScaffoldRefusal(
      `The provider name is ${name.length} characters long; at most ${MAX_NAME_LENGTH} are allowed.`,
    );
  }
  if (!PROVIDER_NAME_PATTERN.test(name)) {
    throw new ScaffoldRefusal(
      `Invalid provider name ${JSON.stringify(name)}: use letters and digits only (${PROVIDER_NAME_PATTERN}). ` +
        "The name becomes a URL segment (/integration/<name>/callback) and a variable prefix (<NAME>_CLIENT_ID).",
    );
  }
}

/** `Acme` → `acme`, `HRCloud` → `hrCloud`, `ACME` → `acme`: the leading capitals of a word, lowered. */
function lowerCamel(name: string): string {
  const run = /^[A-Z]+/.exec(name)?.[0] ?? "";
  const rest = name.slice(run.length);
  if (run.length > 1 && /^[a-z]/.test(rest)) return run.slice(0, -1).toLowerCase() + run.slice(-1) + rest;
  return run.toLowerCase() + rest;
}

export function namesFor(name: string, registrySource: string): Names {
  const slug = name.toLowerCase();
  let ident = /^[0-9]/.test(name) ? `provider${name}` : lowerCamel(name);
  // Keep clear of keywords and of every identifier the registry already uses (imports included).
  while (UNUSABLE_IDENTIFIERS.has(ident) || new RegExp(`\\b${ident}\\b`).test(registrySource)) ident += "Provider";
  return {
    name,
    slug,
    prefix: name.toUpperCase(),
    ident,
    registryKey: /^[A-Za-z]/.test(name) ? name : JSON.stringify(name),
  };
}

interface RegistryEntry {
  key: string;
  /** Its first and last line: the same, unless Prettier wrapped it. */
  line: number;
  end: number;
}

/**
 * The entries of `export const providers = defineRegistry({ … });`: one `Key: ident,` per line, or
 * over two lines (`Key:`, then `ident,`) where Prettier wrapped one longer than its print width.
 */
export function readRegistry(source: string): {
  lines: string[];
  open: number;
  close: number;
  entries: RegistryEntry[];
} {
  const lines = source.split("\n");
  const open = lines.findIndex((l) => /^export const providers = defineRegistry\(\{\s*$/.test(l));
  const close = open < 0 ? -1 : lines.findIndex((l, i) => i > open && /^\}\);\s*$/.test(l));
  if (open < 0 || close < 0) {
    throw new Error(
      `${REGISTRY}: cannot find the "export const providers = defineRegistry({" … "});" block the scaffold adds to`,
    );
  }
  const entries: RegistryEntry[] = [];
  for (let i = open + 1; i < close; i++) {
    const line = lines[i] ?? "";
    if (/^\s*(\/\/.*)?$/.test(line)) continue;
    const m = /^\s*("?)([A-Za-z0-9]+)\1\s*:\s*([A-Za-z_$][\w$]*\s*,?\s*(\/\/.*)?)?$/.exec(line);
    const wrapped = m !== null && m[3] === undefined;
    if (!m || (wrapped && !/^\s*[A-Za-z_$][\w$]*\s*,?\s*(\/\/.*)?$/.test(lines[i + 1] ?? "")))
      throw new Error(
        `${REGISTRY}:${i + 1}: expected one "Name: ident," entry per line in the registry, found: ${line.trim()}`,
      );
    entries.push({ key: m[2] ?? "", line: i, end: wrapped ? i + 1 : i });
    if (wrapped) i++;
  }
  return { lines, open, close, entries };
}

/** Adds the import (kept sorted by module path) and the entry (kept sorted by name, case-insensitively). */
export function patchRegistry(source: string, names: Names): string {
  const { lines, open, close, entries } = readRegistry(source);
  const lower = names.name.toLowerCase();
  const indent = /^\s*/.exec(lines[entries[0]?.line ?? -1] ?? "")?.[0] || "  ";
  const entry = `${indent}${names.registryKey}: ${names.ident},`;
  const before = entries.find((e) => e.key.toLowerCase() > lower);
  if (before) lines.splice(before.line, 0, entry);
  else {
    const last = entries.at(-1);
    if (last && !/,\s*(\/\/.*)?$/.test(lines[last.end] ?? ""))
      lines[last.end] = (lines[last.end] ?? "").replace(/\s*(\/\/.*)?$/, ",$&");
    lines.splice(last ? last.end + 1 : close, 0, entry);
  }

  const specifier = `./${names.slug}`;
  // Prettier breaks an import longer than its print width over several lines: each counts from its
  // `import` line to the line with its `from "…";`.
  const imports: { line: number; from: string }[] = [];
  for (let i = 0, start = -1; i < open; i++) {
    const l = lines[i] ?? "";
    if (start < 0 && /^import\b/.test(l) && !/^import\s*["']/.test(l)) start = i;
    const m = start < 0 ? null : /\bfrom\s+"([^"]+)";\s*$/.exec(l);
    if (m) {
      imports.push({ line: start, from: (m[1] ?? "").toLowerCase() });
      start = -1;
    }
  }
  const next = imports.find((imp) => imp.from > specifier);
  const at = next ? next.line : (imports.at(-1)?.line ?? -1) + 1;
  lines.splice(at, 0, `import { ${names.ident} } from "${specifier}";`);
  return lines.join("\n");
}

/**
 * Renders a template: `{{#accounting}}…{{/accounting}}` blocks (each tag on its own line) are kept
 * for that API type only; `{{key}}` is replaced from `vars`. An unknown key is an error.
 */
export function render(template: string, vars: Readonly<Record<string, string>>, type: ApiType): string {
  const sectioned = template.replace(
    /^\{\{#(\w+)\}\}\n([\s\S]*?)^\{\{\/\1\}\}\n/gm,
    (_, section: string, body: string) => {
      if (!(API_TYPES as readonly string[]).includes(section))
        throw new Error(`unknown template section {{#${section}}}`);
      return section === type ? body : "";
    },
  );
  return sectioned.replace(/\{\{([#/]?\w+)\}\}/g, (token, key: string) => {
    const value = vars[key];
    if (value === undefined) throw new Error(`unknown template variable ${token}`);
    return value;
  });
}

/** Why the name cannot be used: it, its folder, test, page or variables exist already (case-insensitively). */
function existing(root: string, names: Names, registryKeys: readonly string[], devVars: string): string[] {
  const { slug, prefix } = names;
  const found: string[] = [];
  const key = registryKeys.find((k) => k.toLowerCase() === slug);
  if (key) found.push(`${REGISTRY} registers "${key}"`);
  const entries = (dir: string) => (existsSync(join(root, dir)) ? readdirSync(join(root, dir)) : []);
  for (const e of entries("src/providers"))
    if (e.toLowerCase().replace(/\.[cm]?[jt]s$/, "") === slug) found.push(`src/providers/${e} exists`);
  for (const e of entries("test")) if (e.toLowerCase() === `${slug}.test.ts`) found.push(`test/${e} exists`);
  for (const e of entries("docs/providers"))
    if (e.toLowerCase() === `${slug}.md`) found.push(`docs/providers/${e} exists`);
  const vars = new RegExp(`^[#\\s]*${prefix}_(${PROVIDER_VARIABLES.join("|")})=`, "m");
  if (vars.test(devVars)) found.push(`${DEV_VARS} already has ${prefix}_* provider variables`);
  return found;
}

/** `content` as `prettier --write` leaves it at `path`: unchanged where Prettier ignores the file or has no parser for it. */
async function formatted(root: string, path: string, content: string): Promise<string> {
  const file = join(root, path);
  const info = await getFileInfo(file, { ignorePath: [join(root, ".gitignore"), join(root, ".prettierignore")] });
  if (info.ignored || info.inferredParser === null) return content;
  const options = await resolveConfig(file, { editorconfig: true });
  return format(content, { ...options, filepath: file });
}

/**
 * Regenerates worker-configuration.d.ts in place with `npm run types`, the command `types:check`
 * compares against, since the Env type lists every variable in .dev.vars.example.
 */
function regenerateWorkerTypes(root: string): void {
  const run = spawnSync("npm", ["run", "--silent", "types"], {
    cwd: root,
    encoding: "utf8",
    // As scripts/dev.ts runs wrangler: no prompts, nothing sent anywhere.
    env: {
      ...process.env,
      CI: "true",
      WRANGLER_SEND_METRICS: "false",
      WRANGLER_SEND_ERROR_REPORTS: "false",
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
    },
  });
  if (run.status !== 0)
    throw new Error(
      `npm run types failed (${run.error?.message ?? `exit ${run.status ?? run.signal}`}):\n${run.stdout}${run.stderr}`,
    );
}

/** docs/providers.md as scripts/providers-doc.ts renders it from the registry now on disk. */
function generateProvidersDoc(root: string): string {
  const run = spawnSync("npx", ["tsx", "scripts/providers-doc.ts", "--stdout"], { cwd: root, encoding: "utf8" });
  if (run.status !== 0) throw new Error(`could not render ${PROVIDERS_DOC} from the registry:\n${run.stderr}`);
  return run.stdout;
}

const read = (root: string, path: string) => readFileSync(join(root, path), "utf8");
const template = (path: string) => readFileSync(new URL(`./templates/${path}`, import.meta.url), "utf8");

/** Everything a run for `name` would write; throws ScaffoldRefusal when it must not run. */
export async function planScaffold(root: string, name: string, type: ApiType): Promise<Plan> {
  checkName(name);
  const registry = read(root, REGISTRY);
  const keys = readRegistry(registry).entries.map((e) => e.key);
  const devVars = read(root, DEV_VARS);
  const names = namesFor(name, registry);
  const found = existing(root, names, keys, devVars);
  if (found.length > 0) {
    const registered = keys.some((k) => k.toLowerCase() === names.slug);
    const hint = registered
      ? "Pick another name."
      : "It is not registered: files left over from an interrupted or undone run? Remove them and run again.";
    throw new ScaffoldRefusal(
      `A provider named ${JSON.stringify(name)} exists already (names are compared case-insensitively): ${found.join("; ")}. ${hint}`,
    );
  }

  const vars = {
    ...names,
    PREFIX: names.prefix,
    Name: names.name,
    type,
    article: type === "accounting" ? "an" : "a",
    shape: type === "accounting" ? "`DataBatch` (line titles × month ends)" : "`EmployeeRow[]` (one row per employee)",
    endpoint: type === "accounting" ? "`/data`" : "`/employees`",
    endpoint_path: type === "accounting" ? "/data" : "/employees",
  };
  const dir = `src/providers/${names.slug}`;
  const changes: FileChange[] = [
    {
      path: `${dir}/normalize.ts`,
      kind: "create",
      step: "normalize",
      what: `normalize${name}: its response → ${type === "accounting" ? "DataBatch" : "EmployeeRow[]"}, the one function to rewrite`,
      content: render(template(`${type}/normalize.ts.tpl`), vars, type),
    },
    {
      path: `${dir}/index.ts`,
      kind: "create",
      step: "provider",
      what: "the OAuth declaration and adapter, placeholders marked TODO(scaffold)",
      content: render(template(`${type}/index.ts.tpl`), vars, type),
    },
    {
      path: `test/${names.slug}.test.ts`,
      kind: "create",
      step: "test",
      what: "connect and fetch against the fake provider server",
      content: render(template("provider.test.ts.tpl"), vars, type),
    },
    {
      path: `docs/providers/${names.slug}.md`,
      kind: "create",
      step: "docs",
      what: "what to fill in, its variables, its redirect URI",
      content: render(template("provider.md.tpl"), vars, type),
    },
  ];
  changes.push(
    {
      path: DEV_VARS,
      kind: "update",
      step: "dev-vars",
      what: `${names.prefix}_* variables`,
      original: devVars,
      content: `${devVars.replace(/\n*$/, "\n")}${render(template("dev-vars.tpl"), vars, type)}`,
    },
    {
      path: REGISTRY,
      kind: "update",
      step: "register",
      what: `import and entry ${names.registryKey}: ${names.ident}`,
      original: registry,
      content: patchRegistry(registry, names),
    },
    {
      path: PROVIDERS_DOC,
      kind: "update",
      step: "providers-doc",
      what: "regenerated from the registry (npm run docs:providers)",
      original: read(root, PROVIDERS_DOC),
      // Rendered from the registry just written, so it lists the new provider as the code sees it.
      content: () => generateProvidersDoc(root),
    },
    {
      path: WORKER_TYPES,
      kind: "update",
      step: "types",
      what: `regenerated with the ${names.prefix}_* variables (npm run types)`,
      original: read(root, WORKER_TYPES),
      // Last: wrangler reads the .dev.vars.example written above.
      content: { inPlace: () => regenerateWorkerTypes(root) },
    },
  );
  // CI runs prettier --check over the tree; templates cannot be pre-formatted for every name length.
  for (const change of changes)
    if (typeof change.content === "string") change.content = await formatted(root, change.path, change.content);
  return { names, type, changes };
}
