// The one list of providers. Routes, listings, cron and the IntegrationProvider type all read it.
import { connectionConfigProblem } from "../framework/connection-config";
import { FailureError } from "../framework/failure";
import { PROVIDER_NAME_PATTERN } from "../framework/names";
import { dataFormatOf, type ProviderDefinition, type RegisteredProvider } from "../framework/provider";
import { isDevelopment } from "../framework/settings";
import { bambooHR } from "./bamboohr";
import { deel } from "./deel";
import { factorial } from "./factorial";
import { freshbooks } from "./freshbooks";
import { gusto } from "./gusto";
import { myob } from "./myob";
import { oysterHR } from "./oysterhr";
import { quickbooks } from "./quickbooks";
import { sage } from "./sage";
import { sandbox } from "./sandbox";
import { sandboxPayroll } from "./sandboxpayroll";
import { xero } from "./xero";
import { zohoBooks } from "./zohobooks";

type Registry<T extends Record<string, ProviderDefinition>> = {
  readonly [K in keyof T & string]: RegisteredProvider<K> & T[K];
};

/**
 * Checks every name and attaches it to its provider. Throws on a name that is not alphanumeric or
 * that collides case-insensitively with another (URL segments are lower case), and on connection
 * config that could send a request to another host (connectionConfigProblem).
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
    const { oauth } = definition;
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

// Keep sorted by name; `npm run scaffold` inserts new providers here.
export const providers = defineRegistry({
  BambooHR: bambooHR,
  Deel: deel,
  Factorial: factorial,
  FreshBooks: freshbooks,
  Gusto: gusto,
  MYOB: myob,
  OysterHR: oysterHR,
  QuickBooks: quickbooks,
  Sage: sage,
  Sandbox: sandbox,
  SandboxPayroll: sandboxPayroll,
  Xero: xero,
  ZohoBooks: zohoBooks,
});

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
