// What one scaffold run writes, worked out before anything is written: the provider's names, the
// files it creates (rendered from scaffold/templates/, then formatted by Prettier as CI checks them)
// and the block it appends to .dev.vars.example. Reads the repository; never writes (scaffold.ts does,
// then runs the generators).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { format, getFileInfo, resolveConfig } from "prettier";
import { PROVIDER_NAME_PATTERN, PROVIDER_VARIABLES } from "../src/framework/names.ts";

export const API_TYPES = ["accounting", "payroll"] as const;
export type ApiType = (typeof API_TYPES)[number];

/** Names are typed in URLs, variable names and file names; the API takes at most 100 characters. */
export const MAX_NAME_LENGTH = 64;

/** A refusal the user can act on (bad name, provider exists, bad options): exit code 2, nothing written. */
export class ScaffoldRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ScaffoldRefusal";
  }
}

export interface Names {
  /** Registry name and display name, as typed: `Acme`. */
  name: string;
  /** Folder, URL segment and test file name: `acme`. */
  slug: string;
  /** Variable prefix: `ACME`. */
  prefix: string;
}

export interface FileChange {
  /** Relative to the repository root, `/`-separated. */
  path: string;
  /** The whole new file, or (for `.dev.vars.example`) the block appended to it. */
  content: string;
  /** What the change is, for the summary. */
  what: string;
}

export interface Plan {
  names: Names;
  type: ApiType;
  /** New files, in write order. */
  creates: FileChange[];
  /** The provider's block, appended to .dev.vars.example. */
  devVars: FileChange;
  /** What `npm run providers:generate` rewrites afterwards, for the summary. */
  generated: Omit<FileChange, "content">[];
}

const DEV_VARS = ".dev.vars.example";

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

export const namesFor = (name: string): Names => ({ name, slug: name.toLowerCase(), prefix: name.toUpperCase() });

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

/** Why the name cannot be used: its folder, test, page or variables exist already (case-insensitively). */
function existing(root: string, { slug, prefix }: Names, devVars: string): string[] {
  const found: string[] = [];
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

const template = (path: string) => readFileSync(new URL(`./templates/${path}`, import.meta.url), "utf8");

/** Everything a run for `name` would write; throws ScaffoldRefusal when it must not run. */
export async function planScaffold(root: string, name: string, type: ApiType): Promise<Plan> {
  checkName(name);
  const names = namesFor(name);
  const found = existing(root, names, readFileSync(join(root, DEV_VARS), "utf8"));
  if (found.length > 0) {
    throw new ScaffoldRefusal(
      `A provider named ${JSON.stringify(name)} exists already (names are compared case-insensitively): ` +
        `${found.join("; ")}. Pick another name, or remove those files (git status shows what a run left).`,
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
  };
  const dir = `src/providers/${names.slug}`;
  const creates: FileChange[] = [
    {
      path: `${dir}/normalize.ts`,
      what: `normalize${name}: its response → ${type === "accounting" ? "DataBatch" : "EmployeeRow[]"}, the one function to rewrite`,
      content: render(template(`${type}/normalize.ts.tpl`), vars, type),
    },
    {
      path: `${dir}/index.ts`,
      what: "the OAuth declaration and adapter, placeholders marked TODO(scaffold)",
      content: render(template(`${type}/index.ts.tpl`), vars, type),
    },
    {
      path: `test/${names.slug}.test.ts`,
      what: "its own logic: tenant lookup and normalize (test/provider-contract.test.ts covers the rest)",
      content: render(template("provider.test.ts.tpl"), vars, type),
    },
    {
      path: `docs/providers/${names.slug}.md`,
      what: "what to fill in, its variables, its redirect URI",
      content: render(template("provider.md.tpl"), vars, type),
    },
  ];
  // CI runs prettier --check over the tree; templates cannot be pre-formatted for every name length.
  for (const change of creates) change.content = await formatted(root, change.path, change.content);
  return {
    names,
    type,
    creates,
    devVars: {
      path: DEV_VARS,
      what: `${names.prefix}_* variables`,
      content: render(template("dev-vars.tpl"), vars, type),
    },
    generated: [
      { path: "src/providers/index.generated.ts", what: "regenerated from the folders (npm run providers:generate)" },
      { path: "docs/providers.md", what: "regenerated from the registry (npm run providers:generate)" },
      { path: "public/openapi.json", what: "regenerated with its routes (npm run providers:generate)" },
    ],
  };
}
