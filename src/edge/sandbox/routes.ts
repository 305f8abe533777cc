// The sandbox provider's HTTP side under /sandbox/, mounted only when ENVIRONMENT=development: an
// authorize page whose company ticks and Approve and Deny buttons are plain form posts, a token
// endpoint, RFC 7009 revocation, and a small accounting and payroll API of the companies a grant
// covers. It speaks OAuth 2.0's wire format (RFC 6749 §5.2 errors), as a real provider would,
// because the worker's OAuth client talks to it over HTTP.
import { Hono } from "hono/tiny";
import type { Context } from "hono";
import * as z from "zod/mini";
import type { AppEnv } from "../env";
import { errorBody } from "../errors";
import {
  type AuthorizationRequest,
  exchangeCode,
  holdConsent,
  introspect,
  issueCode,
  OAuthProtocolError,
  parseScopes,
  refreshGrant,
  revokeToken,
  type SandboxClient,
  sandboxClients,
  type SandboxScope,
  takeConsent,
} from "./authorization";
import { addChange, applyChanges, notifyChange, readChanges } from "./changes";
import { companyInfo, employeesPage, MAX_REPORT_MONTHS, monthlyReport, sandboxCompanies } from "./company";
import { consentPage, refusal } from "./consent-page";

const param = z.optional(z.string().check(z.maxLength(2048)));

const authorizeQuery = z.object({
  response_type: param,
  client_id: param,
  redirect_uri: param,
  state: param,
  scope: param,
  code_challenge: param,
  code_challenge_method: param,
});

const decisionForm = z.object({
  consent: z.string().check(z.minLength(1), z.maxLength(200)),
  decision: z.enum(["approve", "deny"]),
  // The ticked checkboxes, each its own `company` field; none ticked sends none.
  company: z.optional(z.array(z.string().check(z.maxLength(200))).check(z.maxLength(20))),
});

/**
 * The company an API call is about, as a request header (the sandbox's `Xero-Tenant-Id`): one grant
 * may cover several companies, and the proxy pins each connection's own.
 */
const COMPANY_HEADER = "Sandbox-Company-Id";

const tokenForm = z.object({
  grant_type: param,
  code: param,
  redirect_uri: param,
  code_verifier: param,
  refresh_token: param,
  scope: param,
  client_id: param,
  client_secret: param,
});

const revokeForm = z.object({ token: param, token_type_hint: param, client_id: param, client_secret: param });

const month = z.string().check(z.regex(/^\d{4}-(0[1-9]|1[0-2])$/, "a month, YYYY-MM"));
const reportQuery = z.object({ from: month, to: month });

const employeesQuery = z.object({
  page: z.optional(z.coerce.number().check(z.int(), z.gte(1), z.lte(10_000))),
  per_page: z.optional(z.coerce.number().check(z.int(), z.gte(1), z.lte(100))),
});

function redirectWith(redirectUri: string, params: Record<string, string | null>, status: 302 | 303): Response {
  const url = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) if (v !== null) url.searchParams.set(k, v);
  return new Response(null, { status, headers: { Location: url.toString(), "Cache-Control": "no-store" } });
}

function oauthError(err: OAuthProtocolError, basicAuth: boolean): Response {
  const status = err.error === "invalid_client" ? 401 : 400;
  const headers: Record<string, string> = { "Cache-Control": "no-store" };
  if (status === 401 && basicAuth) headers["WWW-Authenticate"] = 'Basic realm="sandbox"';
  return Response.json({ error: err.error, error_description: err.description }, { status, headers });
}

async function sameSecret(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all(
    [a, b].map(async (s) => crypto.subtle.digest("SHA-256", new TextEncoder().encode(s))),
  );
  return crypto.subtle.timingSafeEqual(x!, y!);
}

