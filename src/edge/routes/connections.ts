// Connection management: which providers a workspace has connected (and who connected them),
// confirming a completed consent as the workspace's connection, and disconnecting one.
import { Hono } from "hono/tiny";
import * as z from "zod/mini";
import { FailureError } from "../../framework/failure";
import { resolveOAuthApp } from "../../framework/oauth/app";
import { displayName, type RegisteredProvider } from "../../framework/provider";
import { availableProviders, requireProvider } from "../../providers/registry";
import { listConnectionStates } from "../../storage/connections";
import { db } from "../../storage/db";
import type { FetchRun } from "../../framework/runs";
import { workspaceClient } from "../../workspace/client";
import { connKey, tenantOrNull } from "../../workspace/connections";
import { authenticated, requireRole } from "../auth";
import { describe } from "../docs";
import type { AppEnv } from "../env";
import { jsonText } from "../json-text";
import { described, connectionQuery, fields, json, jsonBody, query, queryFromJsonBody } from "../validate";

// Written by wrangler when it bundles (docs.ts describe): a deploy drops the route docs below.
declare const process: { readonly env: { readonly NODE_ENV?: string } };

const connectionInfo = () =>
  z.object({
    tenant_id: described(z.nullable(z.string()), "The company connected; null for a provider without tenants"),
    tenant_name: described(z.nullable(z.string()), "Its name as the provider gave it, when it did"),
    connected_by: described(z.nullable(z.string()), "The host app user (JWT sub) who confirmed the connection"),
    connected_at: described(z.nullable(z.string()), "When the connection was confirmed, ISO 8601"),
    requires_reconnect: described(z.boolean(), "The connection exists but the user must connect again"),
    last_fetch: described(
      z.nullable(z.object({ at: z.string(), outcome: z.string(), error: z.nullable(z.string()) })),
      "The connection's latest fetch run (GET /integration/runs), or null",
    ),
  });

const providerInfo = () =>
  z.object({
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
    connected: described(z.boolean(), "The workspace has at least one connection to this provider"),
    connections: described(z.array(connectionInfo()), "One per tenant connected, oldest first"),
    requires_reconnect: described(z.boolean(), "The first connection exists but the user must connect again"),
    connected_by: described(z.nullable(z.string()), "Who confirmed the first connection (JWT sub)"),
    connected_at: described(z.nullable(z.string()), "When the first connection was confirmed, ISO 8601"),
  });

type ProviderInfo = z.output<ReturnType<typeof providerInfo>>;
type ConnectionInfo = z.output<ReturnType<typeof connectionInfo>>;

const iso = (ms: number | null | undefined) => (ms != null ? new Date(ms).toISOString() : null);

/** A connection as listings show it; `run` is its latest fetch, when the caller read it. */
export function connectionEntry(
  state: {
    tenantId: string;
    tenantName: string | null;
    requiresReconnect: boolean;
    connectedBy: string | null;
    connectedAt: number | null;
  },
  run?: FetchRun,
): ConnectionInfo {
  return {
    tenant_id: tenantOrNull(state.tenantId),
    tenant_name: state.tenantName,
    connected_by: state.connectedBy,
    connected_at: iso(state.connectedAt),
    requires_reconnect: state.requiresReconnect,
    last_fetch: run ? { at: new Date(run.finishedAt).toISOString(), outcome: run.outcome, error: run.error } : null,
  };
}

/** What the listing shows of a provider whatever the workspace's connections. */
type ProviderBase = Omit<
  ProviderInfo,
  "connected" | "connections" | "requires_reconnect" | "connected_by" | "connected_at"
>;

function providerBase(p: RegisteredProvider, env: Env): ProviderBase {
  return {
    name: p.name,
    display_name: displayName(p),
    api_type: p.apiType,
    configured: resolveOAuthApp(p, env).configured,
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
  };
}

function providerEntry(base: ProviderBase, connections: ConnectionInfo[]): ProviderInfo {
  const [first] = connections;
  return {
    ...base,
    connected: first !== undefined,
    connections,
    requires_reconnect: first?.requires_reconnect ?? false,
    connected_by: first?.connected_by ?? null,
    connected_at: first?.connected_at ?? null,
  };
}

/** A provider this deployment offers: its fixed listing fields, and its whole entry as JSON for a workspace not connected to it. */
interface Offer {
  name: string;
  base: ProviderBase;
  unconnected: string;
}

/**
 * The listing's part that depends on the bindings alone (which providers are offered, which have
 * credentials), built once per env object: an isolate's bindings never change, and reading two
 * variables per provider on every call was the route's largest cost of its own.
 */
const offersByEnv = new WeakMap<Env, readonly Offer[]>();

function offers(env: Env): readonly Offer[] {
  let list = offersByEnv.get(env);
  if (!list) {
    list = availableProviders(env).map((p) => {
      const base = providerBase(p, env);
      return { name: p.name, base, unconnected: JSON.stringify(providerEntry(base, [])) };
    });
    offersByEnv.set(env, list);
  }
  return list;
}

const confirmedConnection = () =>
  z.object({
    integration: z.string(),
    tenant_id: z.nullable(z.string()),
    tenant_name: z.nullable(z.string()),
    connected_by: z.string(),
    connected_at: z.string(),
    replaced: described(z.boolean(), "It replaced the workspace's earlier connection to the same tenant"),
  });

const tenantChoice = () => z.object({ id: z.string(), name: z.nullable(z.string()), type: z.nullable(z.string()) });

