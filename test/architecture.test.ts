// The six parts keep their walls: every import in src/ is parsed, and an arrow the architecture
// forbids, an import circle, or HTTP below the edge fails the suite (README "Architecture").
// Runs in the node project: it reads the source tree.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = new URL("..", import.meta.url).pathname;
const SRC = join(ROOT, "src");

type Part = "index" | "edge" | "jobs" | "workspace" | "framework" | "registry" | "providers" | "storage";

/** Which parts each part may import (its own always included). */
const ALLOWED: Record<Part, readonly Part[]> = {
  index: ["edge", "jobs", "workspace", "framework", "registry", "storage"],
  edge: ["workspace", "framework", "registry", "storage"],
  jobs: ["workspace", "framework", "registry", "storage"],
  workspace: ["framework", "registry", "storage"],
  registry: ["providers", "framework"],
  providers: ["framework"],
  framework: [],
  storage: [],
};

/**
 * Packages only one part may use: HTTP is the edge's, SQL the storage's, Durable Object classes the
 * workspace's. `@scope/*` names a whole scope. A rule owns its packages' deep imports too (ownerOf).
 */
const PACKAGE_OWNERS: { packages: readonly string[]; parts: readonly Part[] }[] = [
  { packages: ["hono", "hono-openapi", "@hono/*"], parts: ["edge", "index"] },
  { packages: ["drizzle-orm"], parts: ["storage"] },
  { packages: ["cloudflare:workers"], parts: ["workspace"] },
  // MCP is one more HTTP surface (/mcp), served by the edge.
  { packages: ["@modelcontextprotocol/*"], parts: ["edge"] },
];

/** The package a bare specifier names: `@scope/name` or `name`, without any subpath. */
export function packageName(specifier: string): string {
  const [first = "", second] = specifier.split("/");
  return first.startsWith("@") && second !== undefined ? `${first}/${second}` : first;
}

/** The rule owning the package a bare specifier names, matched by package name so `hono/cors` is hono's. */
export function ownerOf(specifier: string): (typeof PACKAGE_OWNERS)[number] | undefined {
  const name = packageName(specifier);
  const scope = name.startsWith("@") ? `${name.split("/")[0]}/*` : null;
  return PACKAGE_OWNERS.find((o) => o.packages.includes(name) || (scope !== null && o.packages.includes(scope)));
}

/** A package's manifest as installed (what `exports` it declares), or null when it is not installed. */
export type ManifestOf = (pkg: string) => { exports?: unknown } | null;

/**
 * Why a bare specifier reaches into a package's private files, or null when the package publishes
 * that entry: its root, or a subpath its `exports` map lists (subpath patterns and folder keys
 * included). Without an `exports` map only the root is public: the dist/ layout may change in any release.
 */
export function privateImport(specifier: string, manifestOf: ManifestOf): string | null {
  if (specifier.includes(":")) return null; // node:, cloudflare:: the runtime's modules, no package
  const pkg = packageName(specifier);
  const manifest = manifestOf(pkg);
  if (!manifest) return `${pkg} is not installed`;
  const subpath = `.${specifier.slice(pkg.length)}`;
  if (subpath === ".") return null;
  const { exports } = manifest;
  if (exports === undefined)
    return `${specifier} is a private path: ${pkg} has no "exports" map, only its root is public`;
  // A string, or an object of conditions ("import", "default"), publishes the root alone.
  const keys =
    typeof exports === "object" && exports !== null ? Object.keys(exports).filter((k) => k.startsWith(".")) : [];
  const listed = keys.some((key) => {
    const star = key.indexOf("*");
    if (star === -1) return key === subpath || (key.endsWith("/") && subpath.startsWith(key));
    const head = key.slice(0, star);
    const tail = key.slice(star + 1);
    return subpath.length > head.length + tail.length && subpath.startsWith(head) && subpath.endsWith(tail);
  });
  return listed ? null : `${specifier} is a private path: not among the entries ${pkg}'s "exports" map publishes`;
}

