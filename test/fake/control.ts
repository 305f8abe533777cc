// The control API under /_control: tests (in workerd, with plain fetch) mint grants, script
// failures, read counters and request logs, and set per-tenant data. Every operation is keyed by
// something one test owns (grant id, code, tenant id); there is no global reset.
import { json, jsonOf } from "./http.ts";
import type { Ctx, Reply } from "./http.ts";
import { createGrant, gustoPaging, summary, tenantConfig, tenantState, tenantStats } from "./store.ts";
import type { Grant, State } from "./store.ts";
import type {
  AuthorizationSummary,
  GrantPatch,
  MintGrantRequest,
  ProviderKey,
  ScriptedResponse,
  TenantConfig,
} from "./types.ts";
import { buildQuickBooksReport } from "./quickbooks.ts";
import { buildReport } from "./xero-reports.ts";

const notFound = (what: string) => json(404, { error: "not_found", message: what });
const bad = (message: string) => json(400, { error: "bad_request", message });

const isProvider = (p: unknown): p is ProviderKey =>
  p === "xero" ||
  p === "gusto" ||
  p === "quickbooks" ||
  (typeof p === "string" && /^generic:[a-z0-9][a-z0-9_-]*$/.test(p));
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

function mint(state: State, body: unknown): Reply {
  if (!isObject(body) || !isProvider(body["provider"]))
    return bad('provider must be "xero", "gusto", "quickbooks" or "generic:<name>"');
  const req = body as unknown as MintGrantRequest;
  if (
    req.tenantIds !== undefined &&
    !(Array.isArray(req.tenantIds) && req.tenantIds.every((t) => typeof t === "string"))
  )
    return bad("tenantIds must be strings");
  const grant = createGrant(state, {
    provider: req.provider,
    scope: typeof req.scope === "string" ? req.scope : undefined,
    tenants: req.tenants ?? req.tenantIds?.map((id) => ({ id })),
    expiresIn: num(req.expiresIn),
    refreshExpiresIn: num(req.refreshExpiresIn),
    refreshTokenOnRefresh: req.refreshTokenOnRefresh,
  });
  return json(201, {
    grantId: grant.id,
    provider: grant.provider,
    access_token: grant.currentAccessToken,
    refresh_token: grant.currentRefreshToken,
    expires_in: grant.expiresIn,
    scope: grant.scope,
    tenantIds: grant.tenants.map((t) => t.id),
    tenants: grant.tenants,
  });
}

function findGrant(state: State, q: URLSearchParams): Grant | undefined {
  const code = q.get("code");
  if (code) {
    const id = state.codes.get(code)?.grantId;
    return id ? state.grants.get(id) : undefined;
  }
  const token = q.get("access_token") ?? q.get("refresh_token") ?? q.get("token");
  if (token) return state.tokens.get(token)?.grant;
  const tenantId = q.get("tenantId");
  if (tenantId) return [...state.grants.values()].find((g) => g.tenants.some((t) => t.id === tenantId));
  return undefined;
}

function parseScript(body: unknown): { endpoint: string; responses: ScriptedResponse[] } | string {
  if (!isObject(body)) return "body must be { endpoint, responses }";
  const responses = body["responses"];
  if (!Array.isArray(responses) || !responses.every(isObject)) return "responses must be an array of objects";
  const badHold = responses.some(
    (r) =>
      (r["hold"] !== undefined && (typeof r["hold"] !== "string" || r["hold"] === "")) ||
      (r["holdAt"] !== undefined && !["arrival", "answer", "body"].includes(r["holdAt"] as string)),
  );
  if (badHold) return 'hold must be a gate name, holdAt "arrival", "answer" or "body"';
  return { endpoint: typeof body["endpoint"] === "string" ? body["endpoint"] : "token", responses: responses };
}

