// Stands in for `ajv` in the bundle (wrangler.toml [alias]): the MCP SDK's server constructs an ajv
// validator it only uses to check elicitation answers, which /mcp never asks for, and ajv compiles
// its validators with `new Function`, which Workers refuse anyway. Two copies of it were ~70 KiB gzip.
export default class Ajv {
  compile(): never {
    throw new Error("ajv is not bundled: pass the MCP SDK a jsonSchemaValidator (edge/mcp-server.ts)");
  }
  getSchema(): undefined {
    return undefined;
  }
}
