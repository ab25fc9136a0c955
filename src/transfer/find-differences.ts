import type { Engine } from '../engine/types.js';
import type { Row, Value } from '../values/value.js';
import type { PostgresEngine } from '../engines/postgres/postgres-engine.js';
import { byteOrderedSelectSql } from '../engines/postgres/postgres-read-rows.js';
import type { SqliteEngine } from '../engines/sqlite/sqlite-engine.js';
import { readSqliteRows } from '../engines/sqlite/sqlite-read-rows.js';
import { normalizerFor } from '../values/convert-value.js';
import type { LogicalType } from '../values/column-type.js';
import { jsonSafe } from '../values/json-safe.js';

/** One side of a table comparison: where its rows are and what its columns are called. */
export interface CompareSide {
  engine: Engine;
  table: string;
  columns: string[];
  key: string[];
}

/** A row that differs between the two sides, by primary key. */
export interface RowDifference {
  kind: 'missing-in-target' | 'extra-in-target' | 'different';
  key: unknown;
  /** Columns whose values differ (for `different`). */
  columns?: string[];
  source?: Record<string, unknown>;
  target?: Record<string, unknown>;
}

/**
 * Walks both sides in primary-key order (text keys byte by byte on both engines) and returns the
 * first `limit` rows that are missing on one side or differ in some column, values normalised the
 * same way the checksums normalise them. Only run once checksums disagree.
 */
export async function findDifferences(from: CompareSide, to: CompareSide, logicals: (LogicalType | null)[], limit: number): Promise<RowDifference[]> {
  const keyIdx = from.key.map((k) => from.columns.indexOf(k));
  const keyLogicals = keyIdx.map((i) => logicals[i] ?? null);
  const a = normalised(read(from, keyLogicals), keyIdx, logicals, from.engine.dialect === 'postgres');
  const b = normalised(read(to, keyLogicals), keyIdx, logicals, to.engine.dialect === 'postgres');
  const out: RowDifference[] = [];
  let x = await a.next();
  let y = await b.next();
  const obj = (names: string[], row: Value[]) => Object.fromEntries(names.map((n, i) => [n, jsonSafe(row[i]!)]));
  while (out.length < limit && !(x.done && y.done)) {
    const c = x.done ? 1 : y.done ? -1 : compareKeys(x.value.key, y.value.key);
    if (c < 0) {
      out.push({ kind: 'missing-in-target', key: keyJson(x.value!.key), source: obj(from.columns, x.value!.values) });
      x = await a.next();
    } else if (c > 0) {
      out.push({ kind: 'extra-in-target', key: keyJson(y.value!.key), target: obj(to.columns, y.value!.values) });
      y = await b.next();
    } else {
      const diff = from.columns.filter((_, i) => !sameValue(x.value!.values[i]!, y.value!.values[i]!));
      if (diff.length)
        out.push({
          kind: 'different',
          key: keyJson(x.value!.key),
          columns: diff,
          source: obj(from.columns, x.value!.values),
          target: obj(to.columns, y.value!.values),
        });
      x = await a.next();
      y = await b.next();
    }
  }
  await a.return(undefined);
  await b.return(undefined);
  return out;
}

function read(side: CompareSide, keyLogicals: (LogicalType | null)[]): Iterable<Row> | AsyncIterable<Row> {
  if (side.engine.dialect === 'sqlite') {
    const e = side.engine as SqliteEngine;
    return readSqliteRows(e.db, e.file, side.table, side.columns, { kind: 'primary-key', columns: side.key }, null);
  }
  const e = side.engine as PostgresEngine;
  const textKeys = keyLogicals.map((l) => l === null || l === 'text' || l === 'pgtext' || l === 'json');
  return (async function* () {
    for await (const batch of e.copyOut(byteOrderedSelectSql(side.table, e.schema, side.key, textKeys, side.columns))) yield* batch;
  })();
}

/** Rows in normal form; the key is read back from the (normalised) key columns among the values. */
async function* normalised(
  rows: Iterable<Row> | AsyncIterable<Row>,
  keyIdx: number[],
  logicals: (LogicalType | null)[],
  pgText: boolean,
): AsyncGenerator<{ key: Value[]; values: Value[] }> {
  const ns = logicals.map((l) => (l === null ? (v: Value) => v : normalizerFor(l, { pgText })));
  const width = keyIdx.length;
  for await (const row of rows as AsyncIterable<Row>) {
    const values = row.slice(width).map((v, i) => ns[i]!(v));
    yield { key: keyIdx.map((i) => values[i]!), values };
  }
}

const RANK = (v: Value) => (v === null ? 0 : typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean' ? 1 : typeof v === 'string' ? 2 : 3);

/** Orders keys as both engines sort them: numbers numerically, text and blobs byte by byte. */
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

function sameValue(a: Value, b: Value): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.compare(a, b) === 0;
  if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b) || a === b;
  return a === b;
}

function keyJson(key: Value[]): unknown {
  return key.length === 1 ? jsonSafe(key[0]!) : key.map(jsonSafe);
}
