// Small helpers for the few HTML pages the worker serves: escaping and a strict CSP with a nonce.
import { encodeBase64 } from "@oslojs/encoding";

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => ESCAPES[ch]!);
}

/** JSON safe to embed inside an inline <script>: no `</script>`, no HTML comment openers, no line separators. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

export function newNonce(): string {
  return encodeBase64(crypto.getRandomValues(new Uint8Array(16)));
}

export interface PageOptions {
  /** The page may fetch from its own origin (e.g. /openapi.json). */
  connectSelf?: boolean;
  /** A URL prefix scripts may also load from. */
  scriptFrom?: string;
  /** A URL prefix stylesheets may load from; inline styles are then allowed too (no nonce for styles). */
  styleFrom?: string;
  /** An image source, e.g. "data:". */
  images?: string;
  /** Where forms may post (and, in Chromium, where their answers may redirect): origins or 'self'. */
  formAction?: string;
}

/** Headers for a page: no caching, no framing, only our nonce'd inline script and styles unless widened. */
export function pageHeaders(nonce: string, options: PageOptions = {}): Record<string, string> {
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'${options.scriptFrom ? ` ${options.scriptFrom}` : ""}`,
    options.styleFrom ? `style-src 'unsafe-inline' ${options.styleFrom}` : `style-src 'nonce-${nonce}'`,
    options.connectSelf ? "connect-src 'self'" : "connect-src 'none'",
    `img-src ${options.images ?? "'none'"}`,
    "base-uri 'none'",
    `form-action ${options.formAction ?? "'none'"}`,
    "frame-ancestors 'none'",
  ].join("; ");
  return {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Content-Security-Policy": csp,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
  };
}
