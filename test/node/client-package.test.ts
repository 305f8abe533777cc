// The client package as a consumer gets it: `npm run build:client`'s client/dist/ and package.json,
// installed beside hono alone in a folder outside this repository, and a host app's code
// (test/fixtures/client-consumer/app.ts) type-checked against it with every declaration checked.
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = new URL("../..", import.meta.url).pathname;
const app = mkdtempSync(join(tmpdir(), "zebbra-client-consumer-"));

afterAll(() => rmSync(app, { recursive: true, force: true }));

describe("the built client package", () => {
  it("should type-check a host app's use of it with hono alone beside it", () => {
    execFileSync(process.execPath, ["scripts/client-build.ts"], { cwd: ROOT, stdio: "pipe" });
    const pkg = join(app, "node_modules/@zebbra/integrations-client");
    mkdirSync(pkg, { recursive: true });
    cpSync(join(ROOT, "client/package.json"), join(pkg, "package.json"));
    cpSync(join(ROOT, "client/dist"), join(pkg, "dist"), { recursive: true });
    symlinkSync(join(ROOT, "node_modules/hono"), join(app, "node_modules/hono"));
    cpSync(join(ROOT, "test/fixtures/client-consumer/app.ts"), join(app, "app.ts"));
    writeFileSync(
      join(app, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "es2022",
          lib: ["es2022", "dom"],
          module: "esnext",
          moduleResolution: "bundler",
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: [],
        },
        include: ["app.ts"],
      }),
    );
    const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
    const checked = spawnSync(process.execPath, [tsc, "-p", app], { encoding: "utf8" });
    expect(checked.stdout + checked.stderr).toBe("");
    expect(checked.status).toBe(0);
  });
});