export const connectionRoutes = new Hono<AppEnv>()
  .get(
    "/integration/providers",
    describe(
      process.env.NODE_ENV !== "production" && {
        tag: "Connections",
        summary: "List every provider this deployment offers and whether the workspace is connected to it",
        access: "member",
        responses: {
          200: {
            description:
              "One entry per provider offered here (development-only ones only in development), in registry order",
            schema: z.array(providerInfo()),
          },
        },
      },
    ),
    authenticated,
    query(z.object({ workspace_id: fields.workspaceId })),
    requireRole("member", "query"),
    async (c) => {
      const workspaceId = c.req.valid("query").workspace_id;
      const rows = await listConnectionStates(db(c.env.DB), workspaceId);
      const offered = offers(c.env);
      const mine = rows.filter((r) => offered.some((o) => o.name === r.integration));
      const runs =
        mine.length === 0
          ? {}
          : await workspaceClient(c.env, workspaceId).latestRuns(
              mine.map(({ integration, tenantId }) => ({ integration, tenantId })),
            );
      const entries = offered.map((o) => {
        const own = mine.filter((r) => r.integration === o.name);
        if (own.length === 0) return o.unconnected;
        return JSON.stringify(
          providerEntry(
            o.base,
            own.map((r) => connectionEntry(r, runs[connKey(r)])),
          ),
        );
      });
      // JSON.stringify of the array would give these same bytes: "[", its entries joined by ",", "]".
      return jsonText<ProviderInfo[]>(c, `[${entries.join(",")}]`);
    },
  )
  .post(
    "/integration/connections/confirm",
    describe(
      process.env.NODE_ENV !== "production" && {
        tag: "Connections",
        summary:
          "Make a completed consent the workspace's connection to each chosen tenant (the last step of connecting)",
        description:
          "Send the `confirm_token` the callback page posted to the host app, with the bearer JWT of the same user who " +
          "started the connection. When the grant covers several companies (the callback's message lists them as " +
          "`tenants`), name the ones to connect in `tenant_ids`; each becomes a connection of its own. Replacing an " +
          "existing connection to a tenant needs the admin role. Works once, within 10 minutes.",
        access: "member",
        responses: {
          200: {
            description:
              "Connected: one connection per chosen tenant, beside the provider's listing fields (of the first one)",
            schema: z.object({ ...providerInfo().shape, connections: z.array(confirmedConnection()) }),
          },
          400: {
            description:
              "invalid_request: the confirm token is unknown, used, expired or for another provider, or a tenant is not one the grant covers (nothing is stored)",
          },
          403: { description: "forbidden: another user started this connection, or replacing needs the admin role" },
          409: {
            description:
              "tenant_choice_required: the grant covers several companies and `tenant_ids` names none; `tenants` lists them. The confirm token stays usable.",
            schema: z.object({
              error: z.object({ code: z.literal("tenant_choice_required"), message: z.string() }),
              tenants: z.array(tenantChoice()),
            }),
          },
        },
      },
    ),
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
        tenant_ids: z.optional(
          described(
            z.array(fields.tenantId).check(z.minLength(1), z.maxLength(100)),
            "The tenants to connect, from the callback message's `tenants`; optional when the grant covers one",
          ),
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
        tenantIds: body.tenant_ids,
      });
      if (!outcome.ok) throw FailureError.of(outcome.failure);
      const connections = outcome.connections.map((k) => ({
        integration: k.integration,
        tenant_id: k.tenantId,
        tenant_name: k.tenantName,
        connected_by: k.connectedBy,
        connected_at: new Date(k.connectedAt).toISOString(),
        replaced: k.replaced,
      }));
      const listed = outcome.connections.map((k) =>
        connectionEntry({ ...k, tenantId: k.tenantId ?? "", requiresReconnect: false }),
      );
      return c.json({ ...providerEntry(providerBase(provider, c.env), listed), connections });
    },
  )
  .post(
    "/integration/disconnect",
    describe(
      process.env.NODE_ENV !== "production" && {
        tag: "Connections",
        summary: "Disconnect one connection: delete it and the workspace's cached data for it",
        description:
          "The grant is revoked at the provider unless another connection of the workspace still uses it (a Xero consent " +
          "covering several organisations); then only this tenant is dropped from it where the provider allows. The fields " +
          "may also be sent as a JSON body; a field given in both with different values is refused.",
        access: "admin",
        responses: {
          200: {
            description: "Disconnected, or was not connected",
            schema: z.object({ message: z.string(), disconnected: z.boolean() }),
          },
          400: { description: "Unknown integration or invalid input" },
          409: {
            description: "tenant_required: several connections to the provider and no tenant_id; `tenants` lists them",
          },
        },
      },
    ),
    authenticated,
    queryFromJsonBody(["workspace_id", "integration", "tenant_id"]),
    query(
      z.object({
        ...connectionQuery,
      }),
    ),
    requireRole("admin", "query"),
    async (c) => {
      const { workspace_id, integration, tenant_id } = c.req.valid("query");
      const provider = requireProvider(integration, c.env);
      const outcome = await workspaceClient(c.env, workspace_id).disconnect(
        { integration: provider.name, tenantId: tenant_id },
        c.var.user.id,
      );
      if (!outcome.ok) throw FailureError.of(outcome.failure);
      return c.json({
        message: outcome.disconnected
          ? `Integration ${provider.name} has been disconnected`
          : `Integration ${provider.name} is not connected`,
        disconnected: outcome.disconnected,
      });
    },
  );
