// The sandbox's companies as both sandbox providers meet them: a grant covers the companies the
// person ticked at consent (GET /v1/companies), and each call names its company in a header, as
// Xero's calls name their organisation in Xero-Tenant-Id (docs/sandbox.md).
import * as z from "zod/mini";
import { lazy } from "../../framework/lazy";
import type { TenantInfo } from "../../framework/provider";
import type { ProviderApi } from "../../framework/provider-http";

const companies = lazy(() =>
  z.looseObject({ companies: z.array(z.looseObject({ id: z.string(), name: z.string() })) }),
);

/** Every company the grant covers, each a tenant the user may connect. */
export async function grantedCompanies(api: ProviderApi): Promise<TenantInfo[]> {
  const body = companies().parse(await api.get("/v1/companies"));
  return body.companies.map((k) => ({ tenantId: k.id, tenantName: k.name }));
}

/** The request header that names a call's company (as Xero's Xero-Tenant-Id does). */
export const COMPANY_HEADER = "Sandbox-Company-Id";

/** The header naming a call's company; none for a connection without one (the sandbox then uses the grant's only company). */
export function companyHeaders({ tenantId }: { tenantId: string | null }): Record<string, string> {
  return tenantId ? { [COMPANY_HEADER]: tenantId } : {};
}
