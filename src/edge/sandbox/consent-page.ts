// The sandbox's authorization pages: the consent page (the companies to tick, Approve and Deny, as
// plain form posts under a strict CSP, no script) and the refusal shown where no redirect can be
// trusted. Every value goes through hono/html's escaping `html` template.
import type { Context } from "hono";
import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "../env";
import { htmlPage, pageDocument } from "../html";
import type { AuthorizationRequest, SandboxScope } from "./authorization";
import type { CompanyInfo } from "./company";

const SCOPE_TEXT: Record<SandboxScope, string> = {
  "accounting.read": "Read the profit and loss and balance sheet reports of the companies you tick",
  "payroll.read": "Read the employees, jobs and pay of the companies you tick",
};

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1d2330}
.badge{display:inline-block;background:#fde68a;border-radius:4px;padding:0 .4rem;font-size:.8rem}
fieldset{border:1px solid #d7dbe3;border-radius:6px;margin:0 0 1rem;padding:.5rem 1rem}label{display:block;padding:.2rem 0}
.error{background:#fee2e2;color:#b91c1c;border-radius:6px;padding:.5rem .75rem}
button{font:inherit;padding:.5rem 1.2rem;margin-right:.5rem;border-radius:6px;border:1px solid #1d2330;cursor:pointer}
button[value=approve]{background:#1d4ed8;color:#fff;border-color:#1d4ed8}.note{color:#5b6475;font-size:.875rem}`;

function page(
  c: Context<AppEnv, string>,
  title: string,
  body: HtmlEscapedString | Promise<HtmlEscapedString>,
  status: ContentfulStatusCode,
  formAction?: string,
): Promise<Response> {
  return htmlPage(
    c,
    (nonce) =>
      pageDocument(
        nonce,
        title,
        STYLE,
        html`<p><span class="badge">Sandbox</span></p>
          <h1>${title}</h1>
          ${body}`,
      ),
    { status, ...(formAction ? { formAction } : {}) },
  );
}

/** An error the page shows instead of redirecting: the redirect URI itself cannot be trusted (RFC 6749 §4.1.2.1). */
export const refusal = (c: Context<AppEnv, string>, message: string) =>
  page(c, "Cannot authorize", html`<p>${message}</p>`, 400);

/** The consent page for a held request: the companies to tick (the first ticked), Approve and Deny. */
export function consentPage(
  c: Context<AppEnv, string>,
  request: AuthorizationRequest,
  consent: string,
  companies: CompanyInfo[],
  ticked: readonly string[],
  error?: string,
): Promise<Response> {
  // One line per company, exactly so: a test reads the ticks back from it.
  // prettier-ignore
  const boxes = companies.map(
    (k) => html`<label><input type="checkbox" name="company" value="${k.id}"${ticked.includes(k.id) ? raw(" checked") : ""}> ${k.name}</label>\n`,
  );
  return page(
    c,
    `Allow ${request.clientName}?`,
    html`${error ? html`<p class="error" role="alert">${error}</p>` : ""}
      <p><strong>${request.clientName}</strong> wants to connect to your sandbox companies and:</p>
      <ul>
        ${request.scopes.map((s) => html`<li>${SCOPE_TEXT[s]}</li>`)}
      </ul>
      <form method="post" action="/sandbox/oauth/authorize">
        <input type="hidden" name="consent" value="${consent}" />
        <fieldset>
          <legend>Companies to connect (one or more)</legend>
          ${boxes}
        </fieldset>
        <button type="submit" name="decision" value="approve">Approve</button>
        <button type="submit" name="decision" value="deny">Deny</button>
      </form>
      <p class="note">
        This is the local sandbox: no account and no real data. Access tokens last two minutes and refresh tokens rotate
        on every use, so the console shows refreshes as they happen.
      </p>`,
    error ? 400 : 200,
    `'self' ${new URL(request.redirectUri).origin}`,
  );
}