/** The installed package.json (the node project runs from the repository root). */
function installedManifest(pkg: string): { exports?: unknown } | null {
  try {
    return JSON.parse(readFileSync(join(ROOT, "node_modules", pkg, "package.json"), "utf8")) as { exports?: unknown };
  } catch {
    return null;
  }
}

/** What the edge may import from storage: reads only. */
const STORAGE_READ = /^(db|get|list|latest|cached|count)[A-Z]?\w*$/;

export interface ImportRef {
  specifier: string;
  names: string[];
  typeOnly: boolean;
}

/** `src/`-relative path → part. */
export function partOf(path: string): Part | null {
  if (path === "index.ts") return "index";
  // The registry and the list of provider folders it is built from (generated).
  if (path === "providers/registry.ts" || path === "providers/index.generated.ts") return "registry";
  const top = path.split("/")[0];
  return top === "edge" ||
    top === "jobs" ||
    top === "workspace" ||
    top === "framework" ||
    top === "providers" ||
    top === "storage"
    ? top
    : null;
}

/** Every static, re-exporting and dynamic import of a module, with the names it binds. */
export function importsOf(source: string): ImportRef[] {
  const file = ts.createSourceFile("module.ts", source, ts.ScriptTarget.Latest, false);
  const refs: ImportRef[] = [];
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      const names: string[] = [];
      let typeOnly = false;
      if (ts.isImportDeclaration(node)) {
        const clause = node.importClause;
        typeOnly = clause?.isTypeOnly ?? false;
        if (clause?.name) names.push("default");
        const bindings = clause?.namedBindings;
        if (bindings && ts.isNamedImports(bindings)) {
          for (const el of bindings.elements) if (!el.isTypeOnly) names.push((el.propertyName ?? el.name).text);
          if (bindings.elements.length > 0 && bindings.elements.every((el) => el.isTypeOnly)) typeOnly = true;
        } else if (bindings) names.push("*");
      } else {
        typeOnly = node.isTypeOnly;
        if (node.exportClause && ts.isNamedExports(node.exportClause))
          for (const el of node.exportClause.elements) names.push((el.propertyName ?? el.name).text);
        else names.push("*");
      }
      refs.push({ specifier: node.moduleSpecifier.text, names, typeOnly });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg && ts.isStringLiteral(arg)) refs.push({ specifier: arg.text, names: ["*"], typeOnly: false });
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return refs;
}

/** Resolves a relative specifier to a `src/`-relative module path among `files`. */
function resolve(from: string, specifier: string, files: ReadonlyMap<string, string>): string | null {
  const base = normalize(join(dirname(from), specifier));
  // A prebuilt `.js` module (edge/mcp/sdk.generated.js) is typed, and its imports stated, by its `.d.ts`.
  const typed = base.endsWith(".js") ? [`${base.slice(0, -3)}.d.ts`] : [];
  for (const candidate of [base, `${base}.ts`, join(base, "index.ts"), ...typed])
    if (files.has(candidate)) return candidate;
  return null;
}

/** Whether a relative specifier names a module of the host-app kit, client/src/ (outside src/). */
const isClientModule = (from: string, specifier: string) =>
  normalize(join(dirname(from), specifier)).startsWith("../client/src/");

