/** Small checks shared by the config validator and its section checkers. */

/** One step of a key path: an object key or a list index. */
export type Segment = string | number;

/** A problem found while checking, before it is located in the file. */
export interface Found {
  segments: Segment[];
  message: string;
  hint?: string;
  /** Point at the key itself (unknown or missing keys) or at its value (wrong values). */
  at: 'key' | 'value';
}

export function checkKeys(obj: Record<string, unknown>, at: Segment[], allowed: readonly string[], where: string, found: Found[]): void {
  for (const key of Object.keys(obj)) {
    if (allowed.includes(key)) continue;
    const suggestion = closest(
      key,
      allowed.filter((k) => k !== '$schema'),
    );
    const keyPath = formatPath([...at, key]);
    found.push({
      segments: [...at, key],
      message: suggestion ? `Unknown key ${keyPath}; did you mean "${suggestion}"?` : `Unknown key ${keyPath}.`,
      hint: `Keys allowed ${where}: ${allowed.filter((k) => k !== '$schema').join(', ')}.`,
      at: 'key',
    });
  }
}

export function isMisspelled(obj: Record<string, unknown>, key: string): boolean {
  return Object.keys(obj).some((k) => k !== key && closest(k, [key]) === key);
}

export function optionalString(obj: Record<string, unknown>, key: string, at: Segment[], found: Found[]): string | undefined {
  return obj[key] === undefined ? undefined : expectNonEmptyString(obj[key], [...at, key], found);
}

export function expectNonEmptyString(value: unknown, at: Segment[], found: Found[], what = 'a non-empty string'): string | undefined {
  if (typeof value === 'string' && value.trim() !== '') return value;
  found.push({ segments: at, message: `${formatPath(at)} must be ${what}, not ${describe(value)}.`, at: 'value' });
  return undefined;
}

export function expectRecord(value: unknown, at: Segment[], found: Found[], what = 'an object'): value is Record<string, unknown> {
  if (isRecord(value)) return true;
  found.push({ segments: at, message: `${formatPath(at)} must be ${what}, not ${describe(value)}.`, at: 'value' });
  return false;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Short description of a wrong value for messages: its kind, plus the value itself when short. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (typeof value === 'string') return value === '' ? 'an empty string' : `the string ${JSON.stringify(value)}`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${typeof value} ${String(value)}`;
  if (typeof value === 'function') return 'a function';
  return typeof value === 'object' ? 'an object' : typeof value;
}

/** Renders a key path the way a user would write it in JS: dots for identifiers, brackets otherwise. */
export function formatPath(segments: readonly Segment[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(s)) out += out === '' ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out === '' ? '(top level)' : out;
}

/** The allowed word nearest to `word` by edit distance, if it is near enough to be a likely typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  // About one edit per three letters: catches "colums"/"sourcedir"/"replce", not unrelated words.
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(best.length / 3)) ? best : undefined;
}

/** Levenshtein distance, counting a swap of two neighbouring letters as one edit (a common typo). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}
