import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { defineProvider, type NamedProviderDefinition } from "../src/framework/provider";
import { defineRegistry, findProvider, type IntegrationProvider, providers } from "../src/providers/registry";

const definition = (name: string): NamedProviderDefinition => ({
  name,
  apiType: "payroll",
  oauth: {
    authorizeUrl: "https://a.test/authorize",
    tokenUrl: "https://a.test/token",
    apiBaseUrl: "https://a.test",
    scopes: [],
    clientAuth: "client_secret_post",
  },
  getData: () => Promise.resolve([]),
});

// Checked by `npm run typecheck`: the name union stays literal, and a misspelt field is refused as
// `satisfies` would refuse it.
// @ts-expect-error: no provider declares this name
export const unregistered: IntegrationProvider = "NotARegisteredProvider0";
export const misspelt = () =>
  defineProvider({
    name: "Typo",
    apiType: null,
    oauth: {
      authorizeUrl: "https://a.test/a",
      tokenUrl: "https://a.test/t",
      apiBaseUrl: "https://a.test",
      scopes: [],
      clientAuth: "client_secret_post",
    },
    // @ts-expect-error: the field is keepAliveAfterMs
    keepAliveAfterMS: 1,
  });

describe("provider registry", () => {
  it("should refuse names that are not strictly alphanumeric", () => {
    for (const bad of ["x-y", "", "with space", "über", "a_b"]) {
      expect(() => defineRegistry({ [bad.toLowerCase()]: definition(bad) })).toThrow(/Invalid provider name/);
    }
  });

  // Folder names are unique, so two names that differ only in case cannot both be registered.
  it("should refuse a provider whose name in lower case is not its folder's", () => {
    expect(() => defineRegistry({ acme: definition("Acme2") })).toThrow(/its folder must be acme2/);
    expect(defineRegistry({ acme: definition("ACME") }).ACME).toMatchObject({ slug: "acme", envPrefix: "ACME" });
  });

  it("should derive slug and variable prefix from the name", () => {
    expect(providers.Xero).toMatchObject({ name: "Xero", slug: "xero", envPrefix: "XERO" });
    expect(findProvider("gusto", env)?.name).toBe("Gusto");
    // Not a valid name, so no registry can hold it.
    expect(findProvider("no-such-provider", env)).toBeUndefined();
  });
});
