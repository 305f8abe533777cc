// Provider data for the host app: the normalized data per from_date, the accounting data points,
// a manual refresh, each connection's fetch and token status (never a token), and its fetch log.
import { Hono } from "hono";
import * as z from "zod/mini";
import { cacheDateKey, defaultFromDate, fromDateInRange, parseIsoDate } from "../../framework/dates";
import { FailureError } from "../../framework/failure";
import type { FetchRun } from "../../framework/runs";
import { sendFetches } from "../../framework/fetch-queue";
import { availableProviders, requireProvider } from "../../providers/registry";
import { cachedKeys } from "../../storage/cache";
import { listConnections } from "../../storage/connections";
import { db } from "../../storage/db";
import { type DataPoint, fetchAdapterFor } from "../../workspace/adapter";
import { workspaceClient } from "../../workspace/client";
import { authenticated, requireRole } from "../auth";
import { describe } from "../docs";
import type { AppEnv } from "../env";
import { described, fields, query } from "../validate";

const fromDate = described(
  z.string().check(
    z.refine((v) => parseIsoDate(v) !== null, { message: "must be a date as YYYY-MM-DD (four-digit year)" }),
    z.refine((v) => fromDateInRange(v, Date.now()), {
      message: "must be between 20 years ago and 1 year ahead",
    }),
  ),
  "First month wanted, YYYY-MM-DD: from 20 years ago to 1 year ahead",
);

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The cron trigger in wrangler.toml runs at the top of every hour. */
function nextScheduledRun(now: number): string {
  return new Date(Math.floor(now / 3600_000) * 3600_000 + 3600_000).toISOString();
}

