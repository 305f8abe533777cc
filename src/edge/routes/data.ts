// Provider data for the host app: the normalized data per from_date, the accounting data points,
// a manual refresh, and each connection's fetch and token status (never a token).
import { z } from "zod";
import { cacheDateKey, defaultFromDate, parseIsoDate } from "../../framework/dates";
import { FailureError } from "../../framework/failure";
import { sendFetches } from "../../framework/fetch-queue";
import { providerList, requireProvider } from "../../providers/registry";
import { cachedKeys } from "../../storage/cache";
import { listConnections } from "../../storage/connections";
import { db } from "../../storage/db";
import { latestRuns } from "../../storage/runs";
import { type DataPoint, fetchAdapterFor } from "../../workspace/adapter";
import { type Api, fields } from "../api";

const fromDate = z
  .string()
  .refine((v) => parseIsoDate(v) !== null, { message: "must be a date as YYYY-MM-DD" })
  .describe("First month wanted, YYYY-MM-DD");

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The cron trigger in wrangler.toml runs at the top of every hour. */
export function nextScheduledRun(now: number): string {
  return new Date(Math.floor(now / 3600_000) * 3600_000 + 3600_000).toISOString();
}

const notConnected = (integration: string) => new FailureError("not_connected", `${integration} is not connected for this workspace`);

export function dataRoutes(api: Api): void {
  api.route(
    {
      method: "get",
      path: "/integration/data",
      tag: "Data",
      summary: "The provider's normalized data from from_date (cached; fetched now on a miss)",
      description:
        "Accounting: `{ fetched_at, dates, data: { title: { date: number|null } } }` (the seed's DataBatch). Payroll: `{ fetched_at, employees: [...] }`. " +
        "Data may be older than the request; `fetched_at` says when the provider was read.",
      access: "member",
      query: z.object({ workspace_id: fields.workspaceId, integration: fields.integration, from_date: fromDate }),
      responses: {
        200: {
          description: "The data",
          schema: z.union([
            z.object({ fetched_at: z.string(), dates: z.array(z.string()), data: z.record(z.string(), z.record(z.string(), z.number().nullable())) }),
            z.object({
              fetched_at: z.string(),
              employees: z.array(
                z.object({ name: z.string(), start_date: z.string(), end_date: z.string().nullable(), title: z.string(), department: z.string(), monthly_salary: z.number(), from_integration: z.literal(true) }),
              ),
            }),
          ]),
        },
        404: { description: "not_connected: the workspace has no connection to this provider" },
        409: { description: "reconnect_required: a member must connect again" },
        502: { description: "The provider answered with an error or data in an unexpected shape" },
        503: { description: "provider_unavailable: try again after Retry-After" },
      },
    },
    async (c, { query }) => {
      const provider = requireProvider(query.integration);
      const { payload, fetchedAt } = await fetchAdapterFor(c.env, query.workspace_id, provider, (p) => c.executionCtx.waitUntil(p)).getData(query.from_date);
      const fetched_at = new Date(fetchedAt).toISOString();
      return payload.apiType === "accounting" ? c.json({ fetched_at, ...payload.batch }) : c.json({ fetched_at, employees: payload.employees });
    },
  );

  api.route(
    {
      method: "get",
      path: "/integration/dataEndpoints",
      tag: "Data",
      summary: "Every data point (Integration[Title]) of the workspace's connected accounting providers",
      access: "member",
      query: z.object({ workspace_id: fields.workspaceId, from_date: fromDate }),
      responses: { 200: { description: "The seed's DataPoint list", schema: z.array(z.object({ id: z.string(), integration: z.string(), name: z.string() })) } },
    },
    async (c, { query }) => {
      const connected = new Map((await listConnections(db(c.env.DB), query.workspace_id)).map((r) => [r.integration, r]));
      const points: DataPoint[] = [];
      for (const provider of providerList) {
        const connection = connected.get(provider.name);
        // A connection waiting for its user to reconnect has no data source; its state is in /status.
        if (provider.apiType !== "accounting" || !connection || connection.requiresReconnect) continue;
        points.push(...(await fetchAdapterFor(c.env, query.workspace_id, provider, (p) => c.executionCtx.waitUntil(p)).getDataEndpoints(query.from_date)));
      }
      return c.json(points);
    },
  );

  api.route(
    {
      method: "post",
      path: "/integration/fetch",
      tag: "Data",
      summary: "Queue a refresh of every cached key of a connection (and its default 24-month window) now",
      access: "admin",
      query: z.object({ workspace_id: fields.workspaceId, integration: fields.integration }),
      responses: {
        202: { description: "Queued", schema: z.object({ message: z.string(), queued: z.number() }) },
        404: { description: "not_connected" },
      },
    },
    async (c, { query }) => {
      const provider = requireProvider(query.integration);
      const d = db(c.env.DB);
      const connection = (await listConnections(d, query.workspace_id)).find((r) => r.integration === provider.name);
      if (!connection) throw notConnected(provider.name);
      const keys = new Set([...(await cachedKeys(d, query.workspace_id, provider.name)), cacheDateKey(defaultFromDate(Date.now()))]);
      await sendFetches(
        c.env.FETCH_QUEUE,
        [...keys].map((cacheDate) => ({ workspaceId: query.workspace_id, integration: provider.name, cacheDate, trigger: "manual" as const })),
      );
      return c.json({ message: `A fetch of ${provider.name} has been queued`, queued: keys.size }, 202);
    },
  );

  api.route(
    {
      method: "get",
      path: "/integration/status",
      tag: "Data",
      summary: "Per connection: last fetch, its outcome, the next scheduled run and the token's state",
      access: "member",
      query: z.object({ workspace_id: fields.workspaceId }),
      responses: {
        200: {
          description: "One entry per connection, in registry order",
          schema: z.array(
            z.object({
              integration: z.string(),
              requires_reconnect: z.boolean(),
              token: z.object({ expires_at: z.string().nullable(), last_refresh_at: z.string().nullable(), last_refresh_error: z.string().nullable(), refresh_failures: z.number() }),
              last_fetch: z
                .object({ trigger: z.string(), started_at: z.string(), finished_at: z.string().nullable(), outcome: z.string(), error: z.string().nullable(), from_date: z.string() })
                .nullable(),
              next_scheduled_run: z.string().nullable().describe("null while the connection needs a reconnect"),
            }),
          ),
        },
      },
    },
    async (c, { query }) => {
      const d = db(c.env.DB);
      const [connections, runs] = await Promise.all([listConnections(d, query.workspace_id), latestRuns(d, query.workspace_id)]);
      const byName = new Map(connections.map((r) => [r.integration, r]));
      const next = nextScheduledRun(Date.now());
      return c.json(
        providerList.flatMap((provider) => {
          const row = byName.get(provider.name);
          if (!row) return [];
          const run = runs.get(provider.name);
          return [
            {
              integration: provider.name,
              requires_reconnect: row.requiresReconnect,
              token: { expires_at: iso(row.expiresAt), last_refresh_at: iso(row.lastRefreshAt), last_refresh_error: row.lastRefreshError, refresh_failures: row.refreshFailures },
              last_fetch: run
                ? { trigger: run.trigger, started_at: iso(run.startedAt)!, finished_at: iso(run.finishedAt), outcome: run.outcome, error: run.error, from_date: iso(run.cacheDate * 1000)!.slice(0, 10) }
                : null,
              next_scheduled_run: row.requiresReconnect ? null : next,
            },
          ];
        }),
      );
    },
  );
}