/** Every rule broken by a tree of modules (`src/`-relative path → source). */
export function violations(files: ReadonlyMap<string, string>, manifestOf: ManifestOf = installedManifest): string[] {
  const found: string[] = [];
  const graph = new Map<string, string[]>();
  for (const [path, source] of files) {
    const part = partOf(path);
    if (!part) {
      found.push(`${path}: not in any part (edge, framework, providers, workspace, jobs, storage)`);
      continue;
    }
    const edges: string[] = [];
    for (const ref of importsOf(source)) {
      if (!ref.specifier.startsWith(".")) {
        const owner = ownerOf(ref.specifier);
        if (owner && !owner.parts.includes(part))
          found.push(`${path}: ${part} imports ${ref.specifier}, which only ${owner.parts.join(" and ")} may use`);
        const hidden = privateImport(ref.specifier, manifestOf);
        if (hidden) found.push(`${path}: ${hidden}`);
        continue;
      }
      // The console's browser module connects with the host-app kit (client/src/), which it bundles into
      // the page: code outside src/ that never reaches the worker.
      if (path.startsWith("edge/console/browser/") && isClientModule(path, ref.specifier)) continue;
      const target = resolve(path, ref.specifier, files);
      if (!target) {
        found.push(`${path}: cannot resolve ${ref.specifier}`);
        continue;
      }
      edges.push(target);
      const targetPart = partOf(target);
      if (!targetPart || targetPart === part) {
        // A provider uses its own folder only.
        if (part === "providers" && target.split("/")[1] !== path.split("/")[1])
          found.push(`${path}: a provider imports another provider (${target})`);
        continue;
      }
      if (!ALLOWED[part].includes(targetPart)) {
        found.push(`${path}: ${part} → ${targetPart} (${target}) is not an allowed arrow`);
      } else if (part === "edge" && targetPart === "storage" && !ref.typeOnly) {
        const writes = ref.names.filter((n) => !STORAGE_READ.test(n));
        if (writes.length > 0)
          found.push(`${path}: the edge only reads storage, but imports ${writes.join(", ")} from ${target}`);
      }
    }
    graph.set(path, edges);
    if (part !== "edge" && part !== "index") {
      // Our HTTP responses and their statuses are the edge's alone.
      if (/\bnew Response\(|\b(Contentful)?StatusCode\b/.test(source))
        found.push(`${path}: builds HTTP responses or names HTTP statuses below the edge`);
    }
  }
  for (const cycle of circles(graph)) found.push(`import circle: ${cycle.join(" → ")}`);
  return found;
}

/** Strongly connected components of more than one module (or a module importing itself), as paths. */
function circles(graph: ReadonlyMap<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) out.push([...component.reverse(), component[0]!]);
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) connect(v);
  return out;
}

function readTree(dir: string, out = new Map<string, string>()): Map<string, string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) readTree(path, out);
    else if (entry.name.endsWith(".ts")) out.set(relative(SRC, path), readFileSync(path, "utf8"));
    // Data a module imports (the sandbox's demo company) belongs to that module's part and imports nothing.
    else if (entry.name.endsWith(".json")) out.set(relative(SRC, path), "");
  }
  return out;
}

