// vitest globalSetup: starts the fake provider server (test/fake/) once for the whole run and hands
// its port to the tests, which read it with `inject("fakePort")` (see test/fake-client.ts). At the
// end it searches everything the run printed for a token, code, client secret or key the run used:
// finding one fails the run (the message counts kinds, never quotes a value).
import type { TestProject } from "vitest/node";
import { TEST_BINDINGS, WEBHOOK_TEST_BINDINGS } from "./bindings.ts";
import { startFakeServer } from "./fake/server.ts";
import { captureOutput, findSecrets, secretsOf } from "./log-scan.ts";

declare module "vitest" {
  interface ProvidedContext {
    fakePort: number;
  }
}

export default async function ({ provide }: TestProject): Promise<() => Promise<void>> {
  const fake = await startFakeServer();
  provide("fakePort", fake.port);
  const output = captureOutput();
  return async () => {
    output.stop();
    const found = findSecrets(output.text(), secretsOf(fake.state, { ...TEST_BINDINGS, ...WEBHOOK_TEST_BINDINGS }));
    await fake.close();
    if (found.length > 0) throw new Error(`The test run's log output contains secrets: ${found.join(", ")}`);
  };
}
