// Reading configuration from the environment. Optional variables (provider credentials, URL
// overrides) are not in the generated Env, so they are read by name here and nowhere else.

/** An optional string variable, or undefined when unset or empty. */
export function readVar(env: Env, name: string): string | undefined {
  const value: unknown = (env as unknown as Record<string, unknown>)[name];
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

/** An optional numeric variable, or `fallback` when unset, not a number or below `min`. */
export function readNumber(env: Env, name: string, fallback: number, min = 0): number {
  const value = Number(readVar(env, name));
  return readVar(env, name) !== undefined && Number.isFinite(value) && value >= min ? value : fallback;
}