describe("architecture", () => {
  it("should keep every import of src/ within the allowed arrows, with no circle", () => {
    const tree = readTree(SRC);
    expect(tree.size).toBeGreaterThan(20);
    expect(violations(tree)).toEqual([]);
  });

  describe("the checker", () => {
    const ok = new Map([
      ["index.ts", 'import { createApp } from "./edge/app";'],
      [
        "edge/app.ts",
        'import { Hono } from "hono";\nimport { listConnections } from "../storage/connections";\nimport { providers } from "../providers/registry";',
      ],
      ["providers/registry.ts", 'import { providerDefinitions } from "./index.generated";'],
      ["providers/index.generated.ts", 'import xero from "./xero";'],
      [
        "providers/xero/index.ts",
        'import type { ProviderDefinition } from "../../framework/provider";\nimport { parse } from "./report";',
      ],
      ["providers/xero/report.ts", "export const parse = 1;"],
      ["framework/provider.ts", "export type ProviderDefinition = {};"],
      [
        "storage/connections.ts",
        'import { eq } from "drizzle-orm";\nexport const listConnections = 1;\nexport const saveConnection = 2;',
      ],
      ["storage/db.ts", "export const db = 1;"],
    ]);
    const withFile = (path: string, source: string) => new Map([...ok, [path, source]]);

    it("should accept a tree that keeps the rules", () => {
      expect(violations(ok)).toEqual([]);
    });

    it("should catch a forbidden arrow", () => {
      const tree = withFile("framework/provider.ts", 'import { providers } from "../providers/registry";');
      expect(violations(tree)).toContainEqual(expect.stringContaining("framework → registry"));
      expect(
        violations(withFile("storage/connections.ts", 'import type { X } from "../framework/provider";')),
      ).toContainEqual(expect.stringContaining("storage → framework"));
      expect(violations(withFile("providers/xero/index.ts", 'import { db } from "../../storage/db";'))).toContainEqual(
        expect.stringContaining("providers → storage"),
      );
      expect(violations(withFile("jobs/cron.ts", 'import { createApp } from "../edge/app";'))).toContainEqual(
        expect.stringContaining("jobs → edge"),
      );
    });

    it("should catch a write from the edge to storage, a foreign package and HTTP below the edge", () => {
      expect(
        violations(withFile("edge/routes.ts", 'import { saveConnection } from "../storage/connections";')),
      ).toContainEqual(expect.stringContaining("only reads storage"));
      expect(violations(withFile("workspace/do.ts", 'import { Hono } from "hono";'))).toContainEqual(
        expect.stringContaining("only edge and index may use"),
      );
      expect(
        violations(withFile("workspace/do.ts", "export const r = () => new Response(null, { status: 502 });")),
      ).toContainEqual(expect.stringContaining("below the edge"));
      expect(violations(withFile("providers/gusto/index.ts", 'import { x } from "../xero/report";'))).toContainEqual(
        expect.stringContaining("another provider"),
      );
    });

    it("should own every deep import of an owned package as the package itself", () => {
      for (const owner of PACKAGE_OWNERS)
        for (const pkg of owner.packages) {
          const root = pkg.replace(/\/\*$/, "/any");
          expect(ownerOf(root)).toBe(owner);
          expect(ownerOf(`${root}/dist/private.js`)).toBe(owner);
        }
      // A name that only starts like an owned one is another package.
      expect(ownerOf("honox/dist/index.js")).toBeUndefined();
      expect(ownerOf("drizzle-orm-extra")).toBeUndefined();
      expect(violations(withFile("workspace/do.ts", 'import { cors } from "hono/cors";'))).toContainEqual(
        expect.stringContaining("hono/cors, which only edge and index may use"),
      );
      expect(violations(withFile("edge/db.ts", 'import { drizzle } from "drizzle-orm/d1";'))).toContainEqual(
        expect.stringContaining("only storage may use"),
      );
    });

    it("should catch a private path into a package", () => {
      const manifests: Record<string, { exports?: unknown }> = {
        hono: { exports: { ".": "./dist/index.js", "./cors": "./dist/cors.js" } },
        "drizzle-orm": { exports: { ".": "./index.js" } },
        // Like arctic 3.7.0: no exports map, so its dist/ files are its internals.
        arctic: {},
        zod: { exports: { ".": "./index.js", "./mini": "./mini/index.js", "./v4/*": "./v4/*/index.js" } },
        conditions: { exports: { import: "./index.js", default: "./index.cjs" } },
        folders: { exports: { "./lib/": "./lib/" } },
      };
      const manifestOf: ManifestOf = (pkg) => manifests[pkg] ?? null;
      for (const published of [
        "arctic",
        "zod/mini",
        "zod/v4/core",
        "folders/lib/a.js",
        "node:fs",
        "cloudflare:workers",
      ])
        expect(privateImport(published, manifestOf)).toBeNull();
      for (const hidden of [
        "arctic/dist/client.js",
        "zod/lib/index.js",
        "zod/v4",
        "conditions/index.js",
        "hono/dist/cors.js",
      ])
        expect(privateImport(hidden, manifestOf)).toContain("is a private path");
      expect(privateImport("oauth4webapi", manifestOf)).toBe("oauth4webapi is not installed");
      expect(
        violations(
          withFile("framework/oauth/client.ts", 'import { OAuth2Client } from "arctic/dist/client.js";'),
          manifestOf,
        ),
      ).toEqual([
        'framework/oauth/client.ts: arctic/dist/client.js is a private path: arctic has no "exports" map, only its root is public',
      ]);
    });

    it("should catch an import circle, type-only and dynamic imports included", () => {
      const tree = new Map([
        ...ok,
        ["framework/a.ts", 'import type { B } from "./b";'],
        ["framework/b.ts", 'export const load = () => import("./c");'],
        ["framework/c.ts", 'export { a } from "./a";'],
      ]);
      expect(violations(tree)).toEqual([
        "import circle: framework/a.ts → framework/b.ts → framework/c.ts → framework/a.ts",
      ]);
    });
  });
});
