// Per-connection configuration: the rules a provider's connectionConfig sets (checked at the connect
// session, naming the field), the substitution of `{field}` placeholders into its URLs (checked
// again, escaped, on the template's origin), the registry's rules for templated hosts and the labels
// no customer has, and, for every registered provider that declares some, the config travelling
// from the connect session to the stored connection. Each provider's placeholders and examples are
// checked by test/provider-contract.test.ts.
import { describe, expect, it } from "vitest";
import { appForConnection, checkConnectionConfig, ConnectionConfigError } from "../src/framework/connection-config";
import type { OAuthApp } from "../src/framework/oauth/types";
import { providerList, defineRegistry } from "../src/providers/registry";
import { call, connectThroughPopup, errorOf, rawAccessRow, token, unregisteredName } from "./helpers";

// Built here, not registered: the rules hold for any provider, whatever the registry holds.
const { Acme: acme } = defineRegistry({
  acme: {
    name: "Acme",
    apiType: null,
    oauth: {
      authorizeUrl: "https://{subdomain}.acme.example/oauth/authorize",
      tokenUrl: "https://accounts.acme.{region}/oauth/token",
      revokeUrl: "https://accounts.acme.{region}/oauth/revoke",
      apiBaseUrl: "https://{subdomain}.acme.example/api/{region}",
      scopes: ["offline_access"],
      clientAuth: "client_secret_post",
    },
    connectionConfig: {
      subdomain: {
        description: "Your Acme subdomain",
        pattern: /[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?/,
        example: "acme",
      },
      region: { description: "Your data centre", values: ["com", "eu", "com.au"], example: "eu" },
    },
  },
});

const app: OAuthApp = { ...acme.oauth, clientId: "id", clientSecret: "secret", pkce: true };

// A provider without connection config has no placeholders (the registry refuses one that has).
const plainOAuth = {
  authorizeUrl: "https://plain.example/a",
  tokenUrl: "https://plain.example/t",
  apiBaseUrl: "https://plain.example/api",
  scopes: [],
  clientAuth: "client_secret_post",
} as const;

describe("checkConnectionConfig", () => {
  it("should accept every field passing its rule", () => {
    expect(checkConnectionConfig(acme, { subdomain: "my-firm", region: "com.au" })).toEqual({
      ok: true,
      config: { subdomain: "my-firm", region: "com.au" },
    });
  });

  it.each([
    [{ region: "eu" }, "config.subdomain", /required/],
    [
      { subdomain: "acme", region: "eu", tenant: "x" },
      "config.tenant",
      /not a setting of Acme \(it takes subdomain, region\)/,
    ],
    [{ subdomain: 7, region: "eu" }, "config.subdomain", /string/],
    [{ subdomain: "acme", region: "us" }, "config.region", /one of com, eu, com.au/],
    [{ subdomain: "", region: "eu" }, "config.subdomain", /1 to 253/],
    [{ subdomain: "a".repeat(300), region: "eu" }, "config.subdomain", /1 to 253/],
  ])("should refuse %j, naming %s", (input, field, message) => {
    const result = checkConnectionConfig(acme, input);
    expect(result).toMatchObject({ ok: false, field });
    expect(!result.ok && result.message).toMatch(message);
  });

  it.each(["evil.example/x", "evil.example#", "user@evil", "../admin", "a b", "acme.evil", "-acme", "ACME", "acme%2f"])(
    "should refuse the subdomain %j, which its pattern does not allow in full",
    (subdomain) => {
      expect(checkConnectionConfig(acme, { subdomain, region: "eu" })).toMatchObject({
        ok: false,
        field: "config.subdomain",
      });
    },
  );

  it("should accept no config, and only none, for a provider that declares none", () => {
    const { Plain: plain } = defineRegistry({ plain: { name: "Plain", apiType: null, oauth: plainOAuth } });
    expect(checkConnectionConfig(plain, undefined)).toEqual({ ok: true, config: {} });
    expect(checkConnectionConfig(plain, {})).toEqual({ ok: true, config: {} });
    expect(checkConnectionConfig(plain, { subdomain: "x" })).toMatchObject({ ok: false, field: "config.subdomain" });
    expect(checkConnectionConfig(plain, ["x"])).toMatchObject({ ok: false, field: "config" });
  });
});

describe("appForConnection", () => {
  it("should put each value in place of its placeholder in every URL", () => {
    const resolved = appForConnection(acme, app, { subdomain: "my-firm", region: "eu" });
    expect(resolved).toMatchObject({
      authorizeUrl: "https://my-firm.acme.example/oauth/authorize",
      tokenUrl: "https://accounts.acme.eu/oauth/token",
      revokeUrl: "https://accounts.acme.eu/oauth/revoke",
      apiBaseUrl: "https://my-firm.acme.example/api/eu",
      clientId: "id",
    });
  });

  it("should refuse a stored value that no longer passes, or a missing one, rather than build a URL with it", () => {
    expect(() => appForConnection(acme, app, { subdomain: "evil.example/", region: "eu" })).toThrow(
      ConnectionConfigError,
    );
    expect(() => appForConnection(acme, app, { subdomain: "acme" })).toThrow(/region/);
  });

  it("should leave a provider without connection config as it is", () => {
    const { Plain: plain } = defineRegistry({ plain: { name: "Plain", apiType: null, oauth: plainOAuth } });
    const plainApp: OAuthApp = { ...plainOAuth, clientId: "id", clientSecret: "secret", pkce: true };
    expect(appForConnection(plain, plainApp, {})).toBe(plainApp);
  });
});

// The client secret is POSTed to a templated host: only a customer's own label may go there.
describe("templated hosts", () => {
  const template = {
    name: "Acme",
    apiType: null,
    oauth: {
      authorizeUrl: "https://{subdomain}.acme.example/authorize",
      tokenUrl: "https://{subdomain}.acme.example/token",
      apiBaseUrl: "https://{subdomain}.acme.example/api",
      scopes: [],
      clientAuth: "client_secret_post",
    },
  } as const;
  const withField = (field: Record<string, unknown>) => () =>
    defineRegistry({
      acme: { ...template, connectionConfig: { subdomain: { description: "d", example: "acme", ...field } } },
    });

  it("should refuse a field with neither a pattern nor values", () => {
    expect(withField({})).toThrow(/connectionConfig.subdomain needs a pattern or values/);
  });

  it.each([/[a-z]+/m, /[a-z]+/y])("should refuse the pattern %s, whose flag defeats the anchoring", (pattern) => {
    expect(withField({ pattern })).toThrow(/may not use the m or y flag/);
  });

  it.each([/[a-z.]+/, /.+/, /[^/]+/, /[a-z]+(\.[a-z]+)?/, /\S+/])(
    "should refuse the pattern %s, which matches a dot",
    (pattern) => {
      expect(withField({ pattern })).toThrow(/may not match a dot/);
    },
  );

  it("should refuse a template whose filled URL leaves its origin", () => {
    expect(withField({ pattern: /[a-z@]+/, example: "a@b" })).toThrow(/does not keep its origin/);
  });

  it("should refuse a placeholder no field declares", () => {
    expect(() =>
      defineRegistry({
        acme: {
          ...template,
          oauth: { ...template.oauth, tokenUrl: "https://{tenant}.acme.example/token" },
          connectionConfig: { subdomain: { description: "d", pattern: /[a-z]+/, example: "acme" } },
        },
      }),
    ).toThrow(/no connectionConfig field/);
  });

  it.each(["www", "api", "login", "status", "cdn", "xn--80ak6aa92e"])(
    "should refuse the label %j, which is the provider's own, not a customer's",
    (subdomain) => {
      const result = checkConnectionConfig(acme, { subdomain, region: "eu" });
      expect(result).toMatchObject({ ok: false, field: "config.subdomain" });
      expect(!result.ok && result.message).toMatch(/not a customer's subdomain/);
      expect(() => appForConnection(acme, app, { subdomain, region: "eu" })).toThrow(ConnectionConfigError);
    },
  );

  it("should refuse a value that would reach another origin once escaped", () => {
    const { Acme: loose } = defineRegistry({
      acme: {
        ...template,
        connectionConfig: { subdomain: { description: "d", pattern: /[a-zß]+/u, example: "acme" } },
      },
    });
    const looseApp: OAuthApp = { ...loose.oauth, clientId: "id", clientSecret: "secret", pkce: true };
    expect(appForConnection(loose, looseApp, { subdomain: "acme" }).tokenUrl).toBe("https://acme.acme.example/token");
    expect(() => appForConnection(loose, looseApp, { subdomain: "straße" })).toThrow(ConnectionConfigError);
  });
});

describe("connect sessions with config", () => {
  const session = async (integration: string, config: unknown) =>
    call("/integration/connect-sessions", {
      method: "POST",
      bearer: await token({ "ws-config": "member" }),
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ workspace_id: "ws-config", integration, config }),
    });

  it("should refuse config for a provider that takes none, naming the field", async () => {
    const plain = providerList.find((p) => !p.connectionConfig && !p.developmentOnly)!;
    const res = await session(plain.name, { subdomain: "acme" });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({
      code: "invalid_request",
      message: expect.stringContaining("config.subdomain") as string,
    });
    expect((await session(plain.name, "acme")).status).toBe(400);
    expect((await session(unregisteredName(), {})).status).toBe(400);
  });

  describe.each(providerList.filter((p) => p.connectionConfig && !p.developmentOnly))("provider $name", (provider) => {
    const fields = Object.entries(provider.connectionConfig!);
    const examples = Object.fromEntries(fields.map(([field, spec]) => [field, spec.example]));

    it("should name a missing or invalid field, and accept the examples", async () => {
      const [first] = fields[0]!;
      const missing = await session(provider.name, { ...examples, [first]: undefined });
      expect((await errorOf(missing)).message).toContain(`config.${first}`);
      const invalid = await session(provider.name, { ...examples, [first]: "../x/@y" });
      expect((await errorOf(invalid)).message).toContain(`config.${first}`);
      expect((await session(provider.name, examples)).status).toBe(201);
    });

    it("should refuse a direct login, which has no way to take the config", async () => {
      const res = await call(`/integration/${provider.slug}/login?workspace_id=ws-config`, {
        bearer: await token({ "ws-config": "member" }),
        redirect: "manual",
      });
      expect(res.status).toBe(400);
      expect((await errorOf(res)).message).toMatch(/connect-sessions/);
    });

    it("should store the session's config on the connection", async () => {
      const ws = `ws-config-${provider.slug}`;
      await connectThroughPopup(ws, provider.name, { config: examples });
      const row = await rawAccessRow(ws, provider.name);
      expect(JSON.parse(row!.config as string)).toEqual(examples);
    });
  });

  it("should list each provider's connection config for the host app's form", async () => {
    const res = await call("/integration/providers?workspace_id=ws-config", {
      bearer: await token({ "ws-config": "member" }),
    });
    const listed = await res.json<{ name: string; connection_config: Record<string, { example: string }> | null }[]>();
    for (const entry of listed) {
      const provider = providerList.find((p) => p.name === entry.name)!;
      if (!provider.connectionConfig) expect(entry.connection_config).toBeNull();
      else expect(Object.keys(entry.connection_config!)).toEqual(Object.keys(provider.connectionConfig));
    }
  });
});
