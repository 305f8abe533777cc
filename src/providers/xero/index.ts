// Xero: accounting (Profit & Loss and Balance Sheet reports).
import type { ProviderDefinition } from "../types";

export const xero = {
  displayName: "Xero",
  apiType: "accounting",
} satisfies ProviderDefinition;
