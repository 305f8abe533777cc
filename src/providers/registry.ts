// The one list of providers: every folder under src/providers/ (index.generated.ts, written by
// `npm run providers:generate`). Routes, listings, cron and the IntegrationProvider type all read it.
import { connectionConfigProblem } from "../framework/connection-config";
import { FailureError } from "../framework/failure";
import { PROVIDER_NAME_PATTERN } from "../framework/names";
import { dataFormatOf, type NamedProviderDefinition, type RegisteredProvider } from "../framework/provider";
import { isDevelopment } from "../framework/settings";
import { providerDefinitions } from "./index.generated";

/** The definitions keyed by folder, re-keyed by their declared names. */
type Registry<T extends Record<string, NamedProviderDefinition>> = {
  readonly [F in keyof T as T[F]["name"]]: RegisteredProvider<T[F]["name"]> & T[F];
};

/**
 * Checks every provider's name and keys it by that name. Throws on a name that is not alphanumeric,
 * whose lower case is not its folder's name (URL segments and variable prefixes derive from it), and
 * on connection config that could send a request to another host (connectionConfigProblem).
 */
export function defineRegistry<const T extends Record<string, NamedProviderDefinition>>(definitions: T): Registry<T> {
  const out: Record<string, RegisteredProvider> = {};
  for (const [folder, definition] of Object.entries(definitions)) {
    const { name, oauth } = definition;
    if (!PROVIDER_NAME_PATTERN.test(name)) {
      throw new Error(`Invalid provider name "${name}": names must match ${PROVIDER_NAME_PATTERN}`);
    }
    const slug = name.toLowerCase();
    if (slug !== folder)
      throw new Error(`Provider "${name}" is in src/providers/${folder}/: its folder must be ${slug}`);
    const problem = connectionConfigProblem(definition.connectionConfig ?? {}, [
      oauth.authorizeUrl,
      oauth.tokenUrl,
      oauth.apiBaseUrl,
      ...(oauth.revokeUrl === undefined ? [] : [oauth.revokeUrl]),
    ]);
    if (problem) throw new Error(`Invalid provider "${name}": ${problem}`);
    out[name] = { ...definition, name, slug, envPrefix: name.toUpperCase() };
  }
  return Object.freeze(out) as Registry<T>;
}

export const providers = defineRegistry(providerDefinitions);

/** A registered provider's name (`IntegrationProvider` of Zebbra's original framework). */
export type IntegrationProvider = keyof typeof providers;

/** Every registered provider, in registry order, whether or not this environment offers it. */
export const providerList: readonly RegisteredProvider<IntegrationProvider>[] = Object.values(providers);

/** Each provider whose data format is past 1, by name, as JSON (`{"Xero":2}`): what the cron compares cached keys with. */
export const dataFormats = (): string =>
  JSON.stringify(
    Object.fromEntries(providerList.filter((p) => dataFormatOf(p) > 1).map((p) => [p.name, dataFormatOf(p)])),
  );

/** Whether this environment offers the provider: development-only ones exist only in development. */
export function isAvailable(provider: RegisteredProvider, env: Env): boolean {
  return provider.developmentOnly !== true || isDevelopment(env);
}

/** The providers this environment offers, in registry order. */
export function availableProviders(env: Env): RegisteredProvider<IntegrationProvider>[] {
  return providerList.filter((p) => isAvailable(p, env));
}

/** Resolves a name from a request (case-insensitively) among the providers `env` offers, or undefined. */
export function findProvider(name: string, env: Env): RegisteredProvider<IntegrationProvider> | undefined {
  const slug = name.toLowerCase();
  const provider = providerList.find((p) => p.slug === slug);
  return provider && isAvailable(provider, env) ? provider : undefined;
}

/** Like findProvider, but an unknown (or here unavailable) name is an `unknown_integration` failure. */
export function requireProvider(name: string, env: Env): RegisteredProvider<IntegrationProvider> {
  const provider = findProvider(name, env);
  if (!provider) throw new FailureError("unknown_integration", `Unknown integration "${name}"`);
  return provider;
}
