import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ProviderDefinition } from "../src/framework/provider";
import { defineRegistry, findProvider, providers } from "../src/providers/registry";

const definition: ProviderDefinition = {
  apiType: "payroll",
  oauth: {
    authorizeUrl: "https://a.test/authorize",
    tokenUrl: "https://a.test/token",
    apiBaseUrl: "https://a.test",
    scopes: [],
    clientAuth: "client_secret_post",
  },
  getData: () => Promise.resolve([]),
};

describe("provider registry", () => {
  it("should refuse names that are not strictly alphanumeric", () => {
    for (const bad of ["x-y", "", "with space", "über", "a_b"]) {
      expect(() => defineRegistry({ [bad]: definition })).toThrow(/Invalid provider name/);
    }
  });

  it("should refuse two names that differ only in case", () => {
    expect(() => defineRegistry({ Acme: definition, ACME: definition })).toThrow(/Duplicate/);
  });

  it("should derive slug and variable prefix from the name", () => {
    expect(providers.Xero).toMatchObject({ name: "Xero", slug: "xero", envPrefix: "XERO" });
    expect(findProvider("gusto", env)?.name).toBe("Gusto");
    // Not a valid name, so no registry can hold it.
    expect(findProvider("no-such-provider", env)).toBeUndefined();
  });
});
