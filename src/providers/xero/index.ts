// Xero: accounting (Profit & Loss and Balance Sheet reports) for one organisation per connection.
import { z } from "zod";
import { AppError } from "../../errors";
import type { ProviderDefinition } from "../types";

const connections = z.array(
  z.looseObject({ tenantId: z.string(), tenantType: z.string(), tenantName: z.string().nullish() }),
);

export const xero = {
  displayName: "Xero",
  apiType: "accounting",
  oauth: {
    authorizeUrl: "https://login.xero.com/identity/connect/authorize",
    tokenUrl: "https://identity.xero.com/connect/token",
    revokeUrl: "https://identity.xero.com/connect/revocation",
    apiBaseUrl: "https://api.xero.com",
    // Apps created after 2 March 2026 must ask for granular scopes; older apps may set
    // XERO_SCOPES="offline_access accounting.reports.read".
    scopes: ["offline_access", "accounting.reports.profitandloss.read", "accounting.reports.balancesheet.read"],
    clientAuth: "client_secret_basic",
  },
  // Xero: refresh tokens expire after 60 days unused; refresh well before that.
  keepAliveAfterMs: 30 * 24 * 3600_000,
  // A grant can cover several tenants; the first organisation is the one we read (the seed's choice).
  async lookupTenant(api) {
    const tenants = connections.parse(await api.get("/connections"));
    const organisation = tenants.find((t) => t.tenantType === "ORGANISATION");
    if (!organisation) throw new AppError(502, "no_organisation", "Xero connected, but the grant covers no organisation. Connect again and pick an organisation.");
    return { tenantId: organisation.tenantId, additionalInfo: { tenants } };
  },
} satisfies ProviderDefinition;
