// Provider data for the host app: the normalized data per from_date, the accounting data points,
// a manual refresh, each connection's fetch and token status (never a token), and its fetch log.
import { Hono } from "hono/tiny";
import * as z from "zod/mini";
import { cacheDateKey, defaultFromDate, fromDateInRange, parseIsoDate } from "../../framework/dates";
import { accountingBatchJson } from "../../framework/data";
import { FailureError } from "../../framework/failure";
import type { FetchRun } from "../../framework/runs";
import { sendFetches } from "../../framework/fetch-queue";
import { availableProviders, requireProvider } from "../../providers/registry";
import { cachedKeys } from "../../storage/cache";
import { listConnections } from "../../storage/connections";
import { db } from "../../storage/db";
import { type DataPoint, fetchAdapterFor } from "../../workspace/adapter";
import { workspaceClient } from "../../workspace/client";
import { chooseConnection, connKey, tenantOrNull } from "../../workspace/connections";
import type { Pending } from "../../workspace/provider-events";
import { authenticated, requireRole } from "../auth";
import { describe } from "../docs";
import type { AppEnv } from "../env";
import { jsonText } from "../json-text";
import { described, connectionQuery, fields, query, queryFromJsonBody } from "../validate";
import { HOUR_MS } from "../../framework/durations";

// Written by wrangler when it bundles (docs.ts describe): a deploy drops the route docs below.
declare const process: { readonly env: { readonly NODE_ENV?: string } };

const fromDate = described(
  z.string().check(
    // One reason per value: a malformed date is not also said to be out of range.
    z.superRefine((v, ctx) => {
      const message =
        parseIsoDate(v) === null
          ? "must be a date as YYYY-MM-DD (four-digit year)"
          : fromDateInRange(v, Date.now())
            ? null
            : "must be between 20 years ago and 1 year ahead";
      if (message) ctx.addIssue({ code: "custom", message, input: v });
    }),
  ),
  "First month wanted, YYYY-MM-DD: from 20 years ago to 1 year ahead",
);

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The cron trigger in wrangler.toml runs at the top of every hour. */
function nextScheduledRun(now: number): string {
  return new Date(Math.floor(now / HOUR_MS) * HOUR_MS + HOUR_MS).toISOString();
}

const cacheDate = described(
  z.string(),
  "The entry's name: its cache date, the month end `dates[0]` shows (the 12-month batch rule, docs/api.md); reading with it as from_date returns this entry",
);

const accountingData = () =>
  z.object({
    fetched_at: z.string(),
    cache_date: cacheDate,
    dates: z.array(z.string()),
    data: z.record(z.string(), z.record(z.string(), z.nullable(z.number()))),
  });
const payrollData = () =>
  z.object({
    fetched_at: z.string(),
    cache_date: cacheDate,
    employees: z.array(
      z.object({
        id: described(z.string(), "The provider's own stable id of the employee (Gusto: its uuid)"),
        name: z.string(),
        start_date: z.string(),
        end_date: z.nullable(z.string()),
        title: z.string(),
        department: z.string(),
        monthly_salary: z.number(),
        from_integration: z.literal(true),
      }),
    ),
  });
const fetchRun = () =>
  z.object({
    trigger: described(z.string(), "cron, manual, on_demand or provider_event"),
    started_at: z.string(),
    finished_at: z.string(),
    outcome: described(z.string(), "success, error or dead_letter (the queue gave up on the key)"),
    error: described(z.nullable(z.string()), "`<reason>: <message>` when it failed"),
    cache_date: cacheDate,
    from_date: described(z.string(), "The same as cache_date, kept for callers written before it"),
  });

/** A run as the API shows it. */
const runEntry = (run: FetchRun): z.output<ReturnType<typeof fetchRun>> => ({
  trigger: run.trigger,
  started_at: iso(run.startedAt)!,
  finished_at: iso(run.finishedAt)!,
  outcome: run.outcome,
  error: run.error,
  cache_date: iso(run.cacheDate * 1000)!.slice(0, 10),
  from_date: iso(run.cacheDate * 1000)!.slice(0, 10),
});

const providerEventsOf = (p: Pending | undefined) =>
  p ? { events: p.events, kinds: p.kinds, refetch_at: iso(p.due)! } : null;

