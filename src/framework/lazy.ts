// Builds a value on first use instead of at module load: schemas cost CPU to construct, and a
// worker's startup runs every module's top level before the first request.

/** `build()` once, on the first call; the same value afterwards. */
export function lazy<T>(build: () => T): () => T {
  let value: { built: T } | undefined;
  return () => (value ??= { built: build() }).built;
}
