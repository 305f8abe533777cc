// The proxy's rules: which paths may be forwarded (confined to the provider's API base), which headers
// cross in each direction, and how a connection's tenant is pinned on a call (TenantPin).
import type { ProxyHooks, TenantPin } from "./provider";

/**
 * Why a proxy path is refused, or null when it may be forwarded. The path is the raw (still
 * percent-encoded) text after `/integration/proxy/<provider>/`: anything that could leave the API
 * base once a server decodes or normalises it is refused, rather than cleaned up.
 */
export function proxyPathProblem(path: string): string | null {
  if (path === "") return "the path is empty";
  if (path.length > 2048) return "the path is longer than 2048 characters";
  if (path.includes("\\")) return "the path contains a backslash";
  if (path.includes("@")) return "the path contains @";
  if (/%(2e|2f|5c|40|00|25)/i.test(path)) return "the path contains an encoded dot, slash, backslash, @, % or NUL";
  if (/^[a-z][a-z0-9+.-]*:/i.test(path) || path.startsWith("/")) return "the path is an absolute URL or path";
  if (/[\p{Cc}\s?#]/u.test(path)) return "the path contains a control character, a space, ? or #";
  for (const segment of path.split("/")) {
    if (segment === "." || segment === "..") return "the path contains a . or .. segment";
    // Servlet containers (Tomcat, Jetty) strip `;params` before resolving, so `..;` is `..` there.
    if (/^\.\.?;/.test(segment)) return "the path contains a segment starting ..; or .;";
    if (segment === "") return "the path contains an empty segment (//)";
  }
  return null;
}

/** Request headers forwarded to the provider; everything else (cookies, our Authorization, …) stays here. */
export const PROXY_REQUEST_HEADERS = [
  "accept",
  "accept-language",
  "content-type",
  "if-match",
  "if-none-match",
  "if-modified-since",
  "if-unmodified-since",
  "idempotency-key",
] as const;

/**
 * The request headers the edge forwards for a provider: the safe list, plus the provider's tenant
 * header, so that a caller's value reaches the check in `pinTenant` instead of being dropped unseen.
 */
export function proxyRequestHeaders(proxy: ProxyHooks | undefined): string[] {
  const pin = proxy?.tenant;
  return pin && "header" in pin ? [...PROXY_REQUEST_HEADERS, pin.header.toLowerCase()] : [...PROXY_REQUEST_HEADERS];
}

/** Response headers passed back to the caller (Cache-Control is always ours: proxiedResponseHeaders). */
export const PROXY_RESPONSE_HEADERS = [
  "content-type",
  "content-language",
  "etag",
  "last-modified",
  "link",
  "location",
  "retry-after",
] as const;

/** JSON by its media type: `application/json` or a `+json` suffix (RFC 6839), any parameters. */
const JSON_TYPE = /^application\/([a-z0-9.!#$&^_-]+\+)?json\s*(;|$)/i;

/**
 * The headers a proxied answer goes out with: the provider's passable ones (`picked`), and ours, so
 * that a browser never renders, sniffs or caches the provider's body as a page of this service's
 * origin: nosniff, a sandboxing CSP, no caching, and non-JSON bodies as downloads.
 */
export function proxiedResponseHeaders(picked: Readonly<Record<string, string>>): Record<string, string> {
  const headers: Record<string, string> = {
    ...picked,
    "x-content-type-options": "nosniff",
    "content-security-policy": "sandbox; default-src 'none'",
    "cache-control": "private, no-store",
    "x-proxied-by": "zebbra-integrations",
  };
  if (!JSON_TYPE.test(picked["content-type"] ?? "")) headers["content-disposition"] = "attachment";
  return headers;
}

/** The listed headers of `headers` that are present, by lower-case name. */
export function pickHeaders(headers: Headers, names: readonly string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of names) {
    const value = headers.get(name);
    if (value !== null) picked[name] = value;
  }
  return picked;
}

/** The parts of a call that may name a tenant, as the proxy forwards them. */
export interface TenantBearingParts {
  /** Relative to the API base, confined (proxyPathProblem), still percent-encoded, no leading slash. */
  path: string;
  /** The query string without `?`; "" for none. */
  query: string;
  /** Request headers by lower-case name. */
  headers: Readonly<Record<string, string>>;
}

export type PinOutcome = { ok: true; call: TenantBearingParts } | { ok: false; message: string };

/**
 * The call with `tenantId` put where `pin` says. A call that already names a tenant there passes
 * when it names this one and is refused when it names another: the proxy must never act on a tenant
 * other than the connection's, whatever the token itself could reach.
 */
export function pinTenant(pin: TenantPin, tenantId: string, call: TenantBearingParts): PinOutcome {
  if ("header" in pin) {
    const name = pin.header.toLowerCase();
    const sent = call.headers[name];
    if (sent !== undefined && sent !== tenantId) return refused(`the ${pin.header} header`, tenantId);
    return { ok: true, call: { ...call, headers: { ...call.headers, [name]: tenantId } } };
  }
  if ("query" in pin) {
    const params = new URLSearchParams(call.query);
    // Every spelling a server might read as the parameter: one that reads names case-insensitively
    // must not find a second, different value.
    const same = (name: string) => name.toLowerCase() === pin.query.toLowerCase();
    const sent = [...params].filter(([name]) => same(name));
    if (sent.some(([, value]) => value !== tenantId)) return refused(`the ${pin.query} query parameter`, tenantId);
    for (const [name] of sent) params.delete(name);
    params.append(pin.query, tenantId);
    return { ok: true, call: { ...call, query: params.toString() } };
  }
  return pinPath(pin, tenantId, call);
}

function pinPath(pin: Extract<TenantPin, { path: string }>, tenantId: string, call: TenantBearingParts): PinOutcome {
  const template = pin.path.split("/");
  const at = template.length - 1;
  const segments = call.path.split("/");
  // Compared as a server reads them: `%61ccounting/account/X` is `accounting/account/X`.
  const decoded: string[] = [];
  for (const segment of segments.slice(0, at + 1)) {
    const plain = decodedSegment(segment);
    if (plain === null) return { ok: false, message: "Invalid path: a segment is not valid percent-encoding" };
    decoded.push(plain);
  }
  const id = pin.id && new RegExp(`^(?:${pin.id.source})$`, pin.id.flags.replace(/[gy]/g, ""));
  const tenantSegment = decoded[at];
  const namesTenant =
    tenantSegment !== undefined &&
    template.slice(0, at).every((literal, i) => decoded[i]?.toLowerCase() === literal.toLowerCase()) &&
    (!id || id.test(tenantSegment));
  if (namesTenant) return tenantSegment === tenantId ? { ok: true, call } : refused(`the path (${pin.path})`, tenantId);
  if (!pin.prefix) return { ok: true, call };
  const prefix = [...template.slice(0, at), encodeURIComponent(tenantId)].join("/");
  return { ok: true, call: { ...call, path: `${prefix}/${call.path}` } };
}

function decodedSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

function refused(where: string, tenantId: string): PinOutcome {
  return {
    ok: false,
    message:
      `The call names another tenant in ${where} than this connection's (${tenantId}): name this one or ` +
      "leave it to the proxy, or pass the tenant_id of a connection to that tenant",
  };
}

/** Why a path pin cannot work, or null: `{tenant}` must be its last segment, and only there. */
export function tenantPathProblem(path: string): string | null {
  const segments = path.split("/");
  if (segments.at(-1) !== "{tenant}") return "its last segment must be {tenant}";
  if (segments.slice(0, -1).some((s) => s === "" || s.includes("{") || s.includes("}")))
    return "only its last segment may be a placeholder, and no segment may be empty";
  return null;
}
