// `npm run connections:from-nango -- <nango.json> --workspace-map <map.json> [--integration-map <map.json>] [--out <file.jsonl>]`:
// turns connections exported from Nango into the JSONL `npm run connections:import` sends.
//
// Input: a JSON array of Nango connections, each as Nango's "Get connection & credentials" answers it
// (GET /connection/{connectionId}, https://nango.dev/docs/reference/backend/http-api/connection/get;
// its successor GET /connections/{connectionId} answers the same fields): `connection_id`,
// `provider_config_key`, `provider`, `credentials: { type: "OAUTH2", access_token, refresh_token,
// expires_at (ISO 8601), raw: { scope, … } }`, `connection_config`, `metadata`. A single object, or
// `{ "connections": [...] }`, is read too.
// --workspace-map: `{ "<connection_id>": "<workspace_id>" }` (or keyed `<provider_config_key>/<connection_id>`,
// which wins): Nango's connection id is the host app's choice, so only the host app knows its workspace.
// --integration-map: `{ "<Nango provider or provider_config_key>": "<our provider name>" }` over the
// built-in table below.
// Connections that cannot be converted (not OAuth 2, no workspace, an unknown provider) are listed on
// stderr by connection id, never with a token, and left out.
import { readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { cliArgs } from "./connections-import.ts";

/** Nango's provider names (its providers.yaml keys) for the providers this service has. */
export const NANGO_PROVIDERS: Readonly<Record<string, string>> = {
  xero: "Xero",
  quickbooks: "QuickBooks",
  "quickbooks-sandbox": "QuickBooks",
  gusto: "Gusto",
  "gusto-demo": "Gusto",
  bamboohr: "BambooHR",
  deel: "Deel",
  "deel-sandbox": "Deel",
  factorial: "Factorial",
  freshbooks: "FreshBooks",
  myob: "MYOB",
  oyster: "OysterHR",
  sage: "Sage",
  "zoho-books": "ZohoBooks",
};

/**
 * Where a Nango connection may keep its tenant: QuickBooks' `realmId` (from the callback) and the
 * tenant ids some integrations store after connecting. Absent, the import looks the tenant up.
 */
const TENANT_KEYS = ["tenant_id", "tenantId", "realmId", "realm_id", "companyId", "company_id", "businessId"];

export interface NangoConnection {
  connection_id?: unknown;
  provider_config_key?: unknown;
  provider?: unknown;
  credentials?: {
    type?: unknown;
    access_token?: unknown;
    refresh_token?: unknown;
    expires_at?: unknown;
    raw?: Record<string, unknown> | null;
  } | null;
  connection_config?: Record<string, unknown> | null;
  metadata?: Record<string, unknown> | null;
}

/** One line of the import file (POST /admin/connections/import's item). */
export interface ImportLine {
  workspace_id: string;
  integration: string;
  tenant_id?: string;
  access_token: string;
  refresh_token?: string;
  expires_at?: string;
  scopes?: string;
}

export interface Skipped {
  connectionId: string;
  reason: string;
}

const text = (v: unknown): string | undefined => (typeof v === "string" && v.trim() !== "" ? v : undefined);

/** The connections of an export file: an array, one object, or `{ connections: [...] }`. */
export function nangoConnections(json: unknown): NangoConnection[] {
  if (Array.isArray(json)) return json as NangoConnection[];
  if (json && typeof json === "object" && Array.isArray((json as { connections?: unknown }).connections))
    return (json as { connections: NangoConnection[] }).connections;
  return [json as NangoConnection];
}

export function convert(
  connections: readonly NangoConnection[],
  workspaces: Readonly<Record<string, string>>,
  integrations: Readonly<Record<string, string>> = {},
): { lines: ImportLine[]; skipped: Skipped[] } {
  const lines: ImportLine[] = [];
  const skipped: Skipped[] = [];
  const table: Record<string, string> = { ...NANGO_PROVIDERS, ...integrations };
  for (const c of connections) {
    const connectionId = text(c.connection_id) ?? "(no connection_id)";
    const configKey = text(c.provider_config_key);
    const skip = (reason: string) => skipped.push({ connectionId, reason });
    const creds = c.credentials;
    if (!creds || creds.type !== "OAUTH2") {
      skip(`credentials.type is ${typeof creds?.type === "string" ? creds.type : "missing"}, not OAUTH2`);
      continue;
    }
    const accessToken = text(creds.access_token);
    if (!accessToken) {
      skip("credentials.access_token is missing");
      continue;
    }
    const workspace = (configKey && workspaces[`${configKey}/${connectionId}`]) || workspaces[connectionId];
    if (!workspace) {
      skip("no workspace in --workspace-map");
      continue;
    }
    const provider = text(c.provider);
    const integration =
      (configKey && table[configKey]) || (provider && table[provider]) || (provider && table[provider.toLowerCase()]);
    if (!integration) {
      skip(`provider "${provider ?? configKey ?? ""}" has no counterpart here (add it to --integration-map)`);
      continue;
    }
    const config = c.connection_config ?? {};
    const tenant = TENANT_KEYS.map((k) => text(config[k])).find((v) => v !== undefined);
    const refreshToken = text(creds.refresh_token);
    const expiresAt = text(creds.expires_at);
    const scope = text(creds.raw?.["scope"]);
    lines.push({
      workspace_id: workspace,
      integration,
      ...(tenant ? { tenant_id: tenant } : {}),
      access_token: accessToken,
      ...(refreshToken ? { refresh_token: refreshToken } : {}),
      ...(expiresAt ? { expires_at: expiresAt } : {}),
      ...(scope ? { scopes: scope } : {}),
    });
  }
  return { lines, skipped };
}

const readJson = (path: string): unknown => JSON.parse(readFileSync(path, "utf8"));

function main(): void {
  const { positional, options } = cliArgs(process.argv.slice(2));
  const [file] = positional;
  const mapFile = options["--workspace-map"];
  if (!file || !mapFile) {
    console.error(
      "usage: npm run connections:from-nango -- <nango.json> --workspace-map <map.json> [--integration-map <map.json>] [--out <file.jsonl>]",
    );
    process.exit(2);
  }
  const integrationMap = options["--integration-map"];
  const { lines, skipped } = convert(
    nangoConnections(readJson(file)),
    readJson(mapFile) as Record<string, string>,
    integrationMap ? (readJson(integrationMap) as Record<string, string>) : {},
  );
  const jsonl = lines.map((l) => JSON.stringify(l)).join("\n") + (lines.length > 0 ? "\n" : "");
  const out = options["--out"];
  if (out) writeFileSync(out, jsonl, { mode: 0o600 });
  else process.stdout.write(jsonl);
  for (const s of skipped) console.error(`skipped ${s.connectionId}: ${s.reason}`);
  console.error(`${lines.length} converted, ${skipped.length} skipped`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) main();
