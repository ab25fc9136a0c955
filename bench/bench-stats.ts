/**
 * The figures every benchmark reports: the median with the range of several runs, and the units
 * they are printed in. One definition, so every table in RESULTS.md means the same by "median".
 */

export const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
export const mb = (kb: number) => `${Math.round(kb / 1024)} MB`;

/** The middle value (the mean of the two middle ones for an even count); NaN for none. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface Stat {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function stat(xs: number[]): Stat {
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length };
}

/** "median (min–max)", or the one value of a single run. */
export function fmtStat(s: Stat | undefined, f = sec): string {
  if (!s || !s.n) return '—';
  return s.n > 1 ? `${f(s.median)} (${f(s.min)}–${f(s.max)})` : f(s.median);
}
