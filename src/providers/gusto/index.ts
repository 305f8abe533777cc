// Gusto: payroll (employees, jobs and compensations) for one company per connection.
import { z } from "zod";
import type { ProviderDefinition } from "../types";

const tokenInfo = z.looseObject({ resource: z.looseObject({ type: z.string(), uuid: z.string() }) });

export const gusto = {
  displayName: "Gusto",
  apiType: "payroll",
  oauth: {
    authorizeUrl: "https://api.gusto.com/oauth/authorize",
    tokenUrl: "https://api.gusto.com/oauth/token",
    revokeUrl: "https://api.gusto.com/oauth/revoke",
    // Demo environment: GUSTO_*_URL=https://api.gusto-demo.com/...
    apiBaseUrl: "https://api.gusto.com",
    // Gusto grants the scopes configured on the app; none are requested explicitly.
    scopes: [],
    // Gusto expects client_id and client_secret in the form body.
    clientAuth: "client_secret_post",
  },
  async lookupTenant(api) {
    const info = tokenInfo.parse(await api.get("/v1/token_info"));
    return { tenantId: info.resource.uuid, additionalInfo: { resource_type: info.resource.type } };
  },
} satisfies ProviderDefinition;
