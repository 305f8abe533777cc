// Starting a connection from a popup: a one-time login URL, so no bearer token ever sits in a URL.
import { Hono } from "hono";
import * as z from "zod/mini";
import { checkConnectionConfig } from "../../framework/connection-config";
import { FailureError } from "../../framework/failure";
import { requireApp } from "../../framework/oauth/app";
import { publicBase } from "../../framework/settings";
import { SESSION_TTL_SECONDS, saveConnectSession } from "../../framework/state";
import { requireProvider } from "../../providers/registry";
import { workspaceClient } from "../../workspace/client";
import { authenticated, requireRole } from "../auth";
import { describe } from "../docs";
import type { AppEnv } from "../env";
import { described, fields, json, jsonBody } from "../validate";
import { loginPath } from "./oauth";

export const connectSessionRoutes = new Hono<AppEnv>().post(
  "/integration/connect-sessions",
  describe({
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
      400: { description: "invalid_request: invalid input, naming the field (`config.<field>` for connection config)" },
      403: {
        description:
          "forbidden: not a member, or the provider is connected already and replacing it needs the admin role",
      },
      429: { description: "rate_limited: the workspace started too many connections this hour; see Retry-After" },
      503: { description: "The provider's client credentials are not configured" },
    },
  }),
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
    }),
  ),
  requireRole("member", "json"),
  async (c) => {
    const body = c.req.valid("json");
    const provider = requireProvider(body.integration, c.env);
    requireApp(provider, c.env); // fail now, not in the popup
    const checked = checkConnectionConfig(provider, body.config);
    if (!checked.ok) throw new FailureError("invalid_request", `Invalid body: ${checked.field} ${checked.message}`);
    const admitted = await workspaceClient(c.env, body.workspace_id).admit("connect_session");
    if (!admitted.ok) throw FailureError.of(admitted.failure);
    const { id, record } = await saveConnectSession(c.env.OAUTH_KV, {
      workspaceId: body.workspace_id,
      userId: c.var.user.id,
      integration: provider.name,
      config: { ...checked.config },
    });
    const url = `${publicBase(c.env, c.req.url)}${loginPath(provider)}?${new URLSearchParams({ session: id }).toString()}`;
    return c.json({ url, expires_at: new Date(record.expiresAt).toISOString() }, 201, { "Cache-Control": "no-store" });
  },
);
