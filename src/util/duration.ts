/** `500ms`, `5s`, `2min` (a bare number is milliseconds) in milliseconds, or undefined when it is not one. */
export function durationMs(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|min)?$/i.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]) * { ms: 1, s: 1000, min: 60_000 }[(m[2] ?? 'ms').toLowerCase() as 'ms' | 's' | 'min'];
  return n > 0 ? Math.round(n) : undefined;
}
