// The Drizzle handle over D1 that every query in this folder takes, and the error every query
// throws instead of the driver's: Drizzle's errors quote the SQL and its parameters (ciphertext,
// tenant ids), so they never leave this folder.
import { drizzle } from "drizzle-orm/d1";

const open = (d1: D1Database) => drizzle(d1);

export type Db = ReturnType<typeof open>;

/** One Drizzle handle per binding: an isolate's binding never changes, and a handle holds no request state. */
const handles = new WeakMap<D1Database, Db>();

export function db(d1: D1Database): Db {
  let handle = handles.get(d1);
  if (!handle) handles.set(d1, (handle = open(d1)));
  return handle;
}

/** A storage operation failed. The message names the operation and D1's own reason, never a parameter. */
export class StorageError extends Error {
  constructor(
    readonly operation: string,
    reason: string,
  ) {
    super(`${operation} failed: ${reason}`);
    this.name = "StorageError";
  }
}

/** D1's message for a failure, without Drizzle's "Failed query: … params: …" wrapper. */
function reasonOf(err: unknown): string {
  // Drizzle wraps the driver's error as `cause`; D1's message names the problem, not the values.
  const inner = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  const message = inner instanceof Error ? inner.message : String(inner);
  const clipped = message.split(/\bparams:/i)[0]!.replace(/^Failed query:[\s\S]*/i, "the query failed");
  return clipped.slice(0, 200).trim() || "unknown error";
}

/** `fn` with its failures turned into StorageError(`operation`). */
export function storageOp<A extends unknown[], R>(
  operation: string,
  fn: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  return async (...args) => {
    try {
      return await fn(...args);
    } catch (err) {
      throw new StorageError(operation, reasonOf(err));
    }
  };
}
