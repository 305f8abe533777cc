// Connection management: which providers a workspace has connected (and who connected them),
// confirming a completed consent as the workspace's connection, and disconnecting one.
import { Hono } from "hono";
import * as z from "zod/mini";
import { FailureError } from "../../framework/failure";
import { registerOAuthApp } from "../../framework/oauth/app";
import { displayName, type RegisteredProvider } from "../../framework/provider";
import { availableProviders, requireProvider } from "../../providers/registry";
import { listConnectionStates } from "../../storage/connections";
import { db } from "../../storage/db";
import { workspaceClient } from "../../workspace/client";
import { authenticated, requireRole } from "../auth";
import { describe } from "../docs";
import type { AppEnv } from "../env";
import { described, fields, json, jsonBody, query } from "../validate";

const providerInfo = z.object({
  name: described(z.string(), "Registry name, e.g. Xero"),
  display_name: z.string(),
  api_type: described(
    z.nullable(z.enum(["accounting", "payroll"])),
    "The data this service fetches from it; null: none (connections and the proxy only)",
  ),
  configured: described(z.boolean(), "The provider's client credentials are set on this server"),
  connection_config: described(
    z.nullable(
      z.record(
        z.string(),
        z.object({
          description: z.string(),
          pattern: described(z.nullable(z.string()), "A regular expression the whole value must match"),
          values: described(z.nullable(z.array(z.string())), "Or the values allowed"),
          example: z.string(),
        }),
      ),
    ),
    "Inputs a connection needs, passed as `config` to POST /integration/connect-sessions; null: none",
  ),
  connected: z.boolean(),
  requires_reconnect: described(z.boolean(), "The connection exists but the user must connect again"),
  connected_by: described(z.nullable(z.string()), "The host app user (JWT sub) who confirmed the connection"),
  connected_at: described(z.nullable(z.string()), "When the connection was confirmed, ISO 8601"),
});

type ProviderInfo = z.output<typeof providerInfo>;

interface ConnectionState {
  requiresReconnect: boolean;
  connectedBy: string | null;
  connectedAt: number | null;
}

function providerEntry(p: RegisteredProvider, env: Env, state: ConnectionState | undefined): ProviderInfo {
  return {
    name: p.name,
    display_name: displayName(p),
    api_type: p.apiType,
    configured: registerOAuthApp(p, env).configured,
    connection_config: p.connectionConfig
      ? Object.fromEntries(
          Object.entries(p.connectionConfig).map(([field, spec]) => [
            field,
            {
              description: spec.description,
              pattern: spec.pattern?.source ?? null,
              values: spec.values ? [...spec.values] : null,
              example: spec.example,
            },
          ]),
        )
      : null,
    connected: state !== undefined,
    requires_reconnect: state?.requiresReconnect ?? false,
    connected_by: state?.connectedBy ?? null,
    connected_at: state?.connectedAt != null ? new Date(state.connectedAt).toISOString() : null,
  };
}

export const connectionRoutes = new Hono<AppEnv>()
  .get(
    "/integration/providers",
    describe({
      tag: "Connections",
      summary: "List every provider this deployment offers and whether the workspace is connected to it",
      access: "member",
      responses: {
        200: {
          description:
            "One entry per provider offered here (development-only ones only in development), in registry order",
          schema: z.array(providerInfo),
        },
      },
    }),
    authenticated,
    query(z.object({ workspace_id: fields.workspaceId })),
    requireRole("member", "query"),
    async (c) => {
      const rows = await listConnectionStates(db(c.env.DB), c.req.valid("query").workspace_id);
      const byName = new Map(rows.map((r) => [r.integration, r]));
      return c.json(availableProviders(c.env).map((p) => providerEntry(p, c.env, byName.get(p.name))));
    },
  )
  .post(
    "/integration/connections/confirm",
    describe({
      tag: "Connections",
      summary: "Make a completed consent the workspace's connection (the last step of connecting)",
      description:
        "Send the `confirm_token` the callback page posted to the host app, with the bearer JWT of the same user who " +
        "started the connection. Replacing an existing connection needs the admin role. Works once, within 10 minutes.",
      access: "member",
      responses: {
        200: { description: "Connected: the provider's listing entry", schema: providerInfo },
        400: { description: "invalid_request: the confirm token is unknown, used, expired or for another provider" },
        403: { description: "forbidden: another user started this connection, or replacing needs the admin role" },
      },
    }),
    authenticated,
    jsonBody,
    json(
      z.object({
        workspace_id: fields.workspaceId,
        integration: fields.integration,
        confirm_token: described(
          z.string().check(z.minLength(1), z.maxLength(200)),
          "From the callback page's message",
        ),
      }),
    ),
    requireRole("member", "json"),
    async (c) => {
      const body = c.req.valid("json");
      const provider = requireProvider(body.integration, c.env);
      const user = c.var.user;
      const outcome = await workspaceClient(c.env, body.workspace_id).confirmGrant({
        integration: provider.name,
        confirmToken: body.confirm_token,
        userId: user.id,
        role: user.workspaces[body.workspace_id] === "admin" ? "admin" : "member",
      });
      if (!outcome.ok) throw FailureError.of(outcome.failure);
      const { connectedBy, connectedAt } = outcome.connection;
      return c.json(providerEntry(provider, c.env, { requiresReconnect: false, connectedBy, connectedAt }));
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
      const provider = requireProvider(integration, c.env);
      const existed = await workspaceClient(c.env, workspace_id).disconnect(provider.name, c.var.user.id);
      return c.json({
        message: existed
          ? `Integration ${provider.name} has been disconnected`
          : `Integration ${provider.name} is not connected`,
      });
    },
  );
