// Connection management: which providers a workspace has connected, and disconnecting one.
import { z } from "zod";
import { registerOAuthApp } from "../../framework/oauth/app";
import { displayName } from "../../framework/provider";
import { providerList, requireProvider } from "../../providers/registry";
import { listConnections } from "../../storage/connections";
import { db } from "../../storage/db";
import { workspaceClient } from "../../workspace/client";
import { type Api, fields } from "../api";

const providerInfo = z.object({
  name: z.string().describe("Registry name, e.g. Xero"),
  display_name: z.string(),
  api_type: z.enum(["accounting", "payroll"]),
  configured: z.boolean().describe("The provider's client credentials are set on this server"),
  connected: z.boolean(),
  requires_reconnect: z.boolean().describe("The connection exists but the user must connect again"),
});

export function connectionRoutes(api: Api): void {
  api.route(
    {
      method: "get",
      path: "/integration/providers",
      tag: "Connections",
      summary: "List every registered provider and whether the workspace is connected to it",
      access: "member",
      query: z.object({ workspace_id: fields.workspaceId }),
      responses: { 200: { description: "One entry per registered provider, in registry order", schema: z.array(providerInfo) } },
    },
    async (c, { query }) => {
      const rows = await listConnections(db(c.env.DB), query.workspace_id);
      const byName = new Map(rows.map((r) => [r.integration, r]));
      return c.json(
        providerList.map((p) => {
          const row = byName.get(p.name);
          return {
            name: p.name,
            display_name: displayName(p),
            api_type: p.apiType,
            configured: registerOAuthApp(p, c.env).configured,
            connected: row !== undefined,
            requires_reconnect: row?.requiresReconnect ?? false,
          } satisfies z.input<typeof providerInfo>;
        }),
      );
    },
  );

  api.route(
    {
      method: "post",
      path: "/integration/disconnect",
      tag: "Connections",
      summary: "Disconnect a provider: delete the connection and the workspace's cached data for it",
      access: "admin",
      query: z.object({ workspace_id: fields.workspaceId, integration: fields.integration }),
      responses: {
        200: { description: "Disconnected, or was not connected", schema: z.object({ message: z.string() }) },
        400: { description: "Unknown integration or invalid input" },
      },
    },
    async (c, { query }) => {
      const provider = requireProvider(query.integration);
      const existed = await workspaceClient(c.env, query.workspace_id).disconnect(provider.name);
      return c.json({
        message: existed ? `Integration ${provider.name} has been disconnected` : `Integration ${provider.name} is not connected`,
      });
    },
  );
}