const connectionStatus = () =>
  z.object({
    integration: z.string(),
    tenant_id: described(z.nullable(z.string()), "The connection's tenant; null for a provider without tenants"),
    tenant_name: z.nullable(z.string()),
    requires_reconnect: z.boolean(),
    token: z.object({
      expires_at: z.nullable(z.string()),
      last_refresh_at: z.nullable(z.string()),
      last_refresh_error: z.nullable(z.string()),
      refresh_failures: z.number(),
      refresh_hard_expires_at: described(
        z.nullable(z.string()),
        "When the refresh token stops working however often it is used, so a member must connect again by then (QuickBooks: five years after consent); null when the provider states none",
      ),
    }),
    last_fetch: z.nullable(fetchRun()),
    next_scheduled_run: described(z.nullable(z.string()), "null while the connection needs a reconnect"),
    provider_events: described(
      z.nullable(z.object({ events: z.number(), kinds: z.array(z.string()), refetch_at: z.string() })),
      "The provider's change notifications waiting for the connection's re-fetch, what they reported and when it runs (docs/webhooks.md, Incoming); null when none wait",
    ),
  });

/** GET /integration/data's query (also the MCP tool get_data's arguments). */
export const dataQuery = z.object({ ...connectionQuery, from_date: fromDate });

/** GET /integration/dataEndpoints' query (also the MCP tool get_data_endpoints' arguments). */
export const dataEndpointsQuery = z.object({
  workspace_id: fields.workspaceId,
  from_date: fromDate,
  integration: z.optional(fields.integration),
  tenant_id: z.optional(fields.tenantId),
});

/** GET /integration/status' query (also the MCP tool list_connections' arguments). */
export const statusQuery = z.object({
  workspace_id: fields.workspaceId,
  integration: z.optional(fields.integration),
  tenant_id: z.optional(fields.tenantId),
});

/**
 * The body of GET /integration/data; throws the route's failures. Shared with the MCP tool get_data
 * (edge/mcp-server.ts), so both answer the same. The caller has checked the member role.
 */
async function loadData(env: Env, q: z.output<typeof dataQuery>) {
  const provider = requireProvider(q.integration, env);
  const data = await fetchAdapterFor(env, q.workspace_id, provider, q.tenant_id).getData(q.from_date);
  return {
    data,
    fetched_at: new Date(data.fetchedAt).toISOString(),
    cache_date: iso(cacheDateKey(q.from_date) * 1000)!.slice(0, 10),
  };
}

function dataBody({ data: { payload }, fetched_at, cache_date }: Awaited<ReturnType<typeof loadData>>) {
  return payload.apiType === "accounting"
    ? { fetched_at, cache_date, ...payload.batch }
    : { fetched_at, cache_date, employees: payload.employees };
}

export async function readData(env: Env, q: z.output<typeof dataQuery>) {
  return dataBody(await loadData(env, q));
}

/** The body of GET /integration/dataEndpoints (and the MCP tool get_data_endpoints). */
export async function readDataEndpoints(env: Env, q: z.output<typeof dataEndpointsQuery>): Promise<DataPoint[]> {
  const only = q.integration === undefined ? undefined : requireProvider(q.integration, env);
  const connections = await listConnections(db(env.DB), q.workspace_id);
  const points: DataPoint[] = [];
  for (const provider of availableProviders(env)) {
    if (provider.apiType !== "accounting" || (only && only.name !== provider.name)) continue;
    const mine = connections.filter((r) => r.integration === provider.name);
    for (const connection of mine) {
      // A connection waiting for its user to reconnect has no data source; its state is in /status.
      if (connection.requiresReconnect) continue;
      if (q.tenant_id !== undefined && connection.tenantId !== q.tenant_id) continue;
      const adapter = fetchAdapterFor(env, q.workspace_id, provider, connection.tenantId);
      points.push(...(await adapter.getDataEndpoints(q.from_date, mine.length > 1)));
    }
  }
  return points;
}

