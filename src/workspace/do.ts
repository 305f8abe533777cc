// WorkspaceDO: one Durable Object per workspace, the single place where that workspace's tokens
// are changed, so a disconnect can never interleave with another token operation.
import { DurableObject } from "cloudflare:workers";
import { db, deleteAccess } from "../db/access";

export class WorkspaceDO extends DurableObject<Env> {
  /** Removes the connection and its cached data. Returns whether there was a connection. */
  async disconnect(workspaceId: string, integration: string): Promise<boolean> {
    return deleteAccess(db(this.env.DB), workspaceId, integration);
  }
}

/** The stub of a workspace's object. */
export function workspaceStub(env: Env, workspaceId: string): DurableObjectStub<WorkspaceDO> {
  return env.WORKSPACE.getByName(workspaceId);
}
