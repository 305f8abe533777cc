// How everything else reaches a workspace's Durable Object.
import type { WorkspaceDO } from "./do";

/** The stub of a workspace's object (one object per workspace id). */
export function workspaceStub(env: Env, workspaceId: string): DurableObjectStub<WorkspaceDO> {
  return env.WORKSPACE.getByName(workspaceId);
}
