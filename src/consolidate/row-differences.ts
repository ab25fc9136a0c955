import Database from 'better-sqlite3';
import { quoteSqliteIdent as q } from '../engines/sqlite/sqlite-tokens.js';
import { ChecksumAccumulator } from '../values/checksum.js';
import type { Value } from '../values/value.js';
import { formatKey } from './duplicate-keys.js';
import type { PlannedPiece, PlannedTable } from './plan-types.js';

/** One row that differs between the sources and the target. */
export interface RowDifference {
  kind: 'missing-in-target' | 'different' | 'extra-in-target';
  key: string;
  source?: string;
  sourceValues?: string[];
  targetValues?: string[];
}

const BATCH = 500;

/**
 * Finds the first rows that differ, by the table's first unique key: source rows missing from the
 * target or with other values, then target rows found in no source. Only run after the checksums
 * disagree, so its per-row work is not on the normal path.
 */
export function findRowDifferences(table: PlannedTable, targetFile: string, limit = 5): RowDifference[] {
  const key = table.keys[0];
  if (!key) return [];
  const cols = table.pieces[0]!.columns;
  const out: RowDifference[] = [];
  const target = new Database(targetFile, { readonly: true });
  target.defaultSafeIntegers(true);
  const sources = table.pieces.filter((p) => !p.rowFn).map((p) => ({ piece: p, db: openRo(p.sourcePath) }));
  try {
    const tKeyIdx = key.map((k) => cols.indexOf(k));
    const probeTarget = (n: number) =>
      target.prepare(`SELECT ${cols.map(q).join(', ')} FROM ${q(table.name)} WHERE ${tuple(key.map(q))} IN (${placeholders(n, key.length)})`).raw(true);
    for (const { piece, db } of sources) {
      const exprs = cols.map((c) => piece.exprs[piece.columns.indexOf(c)]!);
      const iter = db
        .prepare(`SELECT ${exprs.join(', ')} FROM ${q(piece.sourceTable)}`)
        .raw(true)
        .iterate() as IterableIterator<Value[]>;
      let batch: Value[][] = [];
      const flush = () => {
        if (!batch.length) return;
        const found = probeTarget(batch.length).all(batch.flatMap((r) => tKeyIdx.map((i) => r[i]))) as Value[][];
        const byKey = new Map(found.map((r) => [formatKey(tKeyIdx.map((i) => r[i])), r]));
        for (const r of batch) {
          const k = formatKey(tKeyIdx.map((i) => r[i]));
          const t = byKey.get(k);
          if (!t) out.push({ kind: 'missing-in-target', key: k, source: piece.source, sourceValues: r.map(show) });
          else if (rowDigest(t) !== rowDigest(r))
            out.push({ kind: 'different', key: k, source: piece.source, sourceValues: r.map(show), targetValues: t.map(show) });
          if (out.length >= limit) return;
        }
        batch = [];
      };
      for (const r of iter) {
        batch.push(r);
        if (batch.length >= BATCH) flush();
        if (out.length >= limit) {
          iter.return?.();
          return out;
        }
      }
      flush();
      if (out.length >= limit) return out;
    }
    // Rows in the target that no source has.
    const iter = target
      .prepare(`SELECT ${cols.map(q).join(', ')} FROM ${q(table.name)}`)
      .raw(true)
      .iterate() as IterableIterator<Value[]>;
    for (const r of iter) {
      const kv = tKeyIdx.map((i) => r[i]);
      const inSome = sources.some(({ piece, db }) => {
        const exprs = key.map((c) => piece.exprs[piece.columns.indexOf(c)]!);
        return db.prepare(`SELECT 1 FROM ${q(piece.sourceTable)} WHERE ${tuple(exprs)} IN (${placeholders(1, key.length)})`).get(kv) !== undefined;
      });
      if (!inSome) out.push({ kind: 'extra-in-target', key: formatKey(kv), targetValues: r.map(show) });
      if (out.length >= limit) {
        iter.return?.();
        break;
      }
    }
    return out;
  } finally {
    target.close();
    for (const s of sources) s.db.close();
  }
}

function openRo(file: string): Database.Database {
  const db = new Database(file, { readonly: true });
  db.defaultSafeIntegers(true);
  return db;
}

function tuple(exprs: string[]): string {
  return exprs.length === 1 ? exprs[0]! : `(${exprs.join(', ')})`;
}

function placeholders(n: number, width: number): string {
  if (width === 1) return Array(n).fill('?').join(', ');
  return `VALUES ${Array(n)
    .fill(`(${Array(width).fill('?').join(', ')})`)
    .join(', ')}`;
}

function rowDigest(r: Value[]): string {
  const acc = new ChecksumAccumulator();
  acc.addRow(r);
  return acc.digest();
}

/** A value as people read it, with its storage class visible. */
export function show(v: Value): string {
  if (v === null) return 'NULL';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isInteger(v) ? `${v}.0` : String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'boolean') return v ? '1' : '0';
  return `x'${Buffer.from(v).toString('hex')}'`;
}

export type { PlannedPiece };
