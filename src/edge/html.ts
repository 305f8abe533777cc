// The worker's few HTML pages: markup through hono/html's `html` template, which escapes every value
// it interpolates, and headers through hono/secure-headers: a strict CSP whose inline script and
// style carry a per-response nonce, no caching, no framing.
import type { Context, MiddlewareHandler } from "hono";
import { html, raw } from "hono/html";
import { NONCE, secureHeaders } from "hono/secure-headers";
import type { HtmlEscapedString } from "hono/utils/html";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "./env";

/**
 * JSON for an inline <script>: no `</script>`, no HTML comment openers, no line separators. Script
 * text is not HTML, so the `html` template's entity escaping would corrupt it; this is the one
 * encoding that fits there, and its output is what a page may pass to `raw`.
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

export interface PageOptions {
  status?: ContentfulStatusCode;
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

/**
 * Renders a page: `render` gets the response's nonce for its inline <script> and <style>. Nothing
 * else runs or loads unless `options` widens the policy.
 */
export async function htmlPage(
  c: Context<AppEnv, string>,
  render: (nonce: string) => Markup,
  options: PageOptions = {},
): Promise<Response> {
  const headers: MiddlewareHandler<AppEnv, string> = secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      scriptSrc: [NONCE, ...(options.scriptFrom ? [options.scriptFrom] : [])],
      styleSrc: options.styleFrom ? ["'unsafe-inline'", options.styleFrom] : [NONCE],
      connectSrc: [options.connectSelf ? "'self'" : "'none'"],
      imgSrc: [options.images ?? "'none'"],
      baseUri: ["'none'"],
      formAction: [options.formAction ?? "'none'"],
      frameAncestors: ["'none'"],
    },
    // A connect popup posts its outcome to window.opener, which a Cross-Origin-Opener-Policy would cut.
    crossOriginOpenerPolicy: false,
    crossOriginResourcePolicy: false,
    xFrameOptions: "DENY",
  });
  await headers(c, async () => {
    const nonce = c.get("secureHeadersNonce");
    if (!nonce) throw new Error("secureHeaders set no nonce");
    c.res = await c.html(render(nonce), options.status ?? 200, { "Cache-Control": "no-store" });
  });
  return c.res;
}

type Markup = HtmlEscapedString | Promise<HtmlEscapedString>;

/** A page's document: its title, its stylesheet (constant CSS, under the nonce) and its body. */
export function pageDocument(nonce: string, title: string, style: string, body: Markup): Markup {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title}</title>
        <style nonce="${nonce}">
          ${raw(style)}
        </style>
      </head>
      <body>
        ${body}
      </body>
    </html>`;
}
