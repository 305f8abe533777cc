// The one mapping from failures to HTTP: every reason's status in one exhaustive switch, and the
// JSON body every error response carries.
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { FailureReason } from "../framework/failure";

export function statusOf(reason: FailureReason): ContentfulStatusCode {
  switch (reason) {
    case "invalid_request":
    case "unknown_integration":
    case "invalid_return_to":
    case "confirm_token_unknown":
    case "confirm_token_expired":
      return 400;
    case "token_missing":
    case "token_invalid":
    case "token_expired":
    case "token_claims_invalid":
      return 401;
    case "forbidden":
      return 403;
    case "not_found":
    case "not_connected":
      return 404;
    case "reconnect_required":
    case "webhooks_disabled":
    case "webhook_pending":
    case "tenant_required":
    case "tenant_choice_required":
    case "confirm_token_used":
      return 409;
    case "payload_too_large":
      return 413;
    case "rate_limited":
      return 429;
    case "internal_error":
      return 500;
    case "refresh_failed":
    case "provider_error":
    case "provider_data_invalid":
    case "unexpected_report":
      return 502;
    case "provider_not_configured":
    case "provider_unavailable":
    case "service_not_configured":
      return 503;
  }
}

/** The JSON body of every error response. */
export interface ErrorBody {
  error: { code: string; message: string };
}

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

/** The 404 of a path no route serves. */
export const notFound = (c: Context) =>
  c.json(errorBody("not_found", `No route for ${c.req.method} ${new URL(c.req.url).pathname}`), 404);

/** Retry-After in whole seconds, at least 1, when the failure says how long to wait. */
export function retryAfterHeader(retryAfterMs: number | undefined): Record<string, string> {
  return retryAfterMs === undefined ? {} : { "Retry-After": String(Math.max(1, Math.ceil(retryAfterMs / 1000))) };
}
