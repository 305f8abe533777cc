// Why an operation failed, as data: a stable reason and a message a person can act on. Nothing below
// the edge speaks HTTP; the edge maps every reason to a status in one switch (src/edge/errors.ts),
// and the queue consumer decides retries from the reason alone.

export type FailureReason =
  /** The caller's input is malformed or out of bounds. */
  | "invalid_request"
  /** The integration name is not in the registry. */
  | "unknown_integration"
  /** `return_to` or `app_origin` is not a URL on one of the host app's origins (APP_ORIGIN). */
  | "invalid_return_to"
  /** No bearer token was presented. */
  | "token_missing"
  /** The bearer token is not a JWT this service can verify: its format, algorithm or signature. */
  | "token_invalid"
  /** The bearer token's exp has passed (beyond the leeway). */
  | "token_expired"
  /** A claim of the bearer token is missing or wrong; the message names it. */
  | "token_claims_invalid"
  /** The caller may not do this in this workspace. */
  | "forbidden"
  /** There is no such route or resource. */
  | "not_found"
  /** The workspace has no connection to the provider (or to the tenant named). */
  | "not_connected"
  /** The workspace has several connections to the provider and the caller named no tenant. */
  | "tenant_required"
  /** The grant covers several tenants and the confirm named none: the user must choose. */
  | "tenant_choice_required"
  /** No pending consent has this confirm token (never issued, or long gone): connect again. */
  | "confirm_token_unknown"
  /** The confirm token's 10 minutes are over: connect again. */
  | "confirm_token_expired"
  /** The confirm token was redeemed already, with other tenants than this confirm names. */
  | "confirm_token_used"
  /** The provider refused the stored grant; only a new consent helps. */
  | "reconnect_required"
  /** The provider's client credentials are not set on this server. */
  | "provider_not_configured"
  /** The provider is down, slow or rate limiting; trying later may work. */
  | "provider_unavailable"
  /** This workspace reached a limit of ours; try again after the given wait. */
  | "rate_limited"
  /** The request body is larger than this service accepts. */
  | "payload_too_large"
  /** The provider answered the token refresh in an unexpected way. */
  | "refresh_failed"
  /** The provider refused a data request. */
  | "provider_error"
  /** The provider answered with data in an unexpected shape. */
  | "provider_data_invalid"
  /** The provider's report reads, but its figures do not mean what the adapter asked for (a column's span, a total). */
  | "unexpected_report"
  /** Webhooks are off on this server (WEBHOOK_URL is not set). */
  | "webhooks_disabled"
  /** The webhook event is still pending: its own retries send it, a redelivery would only add a copy. */
  | "webhook_pending"
  /** A required secret is missing or a setting is malformed; the operator must fix it. */
  | "service_not_configured"
  /** Anything unexpected: a bug or an outage of our own storage. */
  | "internal_error";

/** A tenant (company) as a failure lists it for the caller to choose from. */
export interface TenantSummary {
  id: string;
  name: string | null;
  /** The provider's kind of tenant (Xero: ORGANISATION, PRACTICE), when it has kinds. */
  type: string | null;
}

/** A failure as plain data: it crosses Durable Object RPC intact, where error classes do not. */
export interface Failure {
  reason: FailureReason;
  message: string;
  /** How long to wait before trying again, when the provider said (Retry-After). */
  retryAfterMs?: number;
  /** For tenant_required and tenant_choice_required: the tenants to choose from. */
  tenants?: TenantSummary[];
}

/** A Failure thrown: caught by the edge (an HTTP error) or turned back into data at an RPC boundary. */
export class FailureError extends Error {
  readonly failure: Failure;

  constructor(reason: FailureReason, message: string, retryAfterMs?: number) {
    super(message);
    this.name = "FailureError";
    this.failure = retryAfterMs === undefined ? { reason, message } : { reason, message, retryAfterMs };
  }

  /** Throws a failure that came back as data (from an RPC outcome). */
  static of(failure: Failure): FailureError {
    const error = new FailureError(failure.reason, failure.message, failure.retryAfterMs);
    if (failure.tenants) error.failure.tenants = failure.tenants;
    return error;
  }

  get reason(): FailureReason {
    return this.failure.reason;
  }
}

/** The shape of every code a provider hands us that we store or show: lower-case letters and `_`. */
const CODE = /^[a-z_]{1,64}$/;

/**
 * A provider's error code (RFC 6749 §5.2 `error`, a redirect's `error`) as it may be stored, logged or
 * returned: lower-cased, and `fallback` unless it is 1 to 64 of `[a-z_]`. Whatever else a provider
 * sends (markup, a token echoed back, a 10 KB string) never reaches a row, a log or a caller.
 */
export function clampCode(value: unknown, fallback = "other"): string {
  if (typeof value !== "string") return fallback;
  const lower = value.toLowerCase();
  return CODE.test(lower) ? lower : fallback;
}

/** Reasons that may clear up without anyone acting, so a job is worth retrying. */
export function isTransient(reason: FailureReason): boolean {
  return reason === "provider_unavailable" || reason === "internal_error";
}
