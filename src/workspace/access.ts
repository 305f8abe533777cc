// Reading a connection's tokens from anywhere in the worker: always through the workspace's
// Durable Object, with its failures turned into HTTP errors for the caller.
import { appErrorFrom } from "../errors";
import { workspaceStub } from "./stub";
import type { AccessOutcome, UsableAccess } from "./tokens";

/**
 * A usable access token for (workspace, integration). Throws AppError: 404 not_connected,
 * 409 reconnect_required, 502 refresh_failed, 503 provider_unavailable (with Retry-After).
 */
export async function getIntegrationAccess(env: Env, workspaceId: string, integration: string): Promise<UsableAccess> {
  // RPC's mapped result type loses the discriminant's narrowing; the value is the plain union.
  const outcome = (await workspaceStub(env, workspaceId).getIntegrationAccess(workspaceId, integration)) as AccessOutcome;
  if (outcome.ok) return outcome.access;
  throw appErrorFrom(outcome.error);
}