/** RFC 6749 §2.3.1: HTTP Basic or the form's client_id and client_secret, never both. */
async function authenticateClient(
  c: Context<AppEnv>,
  form: { client_id?: string | undefined; client_secret?: string | undefined },
): Promise<{ client: SandboxClient }> {
  const header = c.req.header("Authorization");
  let id: string | undefined;
  let secret: string | undefined;
  const basic = header?.startsWith("Basic ") ?? false;
  if (basic) {
    if (form.client_secret !== undefined)
      throw new OAuthProtocolError("invalid_request", "Use one client authentication method, not two");
    let decoded = "";
    try {
      decoded = atob(header!.slice(6).trim());
    } catch {
      throw new OAuthProtocolError("invalid_client", "Unreadable Basic credentials");
    }
    const colon = decoded.indexOf(":");
    [id, secret] = colon < 0 ? [decoded, ""] : [decoded.slice(0, colon), decoded.slice(colon + 1)];
  } else {
    [id, secret] = [form.client_id, form.client_secret];
  }
  const client = sandboxClients(c.env, c.req.url).find((k) => k.clientId === id);
  if (!client || secret === undefined || !(await sameSecret(secret, client.clientSecret)))
    throw new OAuthProtocolError("invalid_client", "Unknown client or wrong secret");
  return { client };
}

/** The form's fields; those named in `lists` (checkboxes) are arrays, any other may come once. */
async function formOf<S extends z.ZodMiniType>(
  c: Context<AppEnv>,
  schema: S,
  lists: readonly string[] = [],
): Promise<z.output<S>> {
  if (!(c.req.header("Content-Type") ?? "").startsWith("application/x-www-form-urlencoded"))
    throw new OAuthProtocolError("invalid_request", "Send the parameters as application/x-www-form-urlencoded");
  const body = await c.req.raw.formData().catch(() => null);
  if (!body) throw new OAuthProtocolError("invalid_request", "Unreadable form body");
  const fields: Record<string, unknown> = {};
  for (const [name, value] of body) {
    if (lists.includes(name)) {
      fields[name] = [...((fields[name] as unknown[] | undefined) ?? []), value];
      continue;
    }
    // RFC 6749 §3.1: a parameter sent twice makes the request invalid.
    if (Object.hasOwn(fields, name)) throw new OAuthProtocolError("invalid_request", `${name} is repeated`);
    fields[name] = value;
  }
  const parsed = z.safeParse(schema, fields);
  if (!parsed.success) throw new OAuthProtocolError("invalid_request", "Malformed parameters");
  return parsed.data;
}

/** The bearer token's grant, or an error response (RFC 6750 §3). */
async function bearer(
  c: Context<AppEnv>,
  scope: SandboxScope | null,
): Promise<{ companyIds: string[] } | { denied: Response }> {
  const token = /^Bearer (\S+)$/.exec(c.req.header("Authorization") ?? "")?.[1];
  const grant = token ? await introspect(c.env.OAUTH_KV, token) : null;
  if (!grant)
    return {
      denied: c.json(errorBody("invalid_token", "The access token is missing, expired or revoked"), 401, {
        "WWW-Authenticate": 'Bearer realm="sandbox", error="invalid_token"',
      }),
    };
  if (scope && !grant.scopes.includes(scope))
    return {
      denied: c.json(errorBody("insufficient_scope", `This call needs the ${scope} scope`), 403, {
        "WWW-Authenticate": `Bearer realm="sandbox", error="insufficient_scope", scope="${scope}"`,
      }),
    };
  return { companyIds: grant.companyIds };
}

const badRequest = (c: Context<AppEnv>, message: string) => c.json(errorBody("invalid_request", message), 400);

/**
 * The call's company and the token's grant: the Sandbox-Company-Id header's company, which must be
 * one the grant covers (403 otherwise); without the header, the grant's only company (400 when it
 * covers several).
 */
async function companyCall(
  c: Context<AppEnv>,
  scope: SandboxScope | null,
): Promise<{ companyId: string } | { denied: Response }> {
  const grant = await bearer(c, scope);
  if ("denied" in grant) return grant;
  const named = c.req.header(COMPANY_HEADER);
  if (named === undefined) {
    const [only, ...others] = grant.companyIds;
    if (only !== undefined && others.length === 0) return { companyId: only };
    return {
      denied: c.json(
        errorBody("company_required", `This grant covers several companies: name one in ${COMPANY_HEADER}`),
        400,
      ),
    };
  }
  if (!grant.companyIds.includes(named))
    return {
      denied: c.json(
        errorBody("company_not_granted", "The grant does not cover this company: connect again and tick it"),
        403,
      ),
    };
  return { companyId: named };
}

