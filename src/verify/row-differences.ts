/**
 * The first rows that differ between two sides, lined up by key: the one row-difference mechanism
 * of `ferry verify --detailed`, the verify step of `ferry copy` and `ferry consolidate --verify`.
 * Each side is a stream of rows in key order (an engine's row reader gives that order); values are
 * normalised the way the checksums normalise them before they are compared. Only run once the
 * checksums disagree, so its per-row work is not on the normal path.
 */
import { normalizerFor, type ConvertOptions } from '../values/convert-value.js';
import type { LogicalType } from '../values/column-type.js';
import { jsonSafe } from '../values/json-safe.js';
import type { Row, Value } from '../values/value.js';

/** A row that differs between the two sides, by key. */
export interface RowDifference {
  kind: 'missing-in-target' | 'extra-in-target' | 'different';
  /** The key value (or values, for a composite key), as JSON holds them exactly. */
  key: unknown;
  /** Columns whose values differ (for `different`). */
  columns?: string[];
  /** Which source the row came from, when several feed one target (consolidate). */
  origin?: string;
  source?: Record<string, unknown>;
  target?: Record<string, unknown>;
}

/** A row in normal form with its key, and where it came from. */
export interface KeyedRow {
  key: Value[];
  values: Value[];
  origin?: string;
}

/** One side: its rows in key order, and its column names as they are shown. */
export interface DifferenceSide {
  rows: AsyncIterable<KeyedRow>;
  columns: string[];
}

/** Walks both sides in key order and returns the first `limit` rows missing on one side or different. */
export async function firstDifferences(from: DifferenceSide, to: DifferenceSide, limit: number): Promise<RowDifference[]> {
  const a = from.rows[Symbol.asyncIterator]();
  const b = to.rows[Symbol.asyncIterator]();
  const out: RowDifference[] = [];
  let x = await a.next();
  let y = await b.next();
  try {
    while (out.length < limit && !(x.done && y.done)) {
      const c = x.done ? 1 : y.done ? -1 : compareKeys(x.value.key, y.value.key);
      if (c < 0) {
        out.push(withOrigin({ kind: 'missing-in-target', key: keyJson(x.value.key), source: record(from.columns, x.value.values) }, x.value));
        x = await a.next();
      } else if (c > 0) {
        out.push({ kind: 'extra-in-target', key: keyJson(y.value!.key), target: record(to.columns, y.value!.values) });
        y = await b.next();
      } else {
        const diff = differingColumns(from.columns, x.value!.values, y.value!.values);
        if (diff.length) {
          const d: RowDifference = { kind: 'different', key: keyJson(x.value!.key), columns: diff, source: record(from.columns, x.value!.values) };
          out.push(withOrigin({ ...d, target: record(to.columns, y.value!.values) }, x.value!));
        }
        x = await a.next();
        y = await b.next();
      }
    }
    return out;
  } finally {
    await a.return?.();
    await b.return?.();
  }
}

/**
 * Rows read as key values then column values, normalised per logical type (null: as stored), with
 * one set of forms for every column or one per column; the key is read back from the normalised
 * key columns, so both sides' keys compare alike.
 */
export async function* keyedRows(
  rows: AsyncIterable<Row>,
  key: number[],
  logicals: (LogicalType | null)[],
  forms: ConvertOptions | ConvertOptions[],
  origin?: string,
): AsyncGenerator<KeyedRow> {
  const ns = logicals.map((l, i) => (l === null ? (v: Value) => v : normalizerFor(l, Array.isArray(forms) ? forms[i] : forms)));
  for await (const row of rows) {
    const values = row.slice(key.length).map((v, i) => ns[i]!(v));
    yield { key: key.map((i) => values[i]!), values, ...(origin === undefined ? {} : { origin }) };
  }
}

/**
 * Several sources feeding one target, merged into one stream in key order. Where two carry the
 * same key, the earlier source's row is the one the target keeps, unless the later one's rows
 * replace earlier ones (`replaces`), as a consolidation's conflict policy decides.
 */
export async function* mergedInKeyOrder(sources: { rows: AsyncIterable<KeyedRow>; replaces: boolean }[]): AsyncGenerator<KeyedRow> {
  const its = sources.map((s) => s.rows[Symbol.asyncIterator]());
  const heads = await Promise.all(its.map((it) => it.next()));
  try {
    for (;;) {
      let min = -1;
      for (let i = 0; i < heads.length; i++) if (!heads[i]!.done && (min < 0 || compareKeys(heads[i]!.value.key, heads[min]!.value.key) < 0)) min = i;
      if (min < 0) return;
      const key = heads[min]!.value.key;
      let kept = heads[min]!.value as KeyedRow;
      for (let i = min; i < heads.length; i++) {
        if (heads[i]!.done || compareKeys(heads[i]!.value.key, key) !== 0) continue;
        if (i !== min && sources[i]!.replaces) kept = heads[i]!.value;
        heads[i] = await its[i]!.next();
      }
      yield kept;
    }
  } finally {
    await Promise.all(its.map((it) => it.return?.()));
  }
}

const RANK = (v: Value) => (v === null ? 0 : typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean' ? 1 : typeof v === 'string' ? 2 : 3);

/** Orders keys as every engine's row reader sorts them: NULL, numbers by value, text and blobs byte by byte. */
export function compareKeys(a: Value[], b: Value[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    const r = RANK(x) - RANK(y);
    if (r) return r;
    let c = 0;
    if (typeof x === 'string' && typeof y === 'string') c = Buffer.compare(Buffer.from(x), Buffer.from(y));
    else if (x instanceof Uint8Array && y instanceof Uint8Array) c = Buffer.compare(x, y);
    else if (x !== null && y !== null) c = Number(x) < Number(y) ? -1 : Number(x) > Number(y) ? 1 : 0;
    if (c) return c;
  }
  return a.length - b.length;
}

function differingColumns(names: string[], a: Value[], b: Value[]): string[] {
  return names.filter((_, i) => !sameValue(a[i]!, b[i]!));
}

/** Equal values of the same class: 1 and 1.0 differ, as they do in the checksums. */
function sameValue(a: Value, b: Value): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.compare(a, b) === 0;
  if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b) || a === b;
  return a === b;
}

function record(names: string[], row: Value[]): Record<string, unknown> {
  return Object.fromEntries(names.map((n, i) => [n, jsonSafe(row[i]!)]));
}

function keyJson(key: Value[]): unknown {
  return key.length === 1 ? jsonSafe(key[0]!) : key.map(jsonSafe);
}

function withOrigin(d: RowDifference, row: KeyedRow): RowDifference {
  return row.origin === undefined ? d : { ...d, origin: row.origin };
}
