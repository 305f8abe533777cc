// Per-connection configuration: the inputs a provider declares in `connectionConfig` (a subdomain, a
// data-centre region), checked when a connection starts and substituted into the provider's URLs as
// `{field}` placeholders. A value only ever reaches a URL after passing its field's rule, and then
// URL-escaped, so it cannot change the URL's scheme, host boundary, path or query; and the URL built
// must have the template's origin with only the placeholder's text changed, since the client secret
// is POSTed there (docs/security.md "Templated hosts").
import type { ConnectionConfigField, RegisteredProvider } from "./provider";
import type { OAuthApp } from "./oauth/types";

export type ConnectionConfig = Readonly<Record<string, string>>;

export type ConfigCheck = { ok: true; config: ConnectionConfig } | { ok: false; field: string; message: string };

/** The longest value any field takes (a DNS name's limit). */
const MAX_VALUE_LENGTH = 253;

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Labels a pattern field never takes: the names providers give their own hosts (`www.`, `api.`,
 * `login.`…) rather than a customer's. Under a templated host such a label is the provider's site, a
 * status page or a CDN, never a tenant, and the client secret must not be POSTed there.
 */
export const RESERVED_LABELS: ReadonlySet<string> = new Set([
  "www",
  "api",
  "apis",
  "app",
  "apps",
  "auth",
  "oauth",
  "login",
  "signin",
  "sso",
  "id",
  "identity",
  "accounts",
  "account",
  "admin",
  "mail",
  "email",
  "smtp",
  "imap",
  "ftp",
  "cdn",
  "static",
  "assets",
  "media",
  "images",
  "status",
  "docs",
  "documentation",
  "developer",
  "developers",
  "help",
  "support",
  "blog",
  "community",
  "marketplace",
  "partners",
  "dev",
  "staging",
  "test",
  "localhost",
]);

/** Strings a host-label pattern must not match: anything with a dot would reach another host. */
const DOTTED_PROBES = [".", "..", "a.b", "a.", ".a", "example.com", "a.b.c"];

function anchored(pattern: RegExp): RegExp {
  return new RegExp(`^(?:${pattern.source})$`, pattern.flags.replace(/[gy]/g, ""));
}

function fieldError(field: string, spec: ConnectionConfigField, value: string): string | null {
  if (value.length === 0 || value.length > MAX_VALUE_LENGTH)
    return `must be 1 to ${MAX_VALUE_LENGTH} characters (${spec.description})`;
  if (spec.values && !spec.values.includes(value)) return `must be one of ${spec.values.join(", ")}`;
  if (spec.pattern && !anchored(spec.pattern).test(value))
    return `is not a valid ${field} (${spec.description}; e.g. ${spec.example})`;
  // A listed value is the provider author's; a matched one is anybody's, so it must look like a tenant.
  if (!spec.values && (RESERVED_LABELS.has(value.toLowerCase()) || /^xn--/i.test(value)))
    return `cannot be "${value}": that is not a customer's ${field} (${spec.description})`;
  return null;
}

/**
 * Why a provider's connection config cannot be registered, or null. Every field needs `values` or a
 * `pattern`; a pattern may not use the `m` or `y` flag (which defeat anchoring) or match a dotted
 * string (a value with a dot names another host); and each URL, filled with the examples, must keep
 * its template's origin with only the placeholders' text changed.
 */
export function connectionConfigProblem(
  fields: Readonly<Record<string, ConnectionConfigField>>,
  urls: readonly string[],
): string | null {
  for (const [field, spec] of Object.entries(fields)) {
    if (!spec.pattern && !spec.values) return `connectionConfig.${field} needs a pattern or values`;
    if (!spec.pattern) continue;
    if (/[my]/.test(spec.pattern.flags)) return `connectionConfig.${field}'s pattern may not use the m or y flag`;
    const rule = anchored(spec.pattern);
    const dotted = [...DOTTED_PROBES, `${spec.example}.example`, `example.${spec.example}`].find((p) => rule.test(p));
    if (dotted !== undefined) return `connectionConfig.${field}'s pattern matches "${dotted}": it may not match a dot`;
  }
  const examples = Object.fromEntries(Object.entries(fields).map(([field, spec]) => [field, spec.example]));
  for (const url of urls) {
    if (placeholdersOf(url).some((field) => !Object.hasOwn(fields, field)))
      return `${url} names a placeholder that is no connectionConfig field`;
    if (placeholdersOf(url).length > 0 && !keepsOrigin(url, examples))
      return `${url} filled with the examples does not keep its origin`;
  }
  return null;
}

/** `url` with each placeholder replaced by its value, escaped. */
function fill(url: string, config: ConnectionConfig): string {
  return url.replace(PLACEHOLDER, (_, field: string) => encodeURIComponent(config[field] ?? ""));
}

/**
 * Whether `url` filled with `config` has the template's scheme, host and port with only the host's
 * placeholders replaced by their values as given, so that a value changes the label it stands for
 * and nothing else (no other host, port or userinfo, whatever a URL parser makes of it).
 */
function keepsOrigin(url: string, config: ConnectionConfig): boolean {
  const fields = placeholdersOf(url);
  // Markers a URL parser keeps as they are (it would lower-case `{companyDomain}`).
  const marked = url.replace(PLACEHOLDER, (_, field: string) => `zzfield${fields.indexOf(field)}zz`);
  let template: URL;
  let filled: URL;
  try {
    template = new URL(marked);
    filled = new URL(fill(url, config));
  } catch {
    return false;
  }
  const host = template.host.replace(/zzfield(\d+)zz/g, (_, i: string) => config[fields[Number(i)]!] ?? "");
  return filled.origin === `${template.protocol}//${host.toLowerCase()}`;
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
  const fields = placeholdersOf(url);
  for (const field of fields) {
    const spec = provider.connectionConfig?.[field];
    const value = config[field];
    // Checked again here: a stored value is trusted no more than a new one.
    if (!spec || value === undefined || fieldError(field, spec, value) !== null) throw new ConnectionConfigError(field);
  }
  if (fields.length > 0 && !keepsOrigin(url, config)) throw new ConnectionConfigError(fields[0]!);
  return fill(url, config);
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
