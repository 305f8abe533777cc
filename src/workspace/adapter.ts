// FetchAdapter: the seed's contract, for the worker side. Reads the D1 cache first; a miss is
// fetched now through the workspace's Durable Object (which holds the tokens and shares concurrent
// fetches of one key). Providers only write `getData` in their declaration.
import { cacheDateKey } from "./dates";
import { db } from "../db/access";
import { type DataPayload, getCached, touchRequested } from "../db/cache";
import { appErrorFrom } from "../errors";
import type { ApiType, RegisteredProvider } from "../providers/types";
import type { FetchOutcome } from "../workspace/fetcher";
import { workspaceStub } from "../workspace/stub";

/** One value an accounting provider offers, as the host app refers to it: `Xero[Total Income]`. */
export interface DataPoint {
  id: string;
  integration: string;
  name: string;
}

export interface AdapterData {
  payload: DataPayload;
  /** When the provider was last read for this key (epoch ms); older than the request when served from cache. */
  fetchedAt: number;
}

export interface FetchAdapter {
  readonly integration: string;
  readonly apiType: ApiType;
  /** The normalized data from `fromDate` (YYYY-MM-DD): cached, else fetched now. */
  getData(fromDate: string): Promise<AdapterData>;
  /** Accounting only: every title available from `fromDate`. */
  getDataEndpoints(fromDate: string): Promise<DataPoint[]>;
}

export function fetchAdapterFor(env: Env, workspaceId: string, provider: RegisteredProvider, waitUntil?: (p: Promise<unknown>) => void): FetchAdapter {
  const d = db(env.DB);
  const getData = async (fromDate: string): Promise<AdapterData> => {
    const cacheDate = cacheDateKey(fromDate);
    const cached = await getCached(d, workspaceId, provider.name, cacheDate);
    if (cached) {
      const touch = touchRequested(d, workspaceId, provider.name, cacheDate, Date.now());
      if (waitUntil) waitUntil(touch);
      else await touch;
      return { payload: forRequest(cached.payload, fromDate), fetchedAt: cached.fetchedAt };
    }
    // RPC's mapped result type does not narrow on `ok`; the value is the plain union.
    const outcome = (await workspaceStub(env, workspaceId).runFetch(workspaceId, provider.name, cacheDate, "on_demand")) as FetchOutcome;
    if (!outcome.ok) throw appErrorFrom(outcome.error);
    return { payload: forRequest(outcome.payload, fromDate), fetchedAt: outcome.fetchedAt };
  };
  return {
    integration: provider.name,
    apiType: provider.apiType,
    getData,
    async getDataEndpoints(fromDate) {
      if (provider.apiType !== "accounting") return [];
      const { payload } = await getData(fromDate);
      const titles = payload.apiType === "accounting" ? Object.keys(payload.batch.data) : [];
      return titles.map((name) => ({ id: `${provider.name}[${name}]`, integration: provider.name, name }));
    },
  };
}

/**
 * Keys are shared by every from_date in the same seed month window, so payroll rows are filtered
 * for the request's own from_date: employees who left before it are dropped (the seed's rule).
 */
function forRequest(payload: DataPayload, fromDate: string): DataPayload {
  if (payload.apiType === "accounting") return payload;
  return { apiType: "payroll", employees: payload.employees.filter((e) => e.end_date === null || e.end_date >= fromDate) };
}
