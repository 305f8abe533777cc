// The resource servers: bearer check, request logs, scripted outcomes, per-tenant rate limits and
// latency, then Xero / Gusto / QuickBooks / generic routes.
import { fixtures } from "./fixtures.ts";
import { genericData, genericEmployees, genericTenantOf, tenantList } from "./generic.ts";
import { json, queryObject, runScripted, sleep, uuid } from "./http.ts";
import type { Ctx, Reply } from "./http.ts";
import { buildQuickBooksReport, companyInfo, quickBooksFault } from "./quickbooks.ts";
import { checkAccess, gustoPaging, tenantConfig, tenantState } from "./store.ts";
import type { Grant, State, TenantState } from "./store.ts";
import type { ApiRequestLog, ProviderKey, QuickBooksReportType, ScriptedResponse, XeroReportType } from "./types.ts";
import { buildReport, xeroReply } from "./xero-reports.ts";

const REASONS: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
};
const reason = (status: number) => REASONS[status] ?? "Error";

/** An error in the provider's own shape. */
export function apiError(
  provider: ProviderKey,
  status: number,
  detail: string,
  headers: Record<string, string> = {},
): Reply {
  if (provider === "xero") {
    return json(
      status,
      { Type: null, Title: reason(status), Status: status, Detail: detail, Instance: uuid(), Extensions: {} },
      headers,
    );
  }
  if (provider === "quickbooks") return quickBooksFault(status, detail, headers);
  if (provider === "gusto") {
    const category =
      status === 401
        ? "invalid_token"
        : status === 404
          ? "not_found"
          : status === 429
            ? "rate_limit_exceeded"
            : status >= 500
              ? "server_error"
              : "invalid_request";
    return json(status, { errors: [{ error_key: "base", category, message: detail }] }, headers);
  }
  return json(status, { error: reason(status).toLowerCase().replace(/ /g, "_"), message: detail }, headers);
}

const scriptedError = (provider: ProviderKey) => (entry: ScriptedResponse, status: number) =>
  apiError(provider, status, entry.errorDescription ?? entry.error ?? `scripted ${status}`);

function tenantOf(provider: ProviderKey, ctx: Ctx, path: string, grant: Grant | null): string | null {
  if (provider === "xero") return (ctx.req.headers["xero-tenant-id"] as string | undefined) ?? null;
  if (provider.startsWith("generic:"))
    return genericTenantOf(provider.slice("generic:".length), ctx, path).id ?? grant?.tenants[0]?.id ?? null;
  // Gusto and QuickBooks name the company in the path.
  const inPath =
    provider === "gusto"
      ? /^\/v1\/companies\/([^/]+)/.exec(path)
      : provider === "quickbooks"
        ? /^\/v3\/company\/([^/]+)/.exec(path)
        : null;
  return inPath?.[1] ?? grant?.tenants[0]?.id ?? null;
}

function loggedHeaders(ctx: Ctx): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(ctx.req.headers)) {
    if (v !== undefined && !["host", "connection", "content-length"].includes(k))
      out[k] = Array.isArray(v) ? v.join(", ") : v;
  }
  return out;
}

/** Every API request: identify the grant by its bearer token, log it, apply its script, serve it. */
export async function api(state: State, ctx: Ctx, provider: ProviderKey, path: string): Promise<Reply | null> {
  const bearer = /^Bearer\s+(\S+)$/i.exec(ctx.req.headers.authorization ?? "")?.[1];
  const found = bearer ? state.tokens.get(bearer) : undefined;
  const grant = found && found.kind === "access" && found.grant.provider === provider ? found.grant : null;
  const tenantId = tenantOf(provider, ctx, path, grant);
  const entry: ApiRequestLog = {
    at: new Date().toISOString(),
    method: ctx.method,
    path,
    query: queryObject(ctx.url),
    headers: loggedHeaders(ctx),
    body: ctx.rawBody.slice(0, 10_000),
    grantId: grant?.id ?? null,
    tenantId,
    status: 0,
  };
  if (grant) {
    grant.counters.apiRequests++;
    grant.log.push(entry);
  }
  if (tenantId) tenantState(state, tenantId).log.push(entry);
  const reply = await runScripted(
    ctx,
    grant?.scripts.api.shift(),
    () => serve(state, ctx, provider, path, bearer),
    scriptedError(provider),
  );
  entry.status = reply?.status ?? 0;
  // Intuit's transaction id, on every answer, for support requests.
  if (reply && provider === "quickbooks") reply.headers = { ...reply.headers, intuit_tid: uuid() };
  return reply;
}

