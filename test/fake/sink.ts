// A place requests must never reach: `ANY /sink/<name>` records each request (method, headers, body)
// and answers 200 with a token-shaped JSON body, so that a client which followed a redirect there
// would even appear to succeed. `GET /_control/sink/<name>` lists what arrived. Tests point a
// scripted redirect (`location`) at it and expect nothing.
import { json } from "./http.ts";
import type { Ctx, Reply } from "./http.ts";
import type { SinkHit } from "./types.ts";

export type Sink = Map<string, SinkHit[]>;

export const createSink = (): Sink => new Map();

export function sinkRoutes(sink: Sink, ctx: Ctx, path: string): Reply {
  const control = /^\/_control\/sink\/([^/]+)$/.exec(path);
  if (control && ctx.method === "GET") return json(200, sink.get(control[1]!) ?? []);
  const name = /^\/sink\/([^/]+)$/.exec(path)?.[1];
  if (!name) return json(404, { error: "not_found", message: `no route ${ctx.method} ${path}` });
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(ctx.req.headers)) if (typeof value === "string") headers[key] = value;
  const hits = sink.get(name) ?? [];
  hits.push({ method: ctx.method, headers, body: ctx.rawBody });
  sink.set(name, hits);
  return json(200, {
    access_token: "sink-access",
    refresh_token: "sink-refresh",
    token_type: "bearer",
    expires_in: 3600,
  });
}
