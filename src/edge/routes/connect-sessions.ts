// Starting a connection from a popup: a one-time login URL, so no bearer token ever sits in a URL.
import { Hono } from "hono/tiny";
import * as z from "zod/mini";
import { checkConnectionConfig } from "../../framework/connection-config";
import { FailureError } from "../../framework/failure";
import { requireApp } from "../../framework/oauth/app";
import { connectTarget, publicBase } from "../../framework/settings";
import { SESSION_TTL_SECONDS, saveConnectSession } from "../../framework/state";
import { requireProvider } from "../../providers/registry";
import { workspaceClient } from "../../workspace/client";
import { authenticated, requireRole } from "../auth";
import { describe } from "../docs";
import type { AppEnv } from "../env";
import { described, fields, json, jsonBody } from "../validate";
import { loginPath } from "./oauth";

// Written by wrangler when it bundles (docs.ts describe): a deploy drops the route docs below.
declare const process: { readonly env: { readonly NODE_ENV?: string } };

export const connectSessionRoutes = new Hono<AppEnv>().post(
  "/integration/connect-sessions",
  describe(
    process.env.NODE_ENV !== "production" && {
      tag: "Connections",
      summary: "Create a one-time login URL for a popup",
      description: `The URL is valid for ${SESSION_TTL_SECONDS / 60} minutes, works once, and is bound to the caller, the workspace and the provider.`,
      access: "member",
      responses: {
        201: {
          description: "Open `url` in a popup",
          schema: z.object({
            url: described(z.string(), "Absolute login URL"),
            expires_at: described(z.string(), "ISO 8601"),
          }),
        },
        400: {
          description:
            "invalid_request: invalid input, naming the field (`config.<field>` for connection config); invalid_return_to: return_to or app_origin is not on one of the host app's origins",
        },
        403: {
          description: "forbidden: not a member of the workspace (replacing a connection is checked at confirm)",
        },
        429: { description: "rate_limited: the workspace started too many connections this hour; see Retry-After" },
        503: { description: "The provider's client credentials are not configured" },
      },
    },
  ),
  authenticated,
  jsonBody,
  json(
    z.object({
      workspace_id: fields.workspaceId,
      integration: fields.integration,
      config: z.optional(
        described(
          z.record(z.string(), z.string()),
          "The provider's connection config (its `connection_config` in GET /integration/providers), e.g. a subdomain; omit when it has none",
        ),
      ),
      return_to: z.optional(
        described(
          z.string().check(z.maxLength(2048)),
          "For a full-page redirect instead of a popup: an absolute URL on one of the host app's origins; after consent the browser comes back there (303) with `integration` and `confirm_token` or `error`",
        ),
      ),
      app_origin: z.optional(
        described(
          z.string().check(z.maxLength(300)),
          "The host app origin (one of APP_ORIGIN's) the popup posts to; default: return_to's origin, else the request's Origin when it is one, else the first",
        ),
      ),
    }),
  ),
  requireRole("member", "json"),
  async (c) => {
    const body = c.req.valid("json");
    const provider = requireProvider(body.integration, c.env);
    requireApp(provider, c.env); // fail now, not in the popup
    const checked = checkConnectionConfig(provider, body.config);
    if (!checked.ok) throw new FailureError("invalid_request", `Invalid body: ${checked.field} ${checked.message}`);
    const target = connectTarget(c.env, {
      returnTo: body.return_to,
      appOrigin: body.app_origin,
      requestOrigin: c.req.header("Origin"),
    });
    if (!target.ok) throw new FailureError("invalid_return_to", target.message);
    const admitted = await workspaceClient(c.env, body.workspace_id).admit("connect_session");
    if (!admitted.ok) throw FailureError.of(admitted.failure);
    const { id, record } = await saveConnectSession(c.env.OAUTH_KV, {
      workspaceId: body.workspace_id,
      userId: c.var.user.id,
      integration: provider.name,
      config: { ...checked.config },
      appOrigin: target.appOrigin,
      returnTo: target.returnTo,
    });
    const url = `${publicBase(c.env, c.req.url)}${loginPath(provider)}?${new URLSearchParams({ session: id }).toString()}`;
    return c.json({ url, expires_at: new Date(record.expiresAt).toISOString() }, 201, { "Cache-Control": "no-store" });
  },
);