async function serve(
  state: State,
  ctx: Ctx,
  provider: ProviderKey,
  path: string,
  bearer: string | undefined,
): Promise<Reply | null> {
  const auth = checkAccess(state, bearer);
  if (!auth.ok || auth.grant.provider !== provider) {
    const why = auth.ok ? "unknown" : auth.reason;
    const expiredAt = !auth.ok && auth.expiredAt ? new Date(auth.expiredAt) : null;
    if (provider === "xero") {
      const detail = expiredAt ? `TokenExpired: token expired at ${xeroTime(expiredAt)}` : "AuthenticationUnsuccessful";
      return apiError(provider, 401, detail, {
        "WWW-Authenticate": `Bearer error="invalid_token", error_description="${detail}"`,
      });
    }
    const description =
      why === "expired"
        ? "The access token expired"
        : why === "revoked"
          ? "The access token was revoked"
          : "The access token is invalid";
    if (provider === "quickbooks") return apiError(provider, 401, description);
    return apiError(provider, 401, description, {
      "WWW-Authenticate": `Bearer realm="Doorkeeper", error="invalid_token", error_description="${description}"`,
    });
  }
  const grant = auth.grant;
  if (provider === "xero") return xero(state, ctx, grant, path);
  if (provider === "gusto") return gusto(state, ctx, grant, path);
  if (provider === "quickbooks") return quickbooks(state, ctx, grant, path);
  return generic(state, ctx, provider, grant, path);
}

/** A generic provider: its tenant list (catalogue providers), then the placeholder routes, for the tenant the call names. */
function generic(
  state: State,
  ctx: Ctx,
  provider: ProviderKey,
  grant: Grant,
  path: string,
): Promise<Reply | null> | Reply {
  const name = provider.slice("generic:".length);
  const listed = ctx.method === "GET" ? tenantList(name, path, grant.tenants) : null;
  if (listed !== null) return json(200, listed);
  const named = genericTenantOf(name, ctx, path);
  // A call for a tenant the grant does not cover is refused, as the real APIs refuse it.
  if (named.id !== null && !grant.tenants.some((t) => t.id === named.id))
    return apiError(provider, 403, "The access token does not cover this tenant");
  const tenant = named.id ?? grant.tenants[0]?.id;
  if (ctx.method === "GET" && named.path === "/me") return json(200, { id: tenant });
  if (ctx.method === "GET" && (named.path === "/data" || named.path === "/employees")) {
    return limited(state, ctx, provider, tenantState(state, tenant ?? grant.id, provider), () =>
      json(200, named.path === "/data" ? genericData() : genericEmployees()),
    );
  }
  return apiError(provider, 404, `no route ${ctx.method} ${path}`);
}

const xeroTime = (d: Date) => {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
};

