// FetchAdapter: the contract of Zebbra's original framework, for the worker side, for one connection.
// Asks the workspace's Durable Object for the cached data (one RPC; the object reads its own storage);
// a miss is fetched now through the same object (which holds the tokens and shares concurrent
// fetches of one key). Providers only write `getData` in their declaration.
import type { DataPayload } from "../framework/data";
import { cacheDateKey, toIsoDate } from "../framework/dates";
import { FailureError } from "../framework/failure";
import type { ApiType, RegisteredProvider } from "../framework/provider";
import { workspaceClient } from "./client";

/** One value an accounting provider offers, as the host app refers to it: `Xero[Total Income]`. */
export interface DataPoint {
  id: string;
  integration: string;
  name: string;
  /** The entry it was read from (docs/api.md, one name per cache entry). */
  cache_date: string;
}

export interface AdapterData {
  /** The connection's tenant ('' for a provider without tenants). */
  tenantId: string;
  /** The data for the request's from_date; parsed on first use when it was read from the cache. */
  readonly payload: DataPayload;
  /**
   * The payload's JSON as the cache holds it (for every from_date of its key), or null when it was
   * fetched now: an accounting batch can be served from it without parsing it.
   */
  storedJson: string | null;
  /** When the provider was last read for this key (epoch ms); older than the request when served from cache. */
  fetchedAt: number;
}

export interface FetchAdapter {
  readonly integration: string;
  readonly apiType: ApiType;
  /** The normalized data from `fromDate` (YYYY-MM-DD): cached, else fetched now. Throws FailureError. */
  getData(fromDate: string): Promise<AdapterData>;
  /**
   * Accounting only: every title available from `fromDate`. `qualified` puts the tenant in each id
   * (`Xero:<tenant>[Total Income]`), for a workspace with several connections to the provider.
   */
  getDataEndpoints(fromDate: string, qualified?: boolean): Promise<DataPoint[]>;
}

/**
 * The adapter of one connection of the workspace: `tenantId` names it, and may be left out while the
 * workspace has one connection to the provider.
 */
export function fetchAdapterFor(
  env: Env,
  workspaceId: string,
  provider: RegisteredProvider,
  tenantId?: string,
): FetchAdapter {
  const { apiType } = provider;
  if (apiType === null) {
    throw new FailureError(
      "invalid_request",
      `${provider.name} has no data adapter here; call its API through /integration/proxy/${provider.name}/…`,
    );
  }
  const client = workspaceClient(env, workspaceId);
  const getData = async (fromDate: string): Promise<AdapterData> => {
    const cacheDate = cacheDateKey(fromDate);
    const cached = await client.readCached({ integration: provider.name, tenantId }, cacheDate);
    if (!cached.ok) throw FailureError.of(cached.failure);
    if (cached.payload) {
      const { json, fetchedAt } = cached.payload;
      let parsed: DataPayload | undefined;
      return {
        tenantId: cached.tenantId,
        // Parsed here rather than in the object (which serves every request of its workspace), and
        // only by a caller that reads it: the data route serves an accounting batch as stored.
        get payload() {
          return (parsed ??= forRequest(JSON.parse(json) as DataPayload, fromDate));
        },
        storedJson: json,
        fetchedAt,
      };
    }
    // The tenant the read resolved: a connection added meanwhile cannot make this fetch ambiguous.
    const ref = { integration: provider.name, tenantId: cached.tenantId };
    const outcome = await client.runFetch(ref, cacheDate, "on_demand");
    if (!outcome.ok) throw FailureError.of(outcome.failure);
    return {
      tenantId: cached.tenantId,
      payload: forRequest(outcome.payload, fromDate),
      storedJson: null,
      fetchedAt: outcome.fetchedAt,
    };
  };
  return {
    integration: provider.name,
    apiType,
    getData,
    async getDataEndpoints(fromDate, qualified = false) {
      if (apiType !== "accounting") return [];
      const { payload, tenantId: tenant } = await getData(fromDate);
      const titles = payload.apiType === "accounting" ? Object.keys(payload.batch.data) : [];
      const prefix = qualified ? `${provider.name}:${tenant}` : provider.name;
      const cache_date = toIsoDate(new Date(cacheDateKey(fromDate) * 1000));
      return titles.map((name) => ({ id: `${prefix}[${name}]`, integration: provider.name, name, cache_date }));
    },
  };
}

/**
 * Keys are shared by every from_date of the same cache date, so payroll rows are filtered for the
 * request's own from_date: employees who left before it are dropped (the rule of Zebbra's original framework).
 */
function forRequest(payload: DataPayload, fromDate: string): DataPayload {
  if (payload.apiType === "accounting") return payload;
  return {
    apiType: "payroll",
    employees: payload.employees.filter((e) => e.end_date === null || e.end_date >= fromDate),
  };
}
