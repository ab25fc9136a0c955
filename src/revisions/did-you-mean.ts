/**
 * The candidate nearest to `word` if it is close enough to be a typo (about one edit per three
 * characters). With `prefix`, `word` is compared with the start of each candidate, for ids the
 * user abbreviated ("1a3b" finds 1a2b3c4d5e6f).
 */
export function closest(word: string, candidates: Iterable<string>, options: { prefix?: boolean } = {}): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, options.prefix ? c.slice(0, word.length) : c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  const length = options.prefix ? word.length : Math.min(word.length, best?.length ?? 0);
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(length / 3)) ? best : undefined;
}

/** Levenshtein distance, counting a swap of neighbouring characters as one edit (a common typo). */
export function editDistance(a: string, b: string): number {
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j], before[j - 2] + 1);
    }
    [before, prev] = [prev, row];
  }
  return prev[b.length];
}
