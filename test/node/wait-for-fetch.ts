// A wait shared by the Node tests that drive a `wrangler dev`: not in dev-flow.ts, which the benches
// import without vitest.
import { vi } from "vitest";
import { api, bearer, type Dev } from "./dev-flow.ts";

interface Status {
  integration: string;
  last_fetch: { outcome: string; trigger: string } | null;
}

/** Waits until the connection has a last fetch (runs are logged once they end, ok or not). */
export async function waitForFetch(dev: Dev, workspaceId: string, integration: string) {
  const jwt = await bearer(dev, { [workspaceId]: "member" });
  return vi.waitFor(
    async () => {
      const { body } = await api<Status[]>(dev, `/integration/status?workspace_id=${workspaceId}`, { bearer: jwt });
      const fetch = body.find((s) => s.integration === integration)?.last_fetch;
      if (!fetch) throw new Error(`no finished fetch of ${integration} yet`);
      return fetch;
    },
    { timeout: 30_000, interval: 250 },
  );
}