const accountingData = z.object({
  fetched_at: z.string(),
  dates: z.array(z.string()),
  data: z.record(z.string(), z.record(z.string(), z.nullable(z.number()))),
});
const payrollData = z.object({
  fetched_at: z.string(),
  employees: z.array(
    z.object({
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
const fetchRun = z.object({
  trigger: described(z.string(), "cron, manual or on_demand"),
  started_at: z.string(),
  finished_at: z.string(),
  outcome: described(z.string(), "success, error or dead_letter (the queue gave up on the key)"),
  error: described(z.nullable(z.string()), "`<reason>: <message>` when it failed"),
  from_date: described(z.string(), "The run's cache key as a date (the seed's key, docs/adapters.md)"),
});

/** A run as the API shows it. */
const runEntry = (run: FetchRun): z.output<typeof fetchRun> => ({
  trigger: run.trigger,
  started_at: iso(run.startedAt)!,
  finished_at: iso(run.finishedAt)!,
  outcome: run.outcome,
  error: run.error,
  from_date: iso(run.cacheDate * 1000)!.slice(0, 10),
});

const connectionStatus = z.object({
  integration: z.string(),
  requires_reconnect: z.boolean(),
  token: z.object({
    expires_at: z.nullable(z.string()),
    last_refresh_at: z.nullable(z.string()),
    last_refresh_error: z.nullable(z.string()),
    refresh_failures: z.number(),
  }),
  last_fetch: z.nullable(fetchRun),
  next_scheduled_run: described(z.nullable(z.string()), "null while the connection needs a reconnect"),
});

export const dataRoutes = new Hono<AppEnv>()
  .get(
    "/integration/data",
    describe({
      tag: "Data",
      summary: "The provider's normalized data from from_date (cached; fetched now on a miss)",
      description:
        "Accounting: `{ fetched_at, dates, data: { title: { date: number|null } } }` (a DataBatch). Payroll: `{ fetched_at, employees: [...] }`. " +
        "Data may be older than the request; `fetched_at` says when the provider was read.",
      access: "member",
      responses: {
        200: { description: "The data", schema: z.union([accountingData, payrollData]) },
        404: { description: "not_connected: the workspace has no connection to this provider" },
        409: { description: "reconnect_required: a member must connect again" },
        502: { description: "The provider answered with an error or data in an unexpected shape" },
        429: { description: "rate_limited: the workspace fetched too many new months this hour; see Retry-After" },
        503: { description: "provider_unavailable: try again after Retry-After" },
      },
    }),
    authenticated,
    query(z.object({ workspace_id: fields.workspaceId, integration: fields.integration, from_date: fromDate })),
    requireRole("member", "query"),
    async (c) => {
      const q = c.req.valid("query");
      const provider = requireProvider(q.integration, c.env);
      const adapter = fetchAdapterFor(c.env, q.workspace_id, provider);
      const { payload, fetchedAt } = await adapter.getData(q.from_date);
      const fetched_at = new Date(fetchedAt).toISOString();
      return payload.apiType === "accounting"
        ? c.json({ fetched_at, ...payload.batch })
        : c.json({ fetched_at, employees: payload.employees });
    },
  )
  .get(
    "/integration/dataEndpoints",
    describe({
      tag: "Data",
      summary: "Every data point (Integration[Title]) of the workspace's connected accounting providers",
      access: "member",
      responses: {
        200: {
          description: "The data points",
          schema: z.array(z.object({ id: z.string(), integration: z.string(), name: z.string() })),
        },
      },
    }),
    authenticated,
    query(z.object({ workspace_id: fields.workspaceId, from_date: fromDate })),
    requireRole("member", "query"),
    async (c) => {
      const q = c.req.valid("query");
      const connected = new Map((await listConnections(db(c.env.DB), q.workspace_id)).map((r) => [r.integration, r]));
      const points: DataPoint[] = [];
      for (const provider of availableProviders(c.env)) {
        const connection = connected.get(provider.name);
        // A connection waiting for its user to reconnect has no data source; its state is in /status.
        if (provider.apiType !== "accounting" || !connection || connection.requiresReconnect) continue;
        const adapter = fetchAdapterFor(c.env, q.workspace_id, provider);
        points.push(...(await adapter.getDataEndpoints(q.from_date)));
      }
      return c.json(points);
    },
  )
  .post(
    "/integration/fetch",
    describe({
      tag: "Data",
      summary: "Queue a refresh of every cached key of a connection (and its default 24-month window) now",
      access: "admin",
      responses: {
        202: { description: "Queued", schema: z.object({ message: z.string(), queued: z.number() }) },
        404: { description: "not_connected" },
        429: { description: "rate_limited: the workspace asked for too many fetches this hour; see Retry-After" },
      },
    }),
    authenticated,
    query(z.object({ workspace_id: fields.workspaceId, integration: fields.integration })),
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
      const connection = (await listConnections(d, q.workspace_id)).find((r) => r.integration === provider.name);
      if (!connection) throw new FailureError("not_connected", `${provider.name} is not connected for this workspace`);
      const admitted = await workspaceClient(c.env, q.workspace_id).admit("fetch");
      if (!admitted.ok) throw FailureError.of(admitted.failure);
      const keys = new Set([
        ...(await cachedKeys(d, q.workspace_id, provider.name)),
        cacheDateKey(defaultFromDate(Date.now())),
      ]);
      await sendFetches(
        c.env.FETCH_QUEUE,
        [...keys].map((cacheDate) => ({
          workspaceId: q.workspace_id,
          integration: provider.name,
          cacheDate,
          trigger: "manual" as const,
        })),
      );
      return c.json({ message: `A fetch of ${provider.name} has been queued`, queued: keys.size }, 202);
    },
  )
  .get(
    "/integration/status",
    describe({
      tag: "Data",
      summary: "Per connection: last fetch, its outcome, the next scheduled run and the token's state",
      access: "member",
      responses: {
        200: { description: "One entry per connection, in registry order", schema: z.array(connectionStatus) },
      },
    }),
    authenticated,
    query(z.object({ workspace_id: fields.workspaceId })),
    requireRole("member", "query"),
    async (c) => {
      const { workspace_id } = c.req.valid("query");
      const providers = availableProviders(c.env);
      const [connections, runs] = await Promise.all([
        listConnections(db(c.env.DB), workspace_id),
        workspaceClient(c.env, workspace_id).latestRuns(providers.map((p) => p.name)),
      ]);
      const byName = new Map(connections.map((r) => [r.integration, r]));
      const next = nextScheduledRun(Date.now());
      return c.json(
        providers.flatMap((provider): z.output<typeof connectionStatus>[] => {
          const row = byName.get(provider.name);
          if (!row) return [];
          const run = runs[provider.name];
          return [
            {
              integration: provider.name,
              requires_reconnect: row.requiresReconnect,
              token: {
                expires_at: iso(row.expiresAt),
                last_refresh_at: iso(row.lastRefreshAt),
                last_refresh_error: row.lastRefreshError,
                refresh_failures: row.refreshFailures,
              },
              last_fetch: run ? runEntry(run) : null,
              next_scheduled_run: row.requiresReconnect ? null : next,
            },
          ];
        }),
      );
    },
  )
  .get(
    "/integration/runs",
    describe({
      tag: "Data",
      summary: "A connection's fetch log, newest first: every ended fetch attempt and every key the queue gave up on",
      description: `Kept FETCH_RUNS_RETENTION_MS (30 days by default), in the workspace's Durable Object.`,
      access: "member",
      responses: {
        200: { description: "Runs, newest first", schema: z.array(fetchRun) },
        400: { description: "unknown_integration, or a limit out of range" },
      },
    }),
    authenticated,
    query(
      z.object({
        workspace_id: fields.workspaceId,
        integration: fields.integration,
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
      const runs = await workspaceClient(c.env, q.workspace_id).fetchRuns(provider.name, q.limit ?? 20);
      return c.json(runs.map(runEntry));
    },
  );
