// Starting a connection from a popup: a one-time login URL, so no bearer token ever sits in a URL.
import { z } from "zod";
import { requireApp } from "../../framework/oauth/app";
import { publicBase } from "../../framework/settings";
import { SESSION_TTL_SECONDS, saveConnectSession } from "../../framework/state";
import { requireProvider } from "../../providers/registry";
import { type Api, fields } from "../api";
import { loginPath } from "./oauth";

export function connectSessionRoutes(api: Api): void {
  api.route(
    {
      method: "post",
      path: "/integration/connect-sessions",
      tag: "Connections",
      summary: "Create a one-time login URL for a popup",
      description: `The URL is valid for ${SESSION_TTL_SECONDS / 60} minutes, works once, and is bound to the caller, the workspace and the provider.`,
      access: "member",
      body: z.object({ workspace_id: fields.workspaceId, integration: fields.integration }),
      responses: {
        201: {
          description: "Open `url` in a popup",
          schema: z.object({ url: z.string().describe("Absolute login URL"), expires_at: z.string().describe("ISO 8601") }),
        },
        503: { description: "The provider's client credentials are not configured" },
      },
    },
    async (c, { body }) => {
      const provider = requireProvider(body.integration);
      requireApp(provider, c.env); // fail now, not in the popup
      const { id, record } = await saveConnectSession(c.env.OAUTH_KV, { workspaceId: body.workspace_id, userId: c.var.user.id, integration: provider.name });
      const url = `${publicBase(c.env, c.req.url)}${loginPath(provider)}?${new URLSearchParams({ session: id })}`;
      return c.json({ url, expires_at: new Date(record.expiresAt).toISOString() }, 201, { "Cache-Control": "no-store" });
    },
  );
}
