// The pages a connect popup ends on. Each tells the person what happened and posts the outcome to
// the host app's window (targetOrigin = APP_ORIGIN only), then the host app closes the popup.
import { escapeHtml, newNonce, pageHeaders, scriptJson } from "./html";

export type PopupStatus = "connected" | "error";

export interface PopupOutcome {
  integration: string;
  status: PopupStatus;
  /** Shown to the person; also posted for "error". */
  message: string;
  /** Stable code for "error" outcomes, e.g. "state_invalid". */
  code?: string;
}

export function popupPage(outcome: PopupOutcome, appOrigin: string, httpStatus: number): Response {
  const nonce = newNonce();
  const message: Record<string, string> = {
    type: "zebbra:integration",
    integration: outcome.integration,
    status: outcome.status,
  };
  if (outcome.status === "error") {
    message.message = outcome.message;
    if (outcome.code) message.code = outcome.code;
  }
  const title = outcome.status === "connected" ? "Connected" : "Connection failed";
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style nonce="${nonce}">body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1d2330}</style>
</head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(outcome.message)}</p>
<script nonce="${nonce}">
(function () {
  var message = ${scriptJson(message)};
  var origin = ${scriptJson(appOrigin)};
  if (window.opener && origin) window.opener.postMessage(message, origin);
})();
</script></body></html>`;
  return new Response(html, { status: httpStatus, headers: pageHeaders(nonce) });
}
