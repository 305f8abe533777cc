// The pages a connect popup ends on. Each tells the person what happened and posts the outcome to
// the host app's window (targetOrigin = APP_ORIGIN only), then the host app closes the popup. An
// authorized consent carries its one-time confirm token; the host app confirms it with the user's JWT.
import type { Context } from "hono";
import { html, raw } from "hono/html";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { TenantSummary } from "../framework/failure";
import type { AppEnv } from "./env";
import { htmlPage, pageDocument, scriptJson } from "./html";

export type PopupOutcome =
  | {
      integration: string;
      status: "authorized";
      message: string;
      confirmToken: string;
      /** When the grant covers several tenants: every one, for the user to choose at confirm. */
      tenants?: TenantSummary[];
    }
  | { integration: string; status: "error"; message: string; code: string; error?: string };

/** The fixed text shown for an OAuth `error` code (RFC 6749 §4.1.2.1); the provider's own words never are. */
export function providerErrorText(error: string, provider: string): { code: string; text: string } {
  const known: Record<string, string> = {
    access_denied: `You did not allow access at ${provider}.`,
    invalid_scope: `${provider} does not offer the access this app asks for.`,
    unauthorized_client: `${provider} does not allow this app to connect this way.`,
    unsupported_response_type: `${provider} does not support this way of connecting.`,
    invalid_request: `${provider} could not read the connection request.`,
    server_error: `${provider} had an error while connecting.`,
    temporarily_unavailable: `${provider} is busy or down for maintenance.`,
  };
  const text = Object.hasOwn(known, error) ? known[error]! : `${provider} did not grant access.`;
  return { code: Object.hasOwn(known, error) ? error : "other", text };
}

const POPUP_STYLE =
  "body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1d2330}";

export function popupPage(
  c: Context<AppEnv, string>,
  outcome: PopupOutcome,
  appOrigin: string,
  status: ContentfulStatusCode,
): Promise<Response> {
  const message: Record<string, string | TenantSummary[]> = {
    type: "zebbra:integration",
    integration: outcome.integration,
    status: outcome.status,
  };
  if (outcome.status === "authorized") {
    message.confirm_token = outcome.confirmToken;
    if (outcome.tenants) message.tenants = outcome.tenants;
  } else {
    message.message = outcome.message;
    message.code = outcome.code;
    if (outcome.error) message.error = outcome.error;
  }
  const title = outcome.status === "authorized" ? "Authorized" : "Connection failed";
  return htmlPage(
    c,
    (nonce) =>
      pageDocument(
        nonce,
        title,
        POPUP_STYLE,
        html`<h1>${title}</h1>
          <p>${outcome.message}</p>
          <script nonce="${nonce}">
            (function () {
              var message = ${raw(scriptJson(message))};
              var origin = ${raw(scriptJson(appOrigin))};
              if (window.opener && origin) window.opener.postMessage(message, origin);
            })();
          </script>`,
      ),
    { status },
  );
}
