// The Drizzle handle over D1 that every query in this folder takes.
import { drizzle } from "drizzle-orm/d1";

export function db(d1: D1Database) {
  return drizzle(d1);
}

export type Db = ReturnType<typeof db>;
