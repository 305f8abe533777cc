// The log search that test/global-setup.ts runs over a whole test run: it must find a secret
// anywhere in the output, report only kinds and counts, and see what the process printed.
import { describe, expect, it } from "vitest";
import { createState } from "../fake/store.ts";
import { captureOutput, findSecrets, secretsOf } from "../log-scan.ts";

function stateWith(tokens: Record<string, "access" | "refresh">, codes: string[]) {
  const state = createState();
  for (const [token, kind] of Object.entries(tokens)) state.tokens.set(token, { kind, grant: {} as never });
  for (const code of codes) state.codes.set(code, {} as never);
  return state;
}

describe("secret search over log output", () => {
  const secrets = secretsOf(
    stateWith({ xero_at_AAAAAAAAAAAA: "access", xero_rt_BBBBBBBBBBBB: "refresh" }, ["code_CCCCCCCCCCCC"]),
    {
      AUTH_JWT_SECRET: "jwt-secret-DDDDDDDD",
      TOKEN_ENCRYPTION_KEY: "k1:EEEEEEEEEEEEEEEE",
      TOKEN_ENCRYPTION_PREVIOUS_KEYS: "k0:FFFFFFFFFFFFFFFF,k9:GGGGGGGGGGGGGGGG",
    },
  );

  it("should find each kind and count it, without quoting it", () => {
    const log =
      "refresh failed for xero_rt_BBBBBBBBBBBB\n... key GGGGGGGGGGGGGGGG ... code_CCCCCCCCCCCC and jwt-secret-DDDDDDDD";
    const found = findSecrets(log, secrets);
    expect(found).toEqual(["1 refresh token", "1 authorization code", "2 service keys"]);
    expect(found.join(" ")).not.toMatch(/BBBB|CCCC|DDDD|GGGG/);
  });

  it("should find nothing in clean output", () => {
    expect(
      findSecrets("fetch failed Xero provider_unavailable: api.xero.com/connections answered 503", secrets),
    ).toEqual([]);
  });

  it("should capture what the process writes to stdout and stderr", () => {
    const output = captureOutput();
    try {
      process.stdout.write("marker-on-stdout\n");
      process.stderr.write("marker-on-stderr\n");
    } finally {
      output.stop();
    }
    expect(output.text()).toContain("marker-on-stdout");
    expect(output.text()).toContain("marker-on-stderr");
  });
});
