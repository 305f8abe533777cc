// Small HTTP plumbing for the fake provider server: replies as values, body parsing, scripted
// outcomes, abort-aware sleeps.
import { createHash, randomBytes, randomInt, randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { type Gates, hold } from "./gates.ts";
import type { ScriptedResponse } from "./types.ts";

/** What a handler answers; `null` means the connection was already dealt with (reset / client gone). */
export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON, strings as-is (content-type from headers, default text/plain). */
  body?: unknown;
  /** Headers at once, the body this much later. */
  bodyDelayMs?: number;
  /** Headers at once, the body when this settles (a gate released, or the client gone). */
  bodyAfter?: Promise<void>;
}

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  url: URL;
  rawBody: string;
  /** Aborted when the client hangs up before the answer is written, or when the server closes. */
  signal: AbortSignal;
  /** Where scripted answers are held (`hold`). */
  gates: Gates;
}

export const json = (status: number, body: unknown, headers: Record<string, string> = {}): Reply => ({
  status,
  body,
  headers,
});

export const oauthError = (
  status: number,
  error: string,
  description: string,
  headers: Record<string, string> = {},
): Reply =>
  json(
    status,
    { error, error_description: description },
    { "Cache-Control": "no-store", Pragma: "no-cache", ...headers },
  );

export function writeReply(res: ServerResponse, reply: Reply): void {
  if (res.destroyed || res.headersSent) return;
  const headers: Record<string, string> = { ...reply.headers };
  let payload = "";
  if (reply.body !== undefined) {
    if (typeof reply.body === "string") {
      payload = reply.body;
      headers["Content-Type"] ??= "text/plain; charset=utf-8";
    } else {
      payload = JSON.stringify(reply.body);
      headers["Content-Type"] ??= "application/json; charset=utf-8";
    }
  }
  headers["Content-Length"] = String(Buffer.byteLength(payload));
  res.writeHead(reply.status, headers);
  if (reply.bodyAfter) {
    res.flushHeaders();
    void reply.bodyAfter.then(() => {
      if (!res.destroyed) res.end(payload);
    });
    return;
  }
  if (!reply.bodyDelayMs) {
    res.end(payload);
    return;
  }
  res.flushHeaders();
  const timer = setTimeout(() => res.end(payload), reply.bodyDelayMs);
  res.once("close", () => clearTimeout(timer));
}

export function readBody(req: IncomingMessage, limit = 5_000_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) reject(new Error("body too large"));
      else chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** Parses an application/x-www-form-urlencoded body (anything else yields an empty form). */
export function formOf(ctx: Ctx): URLSearchParams {
  const type = ctx.req.headers["content-type"] ?? "";
  return type.toLowerCase().startsWith("application/x-www-form-urlencoded")
    ? new URLSearchParams(ctx.rawBody)
    : new URLSearchParams();
}

export function jsonOf(ctx: Ctx): unknown {
  if (ctx.rawBody.trim() === "") return undefined;
  return JSON.parse(ctx.rawBody);
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

export const randomToken = (prefix: string): string => `${prefix}_${randomBytes(24).toString("base64url")}`;
export const uuid = (): string => randomUUID();
/** A QuickBooks company id (realmId): Intuit documents no format; its examples are 12 to 16 digits. */
export const realmId = (): string => `9130${String(randomInt(1e12)).padStart(12, "0")}`;
export const s256 = (verifier: string): string => createHash("sha256").update(verifier).digest("base64url");

/**
 * Runs `normal` under a scripted outcome: optional delay or gate, reset, or a canned error reply
 * built by `errorReply`. Without an entry, just runs `normal`.
 */
export async function runScripted(
  ctx: Ctx,
  entry: ScriptedResponse | undefined,
  normal: () => Reply | Promise<Reply | null> | null,
  errorReply: (entry: ScriptedResponse, status: number) => Reply,
): Promise<Reply | null> {
  if (!entry) return normal();
  const delay = entry.delayMs ?? 0;
  if (delay > 0 && !entry.delayAfterProcessing) {
    await sleep(delay, ctx.signal);
    if (ctx.signal.aborted) return null;
  }
  const holdAt = entry.hold === undefined ? null : (entry.holdAt ?? "arrival");
  if (entry.hold !== undefined && holdAt === "arrival") {
    await hold(ctx.gates, entry.hold, ctx.signal);
    if (ctx.signal.aborted) return null;
  }
  if (entry.reset) {
    ctx.res.destroy();
    return null;
  }
  const status = entry.status ?? 200;
  let reply: Reply | null;
  if (status === 200) reply = await normal();
  else {
    const base = errorReply(entry, status);
    reply = { ...base, body: entry.body !== undefined ? entry.body : base.body };
  }
  if (reply) {
    const headers = { ...reply.headers, ...entry.headers };
    if (entry.retryAfter !== undefined) headers["Retry-After"] = String(entry.retryAfter);
    if (entry.location !== undefined) headers["Location"] = entry.location;
    reply = { ...reply, headers, ...(entry.bodyDelayMs ? { bodyDelayMs: entry.bodyDelayMs } : {}) };
    if (entry.hold !== undefined && holdAt === "body") reply.bodyAfter = hold(ctx.gates, entry.hold, ctx.signal);
  }
  if (delay > 0 && entry.delayAfterProcessing) {
    await sleep(delay, ctx.signal);
    if (ctx.signal.aborted) return null;
  }
  if (entry.hold !== undefined && holdAt === "answer") {
    await hold(ctx.gates, entry.hold, ctx.signal);
    if (ctx.signal.aborted) return null;
  }
  return reply;
}

/** Case-insensitive query lookup (Xero treats parameter names case-insensitively). */
export function queryParam(url: URL, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [key, value] of url.searchParams) if (key.toLowerCase() === lower) return value;
  return undefined;
}

export const queryObject = (url: URL): Record<string, string> => Object.fromEntries(url.searchParams);
