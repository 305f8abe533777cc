// vitest globalSetup: starts the fake provider server (test/fake/) once for the whole run and hands
// its port to the tests, which read it with `inject("fakePort")` (see test/fake-client.ts).
import type { TestProject } from "vitest/node";
import { startFakeServer } from "./fake/server.ts";

declare module "vitest" {
  interface ProvidedContext {
    fakePort: number;
  }
}

export default async function ({ provide }: TestProject): Promise<() => Promise<void>> {
  const fake = await startFakeServer();
  provide("fakePort", fake.port);
  return async () => {
    await fake.close();
  };
}