/** The body of GET /integration/status (and the MCP tool list_connections). */
export async function readStatus(
  env: Env,
  q: z.output<typeof statusQuery>,
): Promise<z.output<ReturnType<typeof connectionStatus>>[]> {
  const only = q.integration === undefined ? undefined : requireProvider(q.integration, env);
  const providers = availableProviders(env).filter((p) => !only || p.name === only.name);
  const connections = (await listConnections(db(env.DB), q.workspace_id)).filter(
    (r) => q.tenant_id === undefined || r.tenantId === q.tenant_id,
  );
  const shown = connections.filter((r) => providers.some((p) => p.name === r.integration));
  const { runs, pending } =
    shown.length === 0
      ? { runs: {} as Record<string, FetchRun>, pending: [] as Pending[] }
      : await workspaceClient(env, q.workspace_id).connectionActivity(
          shown.map(({ integration, tenantId }) => ({ integration, tenantId })),
        );
  const next = nextScheduledRun(Date.now());
  return providers.flatMap((provider) =>
    shown
      .filter((row) => row.integration === provider.name)
      .map((row) => {
        const run = runs[connKey(row)];
        return {
          integration: provider.name,
          tenant_id: tenantOrNull(row.tenantId),
          tenant_name: row.tenantName,
          requires_reconnect: row.requiresReconnect,
          token: {
            expires_at: iso(row.expiresAt),
            last_refresh_at: iso(row.lastRefreshAt),
            last_refresh_error: row.lastRefreshError,
            refresh_failures: row.refreshFailures,
            refresh_hard_expires_at: iso(row.refreshHardExpiresAt),
          },
          last_fetch: run ? runEntry(run) : null,
          next_scheduled_run: row.requiresReconnect ? null : next,
          provider_events: providerEventsOf(pending.find((p) => connKey(p) === connKey(row))),
        };
      }),
  );
}