export function control(state: State, ctx: Ctx, path: string): Reply {
  const { method } = ctx;
  let body: unknown;
  try {
    body = jsonOf(ctx);
  } catch {
    return bad("body is not JSON");
  }
  const seg = path.split("/").filter(Boolean).map(decodeURIComponent);
  const [a, b, c, d, e] = seg;

  if (method === "GET" && a === "health") return json(200, { ok: true });

  if (a === "grants") {
    if (!b) {
      if (method === "POST") return mint(state, body);
      if (method === "GET") {
        const grant = findGrant(state, ctx.url.searchParams);
        return grant ? json(200, summary(grant)) : notFound("no grant matches");
      }
    }
    const grant = b ? state.grants.get(b) : undefined;
    if (!grant) return notFound(`grant ${b}`);
    if (!c && method === "GET") return json(200, summary(grant));
    if (!c && method === "PATCH") {
      if (!isObject(body)) return bad("body must be an object");
      const patch = body as GrantPatch;
      if (num(patch.expiresIn) !== undefined) grant.expiresIn = patch.expiresIn as number;
      if (num(patch.refreshExpiresIn) !== undefined) grant.refreshExpiresIn = patch.refreshExpiresIn as number;
      if (typeof patch.refreshTokenOnRefresh === "boolean") grant.refreshTokenOnRefresh = patch.refreshTokenOnRefresh;
      return json(200, summary(grant));
    }
    if (c === "script" && method === "POST") {
      const parsed = parseScript(body);
      if (typeof parsed === "string") return bad(parsed);
      if (parsed.endpoint !== "token" && parsed.endpoint !== "api" && parsed.endpoint !== "revoke")
        return bad('endpoint must be "token", "api" or "revoke"');
      grant.scripts[parsed.endpoint].push(...parsed.responses);
      return json(200, { pending: grant.scripts[parsed.endpoint].length });
    }
    if (c === "script" && method === "DELETE") {
      grant.scripts = { token: [], api: [], revoke: [] };
      return json(200, { pending: 0 });
    }
    if (c === "expire" && method === "POST") {
      const now = Date.now();
      for (const [token, exp] of grant.accessTokens) if (exp > now) grant.accessTokens.set(token, now - 1000);
      return json(200, summary(grant));
    }
    if (c === "revoke" && method === "POST") {
      grant.revoked = true;
      grant.revokedReason ??= "revoked by the user at the provider";
      return json(200, summary(grant));
    }
    if (c === "requests" && method === "GET") return json(200, grant.log);
  }

  if (a === "authorizations" && b && method === "GET") {
    const code = state.codes.get(b);
    if (!code) return notFound(`code ${b}`);
    const out: AuthorizationSummary = {
      code: code.code,
      provider: code.provider,
      clientId: code.clientId,
      redirectUri: code.redirectUri,
      scope: code.scope,
      state: code.state,
      codeChallenge: code.challenge,
      codeChallengeMethod: code.method,
      tenantId: code.tenantId,
      expiresAt: code.expiresAt,
      used: code.used,
      grantId: code.grantId,
      pendingScripts: code.scripts.length,
    };
    return json(200, out);
  }
  if (a === "authorizations" && b && method === "POST") {
    const code = state.codes.get(b);
    if (!code) return notFound(`code ${b}`);
    if (c === "script") {
      const parsed = parseScript(body);
      if (typeof parsed === "string") return bad(parsed);
      code.scripts.push(...parsed.responses);
      return json(200, { pending: code.scripts.length });
    }
    if (c === "expire") {
      code.expiresAt = Date.now() - 1000;
      return json(200, { expiresAt: code.expiresAt });
    }
  }

  if (a === "gusto" && b === "companies" && c && d === "employees" && method === "PUT") {
    if (!Array.isArray(body)) return bad("body must be an array of employees");
    state.employees.set(c, body);
    return json(200, { count: body.length });
  }

  if (a === "gusto" && b === "companies" && c && d === "paging" && method === "PUT") {
    if (!isObject(body)) return bad("body must be { largestPage?, totalPagesHeader? }");
    const { largestPage, totalPagesHeader } = body;
    const whole = typeof largestPage === "number" && Number.isInteger(largestPage) && largestPage >= 1;
    if (largestPage !== undefined && !whole) return bad("largestPage must be a whole number from 1");
    if (totalPagesHeader !== undefined && typeof totalPagesHeader !== "boolean")
      return bad("totalPagesHeader must be true or false");
    state.gustoPaging.set(c, {
      ...state.gustoPaging.get(c),
      ...(typeof largestPage === "number" ? { largestPage } : {}),
      ...(typeof totalPagesHeader === "boolean" ? { totalPagesHeader } : {}),
    });
    return json(200, gustoPaging(state, c));
  }

  // Reports per Xero tenant (/xero/tenants/{id}/...) or QuickBooks realm (/quickbooks/realms/{realmId}/...).
  const reportsOf = (a === "xero" && b === "tenants") || (a === "quickbooks" && b === "realms");
  if (reportsOf && c && d === "reports" && (e === "ProfitAndLoss" || e === "BalanceSheet")) {
    if (method === "PUT") {
      if (!isObject(body)) return bad("body must be a report response (a JSON object)");
      state.reports.set(`${c}/${e}`, body);
      return json(200, { ok: true });
    }
    if (method === "DELETE") {
      state.reports.delete(`${c}/${e}`);
      return json(200, { ok: true });
    }
    if (method === "GET" && a === "quickbooks") {
      const result = buildQuickBooksReport(state, c, e, ctx.url);
      return json(result.status, result.body);
    }
    if (method === "GET") {
      const tenant = [...state.grants.values()].flatMap((g) => g.tenants).find((t) => t.id === c);
      const result = buildReport(state, { id: c, name: tenant?.name ?? "Demo Company (UK)" }, e, ctx.url);
      return json(result.status, result.body);
    }
  }

  if (a === "tenants" && b) {
    const ts = tenantState(state, b);
    if (c === "requests" && method === "GET") return json(200, ts.log);
    if (c === "stats" && method === "GET") return json(200, tenantStats(ts));
    if (c === "config" && method === "PUT") {
      if (!isObject(body)) return bad("body must be an object");
      const cfg = body as TenantConfig;
      for (const key of ["latencyMs", "concurrentLimit", "minuteLimit"] as const) {
        const v = num(cfg[key]);
        if (v !== undefined) ts.overrides[key] = v;
      }
      return json(200, tenantConfig(ts));
    }
  }

  return notFound(`no control route ${method} /_control${path}`);
}
