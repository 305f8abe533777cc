// Connection management: which providers a workspace has connected, and disconnecting one.
import { Hono } from "hono";
import * as z from "zod/mini";
import { registerOAuthApp } from "../../framework/oauth/app";
import { displayName } from "../../framework/provider";
import { providerList, requireProvider } from "../../providers/registry";
import { listConnectionStates } from "../../storage/connections";
import { db } from "../../storage/db";
import { workspaceClient } from "../../workspace/client";
import { authenticated, requireRole } from "../auth";
import { describe } from "../docs";
import type { AppEnv } from "../env";
import { fields, query } from "../validate";

const providerInfo = z.object({
  name: fields.describe(z.string(), "Registry name, e.g. Xero"),
  display_name: z.string(),
  api_type: z.enum(["accounting", "payroll"]),
  configured: fields.describe(z.boolean(), "The provider's client credentials are set on this server"),
  connected: z.boolean(),
  requires_reconnect: fields.describe(z.boolean(), "The connection exists but the user must connect again"),
});

export const connectionRoutes = new Hono<AppEnv>()
  .get(
    "/integration/providers",
    describe({
      tag: "Connections",
      summary: "List every registered provider and whether the workspace is connected to it",
      access: "member",
      responses: {
        200: { description: "One entry per registered provider, in registry order", schema: z.array(providerInfo) },
      },
    }),
    authenticated,
    query(z.object({ workspace_id: fields.workspaceId })),
    requireRole("member", "query"),
    async (c) => {
      const rows = await listConnectionStates(db(c.env.DB), c.req.valid("query").workspace_id);
      const byName = new Map(rows.map((r) => [r.integration, r]));
      return c.json(
        providerList.map((p): z.output<typeof providerInfo> => {
          const row = byName.get(p.name);
          return {
            name: p.name,
            display_name: displayName(p),
            api_type: p.apiType,
            configured: registerOAuthApp(p, c.env).configured,
            connected: row !== undefined,
            requires_reconnect: row?.requiresReconnect ?? false,
          };
        }),
      );
    },
  )
  .post(
    "/integration/disconnect",
    describe({
      tag: "Connections",
      summary: "Disconnect a provider: delete the connection and the workspace's cached data for it",
      access: "admin",
      responses: {
        200: { description: "Disconnected, or was not connected", schema: z.object({ message: z.string() }) },
        400: { description: "Unknown integration or invalid input" },
      },
    }),
    authenticated,
    query(z.object({ workspace_id: fields.workspaceId, integration: fields.integration })),
    requireRole("admin", "query"),
    async (c) => {
      const { workspace_id, integration } = c.req.valid("query");
      const provider = requireProvider(integration);
      const existed = await workspaceClient(c.env, workspace_id).disconnect(provider.name);
      return c.json({
        message: existed
          ? `Integration ${provider.name} has been disconnected`
          : `Integration ${provider.name} is not connected`,
      });
    },
  );
