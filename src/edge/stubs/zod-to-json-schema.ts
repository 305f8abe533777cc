// Stands in for `zod-to-json-schema` in the bundle (wrangler.toml [alias]). hono-openapi's
// @standard-community/standard-json imports it (with zod 3 behind it) for zod 3 schemas, and the MCP
// SDK for the same; this worker's schemas are all zod 4, which zod converts itself. ~20 KiB gzip.
export function zodToJsonSchema(): never {
  throw new Error("zod-to-json-schema is not bundled: this worker's schemas are zod 4");
}
