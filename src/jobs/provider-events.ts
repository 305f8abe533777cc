// Routes a provider's verified webhook events (one FETCH_QUEUE message from
// POST /integration/<provider>/webhooks) to every connection, in any workspace, holding their
// tenants: one indexed D1 read per message, then one call per connection to its workspace's object,
// which drops duplicates and gathers the events for one re-fetch. A tenant nobody holds costs that
// read and a log line, never an upstream call.
import type { ProviderEventsMessage } from "../framework/fetch-queue";
import { connectionsHoldingTenants } from "../storage/connections";
import { db } from "../storage/db";
import { workspaceClient } from "../workspace/client";

export interface RouteReport {
  /** Events for a tenant no connection holds. */
  unknown: number;
  /** (workspace, connection) pairs the events went to. */
  connections: number;
  /** Events those connections had not seen. */
  fresh: number;
  duplicates: number;
}

export async function routeProviderEvents(env: Env, work: ProviderEventsMessage): Promise<RouteReport> {
  const { integration } = work;
  const tenants = [...new Set(work.providerEvents.map((e) => e.tenantId))];
  const holders = await connectionsHoldingTenants(db(env.DB), integration, tenants);
  const byTenant = new Map<string, string[]>();
  for (const h of holders) byTenant.set(h.tenantId, [...(byTenant.get(h.tenantId) ?? []), h.workspaceId]);

  const perConnection = new Map<
    string,
    { workspaceId: string; tenantId: string; events: { id: string; kind: string }[] }
  >();
  let unknown = 0;
  for (const e of work.providerEvents) {
    const workspaces = byTenant.get(e.tenantId);
    if (!workspaces) {
      unknown++;
      continue;
    }
    for (const workspaceId of workspaces) {
      const key = `${workspaceId}\n${e.tenantId}`;
      const entry = perConnection.get(key) ?? { workspaceId, tenantId: e.tenantId, events: [] };
      entry.events.push({ id: e.id, kind: e.kind });
      perConnection.set(key, entry);
    }
  }
  // Counted, never named: a tenant id is the provider's, not ours to log.
  if (unknown > 0) console.log("provider events for unknown tenants", integration, unknown);

  const report: RouteReport = { unknown, connections: perConnection.size, fresh: 0, duplicates: 0 };
  // Thrown: the message is retried, and the objects drop what they already took.
  const outcomes = await Promise.all(
    [...perConnection.values()].map(({ workspaceId, tenantId, events }) =>
      workspaceClient(env, workspaceId).noteProviderEvents({ integration, tenantId }, events),
    ),
  );
  for (const outcome of outcomes) {
    if (!outcome.ok) continue; // disconnected since the read: its events mean nothing now
    report.fresh += outcome.fresh;
    report.duplicates += outcome.duplicates;
  }
  return report;
}
