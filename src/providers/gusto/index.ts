// Gusto: payroll (employees, jobs and compensations).
import type { ProviderDefinition } from "../types";

export const gusto = {
  displayName: "Gusto",
  apiType: "payroll",
} satisfies ProviderDefinition;
