// Typed errors with stable codes. Handlers throw these; one onError renders `{ error: { code, message } }`.
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** An expected failure with a stable machine-readable code and a message a person can act on. */
export class AppError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "AppError";
  }
}

export const unauthorized = (message: string) => new AppError(401, "unauthorized", message, { "WWW-Authenticate": 'Bearer realm="zebbra-integrations"' });
export const forbidden = (message: string) => new AppError(403, "forbidden", message);
export const invalidRequest = (message: string) => new AppError(400, "invalid_request", message);
export const unknownIntegration = (name: string) => new AppError(400, "unknown_integration", `Unknown integration "${name}"`);

/**
 * A failure reported as plain data (Durable Object RPC drops error classes) as an AppError; a
 * retry delay becomes a Retry-After header in whole seconds.
 */
export function appErrorFrom(failure: { status: ContentfulStatusCode; code: string; message: string; retryAfterMs?: number }): AppError {
  const headers: Record<string, string> =
    failure.retryAfterMs !== undefined ? { "Retry-After": String(Math.max(1, Math.ceil(failure.retryAfterMs / 1000))) } : {};
  return new AppError(failure.status, failure.code, failure.message, headers);
}

/** The JSON body of every error response. */
export interface ErrorBody {
  error: { code: string; message: string };
}

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}