/** Per-tenant admission: concurrency and rolling-minute limits, then the configured latency. */
async function limited(
  state: State,
  ctx: Ctx,
  provider: ProviderKey,
  ts: TenantState,
  fn: () => Reply,
): Promise<Reply | null> {
  const cfg = tenantConfig(ts);
  const now = Date.now();
  ts.window = ts.window.filter((t) => t > now - 60_000);
  let problem: "concurrent" | "minute" | null = null;
  let retryAfter = 1;
  if (cfg.concurrentLimit > 0 && ts.inFlight >= cfg.concurrentLimit) problem = "concurrent";
  else if (cfg.minuteLimit > 0 && ts.window.length >= cfg.minuteLimit) {
    problem = "minute";
    retryAfter = Math.max(1, Math.ceil(((ts.window[0] ?? now) + 60_000 - now) / 1000));
  }
  if (problem) {
    ts.rateLimited++;
    const headers: Record<string, string> = { "Retry-After": String(retryAfter) };
    if (provider === "xero") headers["X-Rate-Limit-Problem"] = problem;
    return apiError(provider, 429, `Rate limit exceeded (${problem})`, headers);
  }
  ts.window.push(now);
  ts.requests++;
  ts.inFlight++;
  ts.maxConcurrent = Math.max(ts.maxConcurrent, ts.inFlight);
  try {
    await sleep(cfg.latencyMs, ctx.signal);
    if (ctx.signal.aborted) return null;
    const reply = fn();
    if (provider === "xero" && cfg.minuteLimit > 0) {
      reply.headers = {
        ...reply.headers,
        "X-MinLimit-Remaining": String(cfg.minuteLimit - ts.window.length),
        "X-DayLimit-Remaining": String(Math.max(0, 5000 - ts.requests)),
      };
    }
    return reply;
  } finally {
    ts.inFlight--;
  }
}

function xero(state: State, ctx: Ctx, grant: Grant, path: string): Promise<Reply | null> | Reply {
  if (ctx.method === "GET" && path === "/connections") {
    return json(
      200,
      grant.tenants.map((t) => ({
        id: t.connectionId,
        authEventId: grant.authEventId,
        tenantId: t.id,
        tenantType: t.type,
        tenantName: t.name,
        createdDateUtc: new Date(grant.createdAt).toISOString(),
        updatedDateUtc: new Date(grant.createdAt).toISOString(),
      })),
    );
  }
  const disconnect = /^\/connections\/([^/]+)$/.exec(path);
  if (ctx.method === "DELETE" && disconnect) {
    const before = grant.tenants.length;
    grant.tenants = grant.tenants.filter((t) => t.connectionId !== disconnect[1]);
    return grant.tenants.length < before ? { status: 204 } : apiError("xero", 404, "Connection not found");
  }
  const report = /^\/api\.xro\/2\.0\/Reports\/(ProfitAndLoss|BalanceSheet)$/i.exec(path);
  if (ctx.method === "GET" && report) {
    const tenantId = ctx.req.headers["xero-tenant-id"] as string | undefined;
    const tenant = grant.tenants.find((t) => t.id === tenantId);
    if (!tenant) return apiError("xero", 403, "AuthenticationUnsuccessful");
    const type: XeroReportType = report[1]?.toLowerCase() === "profitandloss" ? "ProfitAndLoss" : "BalanceSheet";
    return limited(state, ctx, "xero", tenantState(state, tenant.id, "xero"), () =>
      xeroReply(buildReport(state, tenant, type, ctx.url), ctx.req.headers.accept),
    );
  }
  return apiError("xero", 404, `The resource you're looking for cannot be found (${ctx.method} ${path})`);
}

function quickbooks(state: State, ctx: Ctx, grant: Grant, path: string): Promise<Reply | null> | Reply {
  const company = /^\/v3\/company\/([^/]+)\//.exec(path);
  const realm = company ? grant.tenants.find((t) => t.id === company[1]) : undefined;
  if (company && !realm) return apiError("quickbooks", 403, "The access token does not cover this company");
  const info = /^\/v3\/company\/[^/]+\/companyinfo\/([^/]+)$/.exec(path);
  if (ctx.method === "GET" && realm && info) {
    // The company's CompanyInfo, read by the realm id (or the entity's own Id, always 1).
    if (info[1] !== realm.id && info[1] !== "1")
      return quickBooksFault(400, `Object Not Found: CompanyInfo ${info[1]}`);
    return json(200, companyInfo(realm));
  }
  const report = /^\/v3\/company\/([^/]+)\/reports\/(ProfitAndLoss|BalanceSheet)$/.exec(path);
  if (ctx.method !== "GET" || !report || !realm)
    return apiError("quickbooks", 404, `Unsupported operation ${ctx.method} ${path}`);
  const type = report[2] as QuickBooksReportType;
  return limited(state, ctx, "quickbooks", tenantState(state, realm.id, "quickbooks"), () => {
    const result = buildQuickBooksReport(state, realm.id, type, ctx.url);
    return json(result.status, result.body);
  });
}

