/** True when no prefixes are given (no filter) or the stream starts with one of them. */
export function streamMatches(stream: string, prefixes: readonly string[] | undefined): boolean {
  if (!prefixes || prefixes.length === 0) return true;
  return prefixes.some((prefix) => stream.startsWith(prefix));
}

/** An empty prefix list means "no filter", as does no list at all. */
export function normalizePrefixes(prefixes: readonly string[] | undefined): string[] | undefined {
  if (!prefixes || prefixes.length === 0) return undefined;
  return [...new Set(prefixes)];
}

