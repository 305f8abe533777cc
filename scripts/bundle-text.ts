// The one esbuild call behind the committed generated bundles (scripts/console-script.ts,
// scripts/mcp-build.ts): one output file, in memory, without legal comments, as UTF-8.
import { build, type BuildOptions } from "esbuild";

/** The text esbuild writes for one entry point bundled with `options`. */
export async function bundleText(entry: string, options: BuildOptions): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    charset: "utf8",
    legalComments: "none",
    write: false,
    logLevel: "silent",
    ...options,
  });
  const js = result.outputFiles?.[0]?.text;
  if (js === undefined) throw new Error("esbuild wrote nothing");
  return js;
}