function gusto(state: State, ctx: Ctx, grant: Grant, path: string): Promise<Reply | null> | Reply {
  const company = grant.tenants[0];
  if (!company) return apiError("gusto", 404, "no company");
  if (ctx.method === "GET" && path === "/v1/token_info") {
    return json(200, {
      scope: grant.scope,
      resource: { type: "Company", uuid: company.id },
      resource_owner: { type: "CompanyAdmin", uuid: ownerUuid(grant) },
    });
  }
  if (ctx.method === "GET" && path === "/v1/me") {
    return json(200, {
      uuid: ownerUuid(grant),
      email: `admin+${company.id.slice(0, 8)}@initech.biz`,
      roles: {
        payroll_admin: { companies: grant.tenants.map((t) => ({ uuid: t.id, name: t.name, trade_name: t.name })) },
      },
    });
  }
  const m = /^\/v1\/companies\/([^/]+)(\/employees)?$/.exec(path);
  if (ctx.method !== "GET" || !m) return apiError("gusto", 404, `Not found: ${ctx.method} ${path}`);
  const uuidParam = m[1] ?? "";
  if (!grant.tenants.some((t) => t.id === uuidParam)) return apiError("gusto", 404, "Company not found");
  return limited(state, ctx, "gusto", tenantState(state, uuidParam, "gusto"), () => {
    if (!m[2]) return json(200, { uuid: uuidParam, name: company.name, trade_name: company.name, is_suspended: false });
    return employees(state, ctx, uuidParam);
  });
}

/** A stable uuid-shaped owner id derived from the grant id. */
const ownerUuid = (grant: Grant) => grant.id.slice(-36).replace(/^.{8}/, "0000beef");

function employees(state: State, ctx: Ctx, company: string): Reply {
  let list = state.employees.get(company) ?? fixtures.employees();
  const terminated = ctx.url.searchParams.get("terminated");
  if (terminated === "true" || terminated === "false") {
    list = list.filter((e) => Boolean((e as { terminated?: boolean }).terminated) === (terminated === "true"));
  }
  const int = (name: string, fallback: number) => {
    const n = Number(ctx.url.searchParams.get(name));
    return Number.isInteger(n) && n >= 1 ? n : fallback;
  };
  const paging = gustoPaging(state, company);
  // Gusto documents no largest `per`; this server serves at most `largestPage` and says so in X-Per-Page.
  const per = Math.min(int("per", 25), paging.largestPage);
  const page = int("page", 1);
  const totalPages = Math.max(1, Math.ceil(list.length / per));
  const headers: Record<string, string> = {
    "X-Total-Count": String(list.length),
    ...(paging.totalPagesHeader ? { "X-Total-Pages": String(totalPages) } : {}),
    "X-Page": String(page),
    "X-Per-Page": String(per),
  };
  const link = (p: number) => {
    const u = new URL(ctx.url);
    u.searchParams.set("page", String(p));
    u.searchParams.set("per", String(per));
    return `<${u.pathname}${u.search}>`;
  };
  const links = [
    page < totalPages ? `${link(page + 1)}; rel="next"` : "",
    page > 1 ? `${link(page - 1)}; rel="prev"` : "",
  ].filter(Boolean);
  if (links.length) headers["Link"] = links.join(", ");
  return json(200, list.slice((page - 1) * per, page * per), headers);
}
