// The proxy's rules that do not depend on a connection: which paths may be forwarded (confined to the
// provider's API base) and which headers cross in each direction.

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

/** Response headers passed back to the caller. */
export const PROXY_RESPONSE_HEADERS = [
  "content-type",
  "content-language",
  "cache-control",
  "etag",
  "last-modified",
  "link",
  "location",
  "retry-after",
] as const;

/** The listed headers of `headers` that are present, by lower-case name. */
export function pickHeaders(headers: Headers, names: readonly string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of names) {
    const value = headers.get(name);
    if (value !== null) picked[name] = value;
  }
  return picked;
}
