// The one list of providers. Routes, listings, cron and the IntegrationProvider type all read it.
import { FailureError } from "../framework/failure";
import { PROVIDER_NAME_PATTERN } from "../framework/names";
import type { ProviderDefinition, RegisteredProvider } from "../framework/provider";
import { gusto } from "./gusto";
import { xero } from "./xero";

type Registry<T extends Record<string, ProviderDefinition>> = {
  readonly [K in keyof T & string]: RegisteredProvider<K> & T[K];
};

/**
 * Checks every name and attaches it to its provider. Throws on a name that is not alphanumeric or
 * that collides case-insensitively with another (URL segments are lower case).
 */
export function defineRegistry<const T extends Record<string, ProviderDefinition>>(definitions: T): Registry<T> {
  const seen = new Set<string>();
  const out: Record<string, RegisteredProvider> = {};
  for (const [name, definition] of Object.entries(definitions)) {
    if (!PROVIDER_NAME_PATTERN.test(name)) {
      throw new Error(`Invalid provider name "${name}": names must match ${PROVIDER_NAME_PATTERN}`);
    }
    const slug = name.toLowerCase();
    if (seen.has(slug)) throw new Error(`Duplicate provider name "${name}" (names are compared case-insensitively)`);
    seen.add(slug);
    out[name] = { ...definition, name, slug, envPrefix: name.toUpperCase() };
  }
  return Object.freeze(out) as Registry<T>;
}

// Keep sorted by name; `npm run scaffold` inserts new providers here.
export const providers = defineRegistry({
  Gusto: gusto,
  Xero: xero,
});

/** A registered provider's name (the seed's `IntegrationProvider`). */
export type IntegrationProvider = keyof typeof providers;

/** Every provider, in registry order. */
export const providerList: readonly RegisteredProvider<IntegrationProvider>[] = Object.values(providers);

/** Resolves a name from a request (case-insensitively), or undefined. */
export function findProvider(name: string): RegisteredProvider<IntegrationProvider> | undefined {
  const slug = name.toLowerCase();
  return providerList.find((p) => p.slug === slug);
}

/** Like findProvider, but an unknown name is an `unknown_integration` failure. */
export function requireProvider(name: string): RegisteredProvider<IntegrationProvider> {
  const provider = findProvider(name);
  if (!provider) throw new FailureError("unknown_integration", `Unknown integration "${name}"`);
  return provider;
}
