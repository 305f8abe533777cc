// One IntegrationOAuth per registered provider, built once per isolate.
import { type IntegrationProvider, providerList } from "../registry";
import type { RegisteredProvider } from "../providers/types";
import { IntegrationOAuth } from "./integration-oauth";

const connectors = new Map<string, IntegrationOAuth>();

export function oauthFor(provider: RegisteredProvider<IntegrationProvider> | RegisteredProvider): IntegrationOAuth {
  let connector = connectors.get(provider.name);
  if (!connector) {
    connector = new IntegrationOAuth(provider);
    connectors.set(provider.name, connector);
  }
  return connector;
}

/** Every provider's connector, in registry order. */
export function allConnectors(): IntegrationOAuth[] {
  return providerList.map(oauthFor);
}
