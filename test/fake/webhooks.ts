// A webhook receiver for the tests: POST /webhooks/receive records every delivery (raw body and
// headers, so tests verify signatures with the standardwebhooks library) and answers as scripted per
// workspace: a status, a delay (for timeouts) or a redirect. Control: POST /_control/webhooks/script
// {workspace_id, replies}; GET /_control/webhooks?workspace_id=… lists what arrived.
import { json, jsonOf, sleep } from "./http.ts";
import type { Ctx, Reply } from "./http.ts";

export interface ScriptedWebhookReply {
  status?: number;
  /** Waits this long before answering. */
  delayMs?: number;
  body?: string;
  /** Sent as Location (for a 3xx). */
  location?: string;
}

export interface ReceivedWebhook {
  /** Epoch ms of arrival. */
  at: number;
  headers: Record<string, string>;
  body: string;
  /** What the receiver answered (or was about to, when the sender gave up first). */
  status: number;
}

export interface WebhookReceiver {
  deliveries: Map<string, ReceivedWebhook[]>;
  scripts: Map<string, ScriptedWebhookReply[]>;
}

export const createWebhookReceiver = (): WebhookReceiver => ({ deliveries: new Map(), scripts: new Map() });

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function workspaceOf(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    const data = isObject(parsed) ? parsed["data"] : undefined;
    const id = isObject(data) ? data["workspace_id"] : undefined;
    return typeof id === "string" ? id : "";
  } catch {
    return "";
  }
}

async function receive(receiver: WebhookReceiver, ctx: Ctx): Promise<Reply | null> {
  const workspaceId = workspaceOf(ctx.rawBody);
  const reply = receiver.scripts.get(workspaceId)?.shift() ?? {};
  const status = reply.status ?? 204;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(ctx.req.headers)) if (typeof value === "string") headers[name] = value;
  const list = receiver.deliveries.get(workspaceId) ?? [];
  list.push({ at: Date.now(), headers, body: ctx.rawBody, status });
  receiver.deliveries.set(workspaceId, list);
  if (reply.delayMs) {
    await sleep(reply.delayMs, ctx.signal);
    if (ctx.signal.aborted) return null;
  }
  return {
    status,
    headers: reply.location ? { Location: reply.location } : {},
    ...(status === 204 ? {} : { body: reply.body ?? "" }),
  };
}

export async function webhookRoutes(receiver: WebhookReceiver, ctx: Ctx, path: string): Promise<Reply | null> {
  if (path === "/webhooks/receive" && ctx.method === "POST") return receive(receiver, ctx);
  if (path === "/_control/webhooks/script" && ctx.method === "POST") {
    const body = jsonOf(ctx);
    if (!isObject(body) || typeof body["workspace_id"] !== "string" || !Array.isArray(body["replies"]))
      return json(400, { error: "bad_request", message: "expected {workspace_id, replies: []}" });
    receiver.scripts.set(body["workspace_id"], body["replies"] as ScriptedWebhookReply[]);
    return json(204, undefined);
  }
  if (path === "/_control/webhooks" && ctx.method === "GET") {
    const workspaceId = ctx.url.searchParams.get("workspace_id") ?? "";
    return json(200, receiver.deliveries.get(workspaceId) ?? []);
  }
  return json(404, { error: "not_found", message: `no route ${ctx.method} ${path}` });
}
