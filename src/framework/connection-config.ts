// Per-connection configuration: the inputs a provider declares in `connectionConfig` (a subdomain, a
// data-centre region), checked when a connection starts and substituted into the provider's URLs as
// `{field}` placeholders. A value only ever reaches a URL after passing its field's rule, and then
// URL-escaped, so it cannot change the URL's scheme, host boundary, path or query.
import type { ConnectionConfigField, RegisteredProvider } from "./provider";
import type { OAuthApp } from "./oauth/types";

export type ConnectionConfig = Readonly<Record<string, string>>;

export type ConfigCheck = { ok: true; config: ConnectionConfig } | { ok: false; field: string; message: string };

/** The longest value any field takes (a DNS name's limit). */
const MAX_VALUE_LENGTH = 253;

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

function fieldError(field: string, spec: ConnectionConfigField, value: string): string | null {
  if (value.length === 0 || value.length > MAX_VALUE_LENGTH)
    return `must be 1 to ${MAX_VALUE_LENGTH} characters (${spec.description})`;
  if (spec.values && !spec.values.includes(value)) return `must be one of ${spec.values.join(", ")}`;
  if (spec.pattern && !new RegExp(`^(?:${spec.pattern.source})$`, spec.pattern.flags.replace("g", "")).test(value))
    return `is not a valid ${field} (${spec.description}; e.g. ${spec.example})`;
  return null;
}

/**
 * Checks `input` (a connect session's `config`) against the provider's declared fields: every field
 * present as a string that passes its rule, and no other field. A provider that declares none
 * accepts only an absent or empty config.
 */
export function checkConnectionConfig(provider: RegisteredProvider, input: unknown): ConfigCheck {
  const fields = provider.connectionConfig ?? {};
  const given = input ?? {};
  if (typeof given !== "object" || Array.isArray(given))
    return { ok: false, field: "config", message: "must be an object of strings" };
  const entries = Object.entries(given as Record<string, unknown>);
  for (const [field] of entries) {
    if (!Object.hasOwn(fields, field)) {
      const known = Object.keys(fields);
      return {
        ok: false,
        field: `config.${field}`,
        message: known.length
          ? `is not a setting of ${provider.name} (it takes ${known.join(", ")})`
          : `is not a setting of ${provider.name} (it takes none)`,
      };
    }
  }
  const config: Record<string, string> = {};
  for (const [field, spec] of Object.entries(fields)) {
    const value: unknown = (given as Record<string, unknown>)[field];
    if (value === undefined)
      return { ok: false, field: `config.${field}`, message: `is required: ${spec.description}` };
    if (typeof value !== "string") return { ok: false, field: `config.${field}`, message: "must be a string" };
    const error = fieldError(field, spec, value);
    if (error) return { ok: false, field: `config.${field}`, message: error };
    config[field] = value;
  }
  return { ok: true, config };
}

/** The `{field}` placeholders a URL holds. */
export function placeholdersOf(url: string): string[] {
  return [...url.matchAll(PLACEHOLDER)].map((m) => m[1]!);
}

/** A connection's config could not be applied to the provider's URLs (a stored value no longer passes, or none). */
export class ConnectionConfigError extends Error {
  constructor(readonly field: string) {
    super(`The connection's ${field} setting is missing or no longer valid; connect again`);
    this.name = "ConnectionConfigError";
  }
}

function substitute(provider: RegisteredProvider, url: string, config: ConnectionConfig): string {
  return url.replace(PLACEHOLDER, (_, field: string) => {
    const spec = provider.connectionConfig?.[field];
    const value = config[field];
    // Checked again here: a stored value is trusted no more than a new one.
    if (!spec || value === undefined || fieldError(field, spec, value) !== null) throw new ConnectionConfigError(field);
    return encodeURIComponent(value);
  });
}

/** The app with the connection's values in place of every `{field}` of its URLs. Throws ConnectionConfigError. */
export function appForConnection(provider: RegisteredProvider, app: OAuthApp, config: ConnectionConfig): OAuthApp {
  if (!provider.connectionConfig) return app;
  const url = (u: string) => substitute(provider, u, config);
  return {
    ...app,
    authorizeUrl: url(app.authorizeUrl),
    tokenUrl: url(app.tokenUrl),
    apiBaseUrl: url(app.apiBaseUrl),
    ...(app.revokeUrl === undefined ? {} : { revokeUrl: url(app.revokeUrl) }),
  };
}
