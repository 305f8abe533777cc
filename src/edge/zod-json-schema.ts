// Stands in for `zod/v4/core` in the bundle (wrangler.toml [alias]). hono-openapi converts schemas
// through @standard-community/standard-json, which loads zod's converter with
// `import("zod/v4/core")`: a namespace import that pulls every zod locale (~400 KiB) into the
// worker. It only reads `toJSONSchema`, so that is all this module offers.
export { toJSONSchema } from "zod/mini";
