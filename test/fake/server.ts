// Fake Xero, Gusto, QuickBooks and generic OAuth 2.0 providers, a webhook receiver, a sink for
// requests that must never arrive, and a control API, on one node:http server bound to 127.0.0.1 on
// a random port. Started by test/global-setup.ts; see README.md here.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { api } from "./api.ts";
import { control } from "./control.ts";
import { createGates, type Gates, gateRoutes } from "./gates.ts";
import { json, readBody, writeReply } from "./http.ts";
import type { Ctx, Reply } from "./http.ts";
import { authorize, revoke, token } from "./oauth.ts";
import { createSink, type Sink, sinkRoutes } from "./sink.ts";
import { createState } from "./store.ts";
import type { State } from "./store.ts";
import type { ProviderKey } from "./types.ts";
import { gustoWebhookRoutes } from "./gusto-webhooks.ts";
import { createWebhookReceiver, type WebhookReceiver, webhookRoutes } from "./webhooks.ts";

export interface FakeServer {
  port: number;
  /** http://127.0.0.1:<port> */
  origin: string;
  state: State;
  close(): Promise<void>;
}

interface ProviderRoutes {
  provider: ProviderKey;
  authorize: string;
  token: string;
  revoke: string;
  /** API base path, e.g. /xero/api */
  api: string;
}

const FIXED_ROUTES: ProviderRoutes[] = [
  { provider: "xero", authorize: "/xero/authorize", token: "/xero/token", revoke: "/xero/revoke", api: "/xero/api" },
  {
    provider: "gusto",
    authorize: "/gusto/oauth/authorize",
    token: "/gusto/oauth/token",
    revoke: "/gusto/oauth/revoke",
    api: "/gusto/api",
  },
  {
    provider: "quickbooks",
    authorize: "/quickbooks/oauth2",
    token: "/quickbooks/oauth2/v1/tokens/bearer",
    revoke: "/quickbooks/oauth2/v1/tokens/revoke",
    api: "/quickbooks/api",
  },
];

function providerOf(path: string): ProviderRoutes | null {
  const fixed = FIXED_ROUTES.find((routes) => path.startsWith(`/${routes.provider}/`));
  if (fixed) return fixed;
  const generic = /^\/generic\/([a-z0-9][a-z0-9_-]*)\//.exec(path);
  if (generic) {
    const base = `/generic/${generic[1]}`;
    return {
      provider: `generic:${generic[1]}`,
      authorize: `${base}/authorize`,
      token: `${base}/token`,
      revoke: `${base}/revoke`,
      api: `${base}/api`,
    };
  }
  return null;
}

const methodNotAllowed = (allow: string): Reply => json(405, { error: "method_not_allowed" }, { Allow: allow });

async function route(state: State, receiver: WebhookReceiver, sink: Sink, ctx: Ctx): Promise<Reply | null> {
  const path = ctx.url.pathname;
  if (path.startsWith("/_control/gates/")) return gateRoutes(ctx.gates, ctx, path);
  if (path.startsWith("/webhooks/") || path.startsWith("/_control/webhooks")) return webhookRoutes(receiver, ctx, path);
  if (path.startsWith("/sink/") || path.startsWith("/_control/sink/")) return sinkRoutes(sink, ctx, path);
  const gustoHooks = gustoWebhookRoutes(ctx, path);
  if (gustoHooks) return gustoHooks;
  if (path === "/_control" || path.startsWith("/_control/")) return control(state, ctx, path.slice("/_control".length));
  const p = providerOf(path);
  if (!p) return json(404, { error: "not_found", message: `no route ${ctx.method} ${path}` });
  if (path === p.authorize) return ctx.method === "GET" ? authorize(state, ctx, p.provider) : methodNotAllowed("GET");
  if (path === p.token) return ctx.method === "POST" ? token(state, ctx, p.provider) : methodNotAllowed("POST");
  if (path === p.revoke) return ctx.method === "POST" ? revoke(state, ctx, p.provider) : methodNotAllowed("POST");
  if (path.startsWith(`${p.api}/`)) return api(state, ctx, p.provider, path.slice(p.api.length));
  return json(404, { error: "not_found", message: `no route ${ctx.method} ${path}` });
}

export async function startFakeServer(opts: { port?: number; state?: State } = {}): Promise<FakeServer> {
  const state = opts.state ?? createState();
  const receiver = createWebhookReceiver();
  const sink = createSink();
  const gates: Gates = createGates();
  const closing = new AbortController();
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const hangUp = new AbortController();
    res.once("close", () => {
      if (!res.writableFinished) hangUp.abort();
    });
    try {
      const rawBody = await readBody(req);
      const ctx: Ctx = {
        req,
        res,
        method: req.method ?? "GET",
        url: new URL(req.url ?? "/", "http://127.0.0.1"),
        rawBody,
        signal: AbortSignal.any([hangUp.signal, closing.signal]),
        gates,
      };
      const reply = await route(state, receiver, sink, ctx);
      if (reply) writeReply(res, reply);
      else if (!res.headersSent) res.destroy();
    } catch (error) {
      console.error("[fake provider]", error);
      writeReply(res, json(500, { error: "fake_server_error", message: String(error) }));
    }
  };
  // handle() catches everything it throws, so nothing is dropped here.
  const server = createServer((req, res) => void handle(req, res));
  // An idle connection the server closes can be picked up by workerd's pool at that very moment
  // ("Network connection lost"): keep them open for the run; close() drops them all at the end.
  server.keepAliveTimeout = 10 * 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        closing.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

// `node test/fake/server.ts [port]` runs it standalone (e.g. next to `wrangler dev`).
if (import.meta.main) {
  const fake = await startFakeServer({ port: Number(process.argv[2] ?? 0) });
  console.log(`fake providers on ${fake.origin}`);
}
