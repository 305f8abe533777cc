// What a provider module declares. The registry key is the provider's name; everything shared
// (routes, storage, refresh, scheduling) lives in the framework, not here.

/** The two normalized data shapes a provider can feed (the seed's adapter types). */
export type ApiType = "accounting" | "payroll";

/** A provider's declaration, as written in `src/providers/<name>.ts`. */
export interface ProviderDefinition {
  /** Human-readable name for pages and listings, e.g. "Xero". Defaults to the registry key. */
  displayName?: string;
  apiType: ApiType;
}

/** A provider as the registry hands it out: its declaration plus its name (the registry key). */
export type RegisteredProvider<N extends string = string> = ProviderDefinition & {
  readonly name: N;
  /** Lower-case name: URL segment and file name. */
  readonly slug: string;
  /** Upper-case name: prefix of the provider's configuration variables. */
  readonly envPrefix: string;
};
