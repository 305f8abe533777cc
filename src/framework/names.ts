// Provider naming rules, shared by the worker, its tests and the Node-side scaffold (so this module
// imports nothing). A name becomes a URL segment (lower case) and a variable prefix (upper case).

/** The rule of Zebbra's original framework: a provider name is strictly alphanumeric. */
export const PROVIDER_NAME_PATTERN = /^[A-Za-z0-9]+$/;

/** The variables a provider reads, as suffixes after `<NAME>_`. */
export const PROVIDER_VARIABLES = [
  "CLIENT_ID",
  "CLIENT_SECRET",
  "AUTHORIZE_URL",
  "TOKEN_URL",
  "API_BASE_URL",
  "REVOKE_URL",
  "SCOPES",
] as const;

export type ProviderVariable = (typeof PROVIDER_VARIABLES)[number];
