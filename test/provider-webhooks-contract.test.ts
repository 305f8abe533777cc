// One contract over every provider that declares webhooks (a scaffolded one included): its route is
// mounted and public, an unsigned delivery is refused with an empty 401 whatever its body, a body
// that is not the provider's format is a ProviderDataError (never a crash), and every event names a
// tenant, a kind and an id. Providers without webhooks keep answering 404 there.
import { describe, expect, it } from "vitest";
import { ProviderDataError } from "../src/framework/data";
import { providerList } from "../src/providers/registry";
import { call } from "./helpers";

const withHooks = providerList.filter((p) => p.webhooks !== undefined && !p.developmentOnly);
const withoutHooks = providerList.filter((p) => p.webhooks === undefined && !p.developmentOnly);

describe.each(withHooks)("provider $name webhooks", (provider) => {
  const hooks = provider.webhooks!;

  it("should refuse an unsigned delivery with an empty 401, before reading its body", async () => {
    for (const body of ["{}", "[]", "not json", ""]) {
      const res = await call(`/integration/${provider.slug}/webhooks`, { method: "POST", body });
      expect([res.status, await res.text()]).toEqual([401, ""]);
    }
  });

  it("should call a body in another shape a ProviderDataError", () => {
    for (const body of [null, 42, "text", { unexpected: true }, [{ id: 1 }]]) {
      let caught: unknown;
      try {
        const events = hooks.parse(body);
        // A shape that happens to parse must still name nothing.
        expect(events).toEqual([]);
      } catch (err) {
        caught = err;
      }
      if (caught !== undefined) expect(caught).toBeInstanceOf(ProviderDataError);
    }
  });

  it("should not take a missing or undecodable signature as valid", async () => {
    const body = new Uint8Array(new TextEncoder().encode("{}"));
    for (const headers of [new Headers(), new Headers({ "x-xero-signature": "%%%" })])
      expect(await hooks.verify({ body, headers }, "any key")).toBe(false);
  });
});

describe.each(withoutHooks)("provider $name without webhooks", (provider) => {
  it("should have no webhook route", async () => {
    const res = await call(`/integration/${provider.slug}/webhooks`, { method: "POST", body: "{}" });
    expect(res.status).toBe(404);
  });
});
