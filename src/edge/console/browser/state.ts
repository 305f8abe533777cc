// The console's state and the API's shapes as the page reads them: the demo user's CONFIG (set by
// the page's inline script), the providers listing, the token status and the chosen data.

/** Set by the page before this script: the demo user's JWT, APP_ORIGIN's origins, the workspace. */
declare const CONFIG: { jwt: string; appOrigins: string[]; workspaceId: string };
export const config = CONFIG;
export const WS = CONFIG.workspaceId;

export interface Connection {
  tenant_id: string | null;
  tenant_name: string | null;
  requires_reconnect: boolean;
  connected_by: string | null;
  connected_at: string | null;
}

export interface Provider {
  name: string;
  display_name: string;
  api_type: string | null;
  configured: boolean;
  connected: boolean;
  connections?: Connection[];
}

export interface Fetch {
  outcome: string;
  trigger: string;
  started_at: string;
  finished_at: string | null;
  error: string | null;
}

export interface Status {
  integration: string;
  tenant_id?: string | null;
  tenant_name?: string | null;
  requires_reconnect: boolean;
  token: {
    expires_at: string | null;
    last_refresh_at: string | null;
    last_refresh_error: string | null;
    refresh_failures: number;
  };
  last_fetch: Fetch | null;
  /** The provider's change notifications waiting for the re-fetch (docs/webhooks.md, Incoming). */
  provider_events?: { events: number; kinds: string[]; refetch_at: string } | null;
}

/** The sandbox's answer to "change the books" (docs/sandbox.md). */
export interface BooksChange {
  company_id: string;
  change: { invoiceId: string; month: string; amount: number; at: string };
  changes: number;
  webhook:
    | { delivered: true; url: string; status: number; accepted: boolean }
    | { delivered: false; url: string; message: string };
}

export interface Employee {
  id: string;
  name: string;
  title: string;
  department: string;
  start_date: string;
  end_date: string | null;
  monthly_salary: number;
}

/** GET /integration/data: monthly series (accounting) or rows of employees (payroll). */
export type Data =
  | { fetched_at: string; dates: string[]; data: Record<string, Record<string, number | null>> }
  | { fetched_at: string; employees: Employee[] };

export interface Tenant {
  id: string;
  name: string | null;
  type?: string;
}

/** A connection of a provider with data routes. */
export interface DataConnection {
  p: Provider;
  k: Connection;
}

export const state: {
  providers: Provider[];
  status: Status[];
  data: Data | null;
  /** Resolves the company choice connect() is waiting for. */
  choice: ((tenantIds: string[]) => void) | null;
  /** Counts data loads: only the latest one's answer is shown. */
  loads: number;
} = { providers: [], status: [], data: null, choice: null, loads: 0 };

export function when(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString([], { dateStyle: "short", timeStyle: "medium" }) : "—";
}

/** A connection's id in test ids and the data list: the provider, and its tenant when it has one. */
export function cid(name: string, tenantId: string | null | undefined): string {
  return tenantId ? name + "-" + tenantId : name;
}

export function q(params: Record<string, string>): string {
  return Object.keys(params)
    .map((k) => k + "=" + encodeURIComponent(params[k]!))
    .join("&");
}

/** The query of a per-connection call: tenant_id only for a connection that has one. */
export function connQuery(name: string, tenantId: string | null | undefined, extra: Record<string, string> = {}) {
  const params: Record<string, string> = { workspace_id: WS, integration: name };
  if (tenantId) params.tenant_id = tenantId;
  return q(Object.assign(params, extra));
}

export function sameConn(s: Status, name: string, tenantId: string | null | undefined): boolean {
  return s.integration === name && (s.tenant_id || null) === (tenantId || null);
}

/** Every connection of a provider with data routes, in listing order. */
export function dataConnections(): DataConnection[] {
  const out: DataConnection[] = [];
  for (const p of state.providers) {
    if (!p.api_type) continue;
    for (const k of p.connections || []) out.push({ p, k });
  }
  return out;
}

export function connectionName(p: Provider, k: Connection): string {
  return p.display_name + (k.tenant_id ? " · " + (k.tenant_name || k.tenant_id) : "");
}

/** The last 24 months: from the first day of the month 23 months ago. */
export function fromDate(): string {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 23, 1)).toISOString().slice(0, 10);
}
