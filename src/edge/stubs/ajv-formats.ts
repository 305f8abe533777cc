// Stands in for `ajv-formats` (wrangler.toml [alias]): formats for the ajv that is not bundled (./ajv.ts).
export default function addFormats(): void {}