export const dataRoutes = new Hono<AppEnv>()
  .get(
    "/integration/data",
    describe(
      process.env.NODE_ENV !== "production" && {
        tag: "Data",
        summary: "The provider's normalized data from from_date (cached; fetched now on a miss)",
        description:
          "Accounting: `{ fetched_at, cache_date, dates, data: { title: { date: number|null } } }` (a DataBatch). Payroll: `{ fetched_at, cache_date, employees: [...] }`. " +
          "`from_date` names a cache entry: the 12-month batch rule maps it to its cache date, the last day of the latest 31-day month not after it " +
          "(2025-04-15 → 2025-03-31; 2025-06-10 → 2025-05-31, June having 30 days); the entry holds 24 months from that month, cut at the current month. " +
          "Data may be older than the request; `fetched_at` says when the provider was read.",
        access: "member",
        responses: {
          200: { description: "The data", schema: z.union([accountingData(), payrollData()]) },
          404: { description: "not_connected: the workspace has no connection to this provider (or tenant)" },
          409: {
            description:
              "reconnect_required: a member must connect again; tenant_required: several connections to the provider and no tenant_id (`tenants` lists them)",
          },
          502: { description: "The provider answered with an error or data in an unexpected shape" },
          429: { description: "rate_limited: the workspace fetched too many new months this hour; see Retry-After" },
          503: { description: "provider_unavailable: try again after Retry-After" },
        },
      },
    ),
    authenticated,
    query(dataQuery),
    requireRole("member", "query"),
    async (c) => {
      const loaded = await loadData(c.env, c.req.valid("query"));
      const { data, fetched_at, cache_date } = loaded;
      const batch = data.storedJson === null ? null : accountingBatchJson(data.storedJson);
      // A cached accounting batch is served as stored, around the two fields before it: the bytes
      // c.json gives below, without parsing 16 KB and serializing it again on every read.
      if (batch !== null && !batch.includes('"fetched_at"') && !batch.includes('"cache_date"')) {
        const head = `{"fetched_at":"${fetched_at}","cache_date":"${cache_date}"`;
        return jsonText<z.output<ReturnType<typeof accountingData>>>(
          c,
          batch === "{}" ? `${head}}` : `${head},${batch.slice(1)}`,
        );
      }
      return c.json(dataBody(loaded));
    },
  )
  .get(
    "/integration/dataEndpoints",
    describe(
      process.env.NODE_ENV !== "production" && {
        tag: "Data",
        summary: "Every data point (Integration[Title]) of the workspace's connected accounting providers",
        description:
          "One entry per title of each connection. Where the workspace has several connections to a provider, ids name " +
          "the tenant (`Xero:<tenant_id>[Total Income]`), so two organisations' same-named accounts stay apart. " +
          "`integration` and `tenant_id` narrow the list to one provider or connection.",
        access: "member",
        responses: {
          200: {
            description: "The data points",
            schema: z.array(
              z.object({ id: z.string(), integration: z.string(), name: z.string(), cache_date: cacheDate }),
            ),
          },
        },
      },
    ),
    authenticated,
    query(dataEndpointsQuery),
    requireRole("member", "query"),
    async (c) => c.json(await readDataEndpoints(c.env, c.req.valid("query"))),
  )
  .post(
    "/integration/fetch",
    describe(
      process.env.NODE_ENV !== "production" && {
        tag: "Data",
        summary: "Queue a refresh of every cached key of a connection (and its default 24-month window) now",
        description:
          "The fields may be sent in the query or as a JSON body; a field given in both with different values is refused.",
        access: "admin",
        responses: {
          202: { description: "Queued", schema: z.object({ message: z.string(), queued: z.number() }) },
          404: { description: "not_connected" },
          409: { description: "tenant_required: several connections to the provider and no tenant_id" },
          429: { description: "rate_limited: the workspace asked for too many fetches this hour; see Retry-After" },
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
      const q = c.req.valid("query");
      const provider = requireProvider(q.integration, c.env);
      if (provider.apiType === null) {
        throw new FailureError(
          "invalid_request",
          `${provider.name} has no data adapter here; call its API through /integration/proxy/${provider.name}/…`,
        );
      }
      const d = db(c.env.DB);
      const mine = (await listConnections(d, q.workspace_id)).filter((r) => r.integration === provider.name);
      const chosen = chooseConnection(provider.name, mine, q.tenant_id);
      if (!chosen.ok) throw FailureError.of(chosen.failure);
      const { tenantId } = chosen.row;
      const admitted = await workspaceClient(c.env, q.workspace_id).admit("fetch", {
        integration: provider.name,
        tenantId,
      });
      if (!admitted.ok) throw FailureError.of(admitted.failure);
      const keys = new Set([
        ...(await cachedKeys(d, { workspaceId: q.workspace_id, integration: provider.name, tenantId })),
        cacheDateKey(defaultFromDate(Date.now())),
      ]);
      await sendFetches(
        c.env.FETCH_QUEUE,
        [...keys].map((cacheDate) => ({
          workspaceId: q.workspace_id,
          integration: provider.name,
          tenantId,
          cacheDate,
          trigger: "manual" as const,
        })),
      );
      return c.json({ message: `A fetch of ${provider.name} has been queued`, queued: keys.size }, 202);
    },
  )
  .get(
    "/integration/status",
    describe(
      process.env.NODE_ENV !== "production" && {
        tag: "Data",
        summary: "Per connection: last fetch, its outcome, the next scheduled run and the token's state",
        access: "member",
        responses: {
          200: {
            description: "One entry per connection, in registry order (a provider's connections oldest first)",
            schema: z.array(connectionStatus()),
          },
        },
      },
    ),
    authenticated,
    query(statusQuery),
    requireRole("member", "query"),
    async (c) => c.json(await readStatus(c.env, c.req.valid("query"))),
  )
  .get(
    "/integration/runs",
    describe(
      process.env.NODE_ENV !== "production" && {
        tag: "Data",
        summary: "A connection's fetch log, newest first: every ended fetch attempt and every key the queue gave up on",
        description: `Kept FETCH_RUNS_RETENTION_MS (30 days by default), in the workspace's Durable Object.`,
        access: "member",
        responses: {
          200: { description: "Runs, newest first", schema: z.array(fetchRun()) },
          400: { description: "unknown_integration, or a limit out of range" },
          404: { description: "not_connected: no connection to that tenant" },
          409: { description: "tenant_required: several connections to the provider and no tenant_id" },
        },
      },
    ),
    authenticated,
    query(
      z.object({
        ...connectionQuery,
        limit: described(
          z.optional(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(100))),
          "How many, 1 to 100 (default 20)",
        ),
      }),
    ),
    requireRole("member", "query"),
    async (c) => {
      const q = c.req.valid("query");
      const provider = requireProvider(q.integration, c.env);
      const outcome = await workspaceClient(c.env, q.workspace_id).fetchRuns(
        { integration: provider.name, tenantId: q.tenant_id },
        q.limit ?? 20,
      );
      if (!outcome.ok) throw FailureError.of(outcome.failure);
      return c.json(outcome.runs.map(runEntry));
    },
  );
