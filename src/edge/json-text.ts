// A JSON response from text that is already JSON: a cached payload as stored, a listing assembled
// from entries serialized once. The same bytes and Content-Type as `c.json(value)` for the value the
// text holds, typed as that value for hono/client, without parsing and serializing it again.
import type { Context, TypedResponse } from "hono";
import type { JSONParsed } from "hono/utils/types";

/** `text` must be the JSON.stringify of a `T`: nothing here checks it. */
export function jsonText<T>(c: Context, text: string): Response & TypedResponse<JSONParsed<T>, 200, "json"> {
  // Through the context, as c.json does, so headers middleware set on it are kept.
  const res: Response = c.body(text, 200, { "Content-Type": "application/json" });
  // The type is what c.json would give for a `T`; the body is that JSON, serialized earlier.
  return res as Response & TypedResponse<JSONParsed<T>, 200, "json">;
}
