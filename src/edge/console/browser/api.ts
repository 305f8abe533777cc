// The console's API calls, with the demo user's JWT: a failure is an ApiError carrying the API's
// error message, status and body.
import { config } from "./state";

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    super(message);
  }
}

/** The `{ error: { code, message } }` of a failed call, when it has one. */
export function errorOf(body: unknown): { code: string; message: string } | null {
  if (typeof body !== "object" || body === null || !("error" in body)) return null;
  const error = body.error;
  if (typeof error !== "object" || error === null || !("code" in error) || !("message" in error)) return null;
  return { code: String(error.code), message: String(error.message) };
}

/** The API's JSON answer, as the caller's type: the page is served by the same worker as the API. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Authorization: "Bearer " + config.jwt };
  const init: RequestInit = { method, headers };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) {
    const error = errorOf(json);
    const why = error ? error.message + " (" + error.code + ")" : "HTTP " + res.status;
    throw new ApiError(method + " " + path.split("?")[0] + ": " + why, res.status, json);
  }
  return json as T;
}

export const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));