export const sandboxRoutes = new Hono<AppEnv>()
  .get("/sandbox/oauth/authorize", async (c) => {
    const parsed = z.safeParse(authorizeQuery, c.req.query());
    if (!parsed.success) return refusal(c, "The authorization request is malformed.");
    const q = parsed.data;
    const client = sandboxClients(c.env, c.req.url).find((k) => k.clientId === q.client_id);
    if (!client) return refusal(c, "Unknown client_id: no app with this id is registered at the sandbox.");
    if (q.redirect_uri !== client.redirectUri)
      return refusal(c, `redirect_uri must be the app's registered ${client.redirectUri}.`);
    const back = (error: string, description: string) =>
      redirectWith(client.redirectUri, { error, error_description: description, state: q.state ?? null }, 302);
    if (q.response_type !== "code") return back("unsupported_response_type", "Only response_type=code is supported");
    if (!q.code_challenge || q.code_challenge_method !== "S256")
      return back("invalid_request", "PKCE is required: send code_challenge with code_challenge_method=S256");
    const scopes = parseScopes(q.scope);
    if (!scopes || scopes.length === 0)
      return back("invalid_scope", `Ask for one or more of: accounting.read payroll.read`);
    const request: AuthorizationRequest = {
      clientId: client.clientId,
      clientName: client.name,
      redirectUri: client.redirectUri,
      state: q.state ?? null,
      codeChallenge: q.code_challenge,
      scopes,
    };
    const companies = await sandboxCompanies();
    const consent = await holdConsent(c.env.OAUTH_KV, request);
    // The first company is ticked already, so Approve alone grants one company as before.
    return consentPage(
      c,
      request,
      consent,
      companies,
      companies.slice(0, 1).map((k) => k.id),
    );
  })
  .post("/sandbox/oauth/authorize", async (c) => {
    let form;
    try {
      form = await formOf(c, decisionForm, ["company"]);
    } catch {
      return refusal(c, "The form is malformed. Start connecting again from the app.");
    }
    const request = await takeConsent(c.env.OAUTH_KV, form.consent);
    if (!request)
      return refusal(c, "This request has expired or was already answered. Start connecting again from the app.");
    if (form.decision === "deny")
      return redirectWith(
        request.redirectUri,
        { error: "access_denied", error_description: "The user denied access", state: request.state },
        303,
      );
    const companies = await sandboxCompanies();
    const ticked = [...new Set(form.company ?? [])];
    if (!ticked.every((id) => companies.some((k) => k.id === id)))
      return refusal(c, "The form names a company the sandbox does not have. Start connecting again from the app.");
    if (ticked.length === 0) {
      // The same request, held again for the corrected answer: the person has not decided yet.
      const again = await holdConsent(c.env.OAUTH_KV, request);
      return consentPage(c, request, again, companies, [], "Tick at least one company to connect, or press Deny.");
    }
    const code = await issueCode(c.env.OAUTH_KV, request, ticked);
    return redirectWith(request.redirectUri, { code, state: request.state }, 303);
  })
  .post("/sandbox/oauth/token", async (c) => {
    const basic = c.req.header("Authorization")?.startsWith("Basic ") ?? false;
    try {
      const form = await formOf(c, tokenForm);
      const auth = await authenticateClient(c, form);
      let tokens;
      if (form.grant_type === "authorization_code") {
        if (!form.code) throw new OAuthProtocolError("invalid_request", "code is required");
        tokens = await exchangeCode(c.env.OAUTH_KV, auth.client, {
          code: form.code,
          redirectUri: form.redirect_uri,
          codeVerifier: form.code_verifier,
        });
      } else if (form.grant_type === "refresh_token") {
        if (!form.refresh_token) throw new OAuthProtocolError("invalid_request", "refresh_token is required");
        tokens = await refreshGrant(c.env.OAUTH_KV, auth.client, {
          refreshToken: form.refresh_token,
          scope: form.scope,
        });
      } else {
        throw new OAuthProtocolError("unsupported_grant_type", "Use authorization_code or refresh_token");
      }
      return c.json(tokens, 200, { "Cache-Control": "no-store", Pragma: "no-cache" });
    } catch (err) {
      if (err instanceof OAuthProtocolError) return oauthError(err, basic);
      throw err;
    }
  })
  .post("/sandbox/oauth/revoke", async (c) => {
    try {
      const form = await formOf(c, revokeForm);
      const { client } = await authenticateClient(c, form);
      if (!form.token) throw new OAuthProtocolError("invalid_request", "token is required");
      await revokeToken(c.env.OAUTH_KV, client, form.token);
      return c.body(null, 200);
    } catch (err) {
      if (err instanceof OAuthProtocolError)
        return oauthError(err, c.req.header("Authorization")?.startsWith("Basic ") ?? false);
      throw err;
    }
  })
  .get("/sandbox/api/v1/companies", async (c) => {
    const grant = await bearer(c, null);
    if ("denied" in grant) return grant.denied;
    return c.json({ companies: await Promise.all(grant.companyIds.map(companyInfo)) });
  })
  .get("/sandbox/api/v1/company", async (c) => {
    const grant = await companyCall(c, null);
    if ("denied" in grant) return grant.denied;
    return c.json(await companyInfo(grant.companyId));
  })
  .get("/sandbox/api/v1/reports/monthly", async (c) => {
    const grant = await companyCall(c, "accounting.read");
    if ("denied" in grant) return grant.denied;
    const parsed = z.safeParse(reportQuery, c.req.query());
    if (!parsed.success) return badRequest(c, "from and to are months, YYYY-MM");
    const { from, to } = parsed.data;
    const span = (Number(to.slice(0, 4)) - Number(from.slice(0, 4))) * 12 + Number(to.slice(5)) - Number(from.slice(5));
    if (span < 0) return badRequest(c, "from must not be after to");
    if (span >= MAX_REPORT_MONTHS) return badRequest(c, `At most ${MAX_REPORT_MONTHS} months per call`);
    const [report, changes] = await Promise.all([
      monthlyReport(grant.companyId, from, to, Date.now()),
      readChanges(c.env.OAUTH_KV, grant.companyId),
    ]);
    return c.json(applyChanges(report, changes));
  })
  // Not a provider's API call but the sandbox's own demo control, as a person editing the books at
  // the provider would: no token. JSON only, so a page on another origin cannot send it without a
  // CORS preflight, which the sandbox does not answer.
  .post("/sandbox/api/v1/companies/:id/change", async (c) => {
    if (!(c.req.header("Content-Type") ?? "").startsWith("application/json"))
      return c.json(errorBody("unsupported_media_type", "Send Content-Type: application/json"), 415);
    const companyId = c.req.param("id");
    if (!(await sandboxCompanies()).some((k) => k.id === companyId))
      return c.json(errorBody("not_found", "The sandbox has no such company"), 404);
    const { change, count } = await addChange(c.env.OAUTH_KV, companyId, Date.now());
    const webhook = await notifyChange(
      c.env,
      // Hono's context types leave out workerd's `exports`: the worker's own entry points.
      (c.executionCtx as ExecutionContext).exports.default,
      new URL(c.req.url).origin,
      companyId,
      change,
      count,
    );
    return c.json({ company_id: companyId, change, changes: count, webhook });
  })
  .get("/sandbox/api/v1/employees", async (c) => {
    const grant = await companyCall(c, "payroll.read");
    if ("denied" in grant) return grant.denied;
    const parsed = z.safeParse(employeesQuery, c.req.query());
    if (!parsed.success) return badRequest(c, "page is a whole number from 1, per_page from 1 to 100");
    return c.json(await employeesPage(parsed.data.page ?? 1, parsed.data.per_page ?? 25, grant.companyId));
  });
