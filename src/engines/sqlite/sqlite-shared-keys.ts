import type { Engine } from '../../engine/types.js';
import type { KeySide, SharedKeys } from '../../engine/consolidation-role.js';
import { formatKey } from '../../values/key-text.js';
import type { SqliteEngine } from './sqlite-engine.js';
import { sqliteError } from './sqlite-errors.js';
import { quoteSqliteIdent } from './sqlite-tokens.js';

const PROBE_BATCH = 400;

/**
 * Counts keys of `b` also found in `a` (for the dry-run). Keys of `b` are streamed and probed in
 * `a` in batches with `IN (...)`, which uses the key's index; both files stay read-only and
 * nothing is attached.
 */
export function countSharedKeys(a: KeySide, b: KeySide, wholeRow: boolean, subject: string): SharedKeys {
  try {
    return countShared(sqliteOf(a.db), a.table, a.exprs, sqliteOf(b.db), b.table, b.exprs, wholeRow);
  } catch (e) {
    throw sqliteError(e, subject, 'comparing keys of');
  }
}

function sqliteOf(db: Engine): SqliteEngine {
  return db as SqliteEngine;
}

/**
 * A key with a NULL never collides with a unique key, so such rows are skipped. A whole row is
 * different: onConflict skip drops a row equal to one already there, NULLs included, so rows
 * with NULLs are probed one by one with `IS` (SQLite's NULL-safe equality).
 */
function countShared(ea: SqliteEngine, ta: string, exprA: string[], eb: SqliteEngine, tb: string, exprB: string[], wholeRow: boolean): SharedKeys {
  const read = eb.db
    .prepare(`SELECT ${exprB.join(', ')} FROM ${quoteSqliteIdent(tb)}${wholeRow ? '' : ` WHERE ${exprB.map((e) => `${e} IS NOT NULL`).join(' AND ')}`}`)
    .raw(true);
  const nullSafe = wholeRow
    ? ea.db.prepare(`SELECT ${exprA.join(', ')} FROM ${quoteSqliteIdent(ta)} WHERE ${exprA.map((e) => `${e} IS ?`).join(' AND ')}`).raw(true)
    : null;
  const width = exprA.length;
  const probes = new Map<number, ReturnType<typeof ea.db.prepare>>();
  const probe = (n: number) => {
    let st = probes.get(n);
    if (!st) {
      const lhs = width === 1 ? exprA[0]! : `(${exprA.join(', ')})`;
      const rhs =
        width === 1
          ? Array(n).fill('?').join(', ')
          : `VALUES ${Array(n)
              .fill(`(${Array(width).fill('?').join(', ')})`)
              .join(', ')}`;
      st = ea.db.prepare(`SELECT ${exprA.join(', ')} FROM ${quoteSqliteIdent(ta)} WHERE ${lhs} IN (${rhs})`).raw(true);
      probes.set(n, st);
    }
    return st;
  };
  let count = 0;
  const examples: string[] = [];
  let batch: unknown[][] = [];
  const flush = () => {
    if (!batch.length) return;
    const rows = probe(batch.length).all(batch.flat()) as unknown[][];
    count += rows.length;
    for (const r of rows) if (examples.length < 5) examples.push(formatKey(r));
    batch = [];
  };
  for (const row of read.iterate() as IterableIterator<unknown[]>) {
    if (nullSafe && row.some((v) => v === null)) {
      const rows = nullSafe.all(row) as unknown[][];
      count += rows.length;
      for (const r of rows) if (examples.length < 5) examples.push(formatKey(r));
      continue;
    }
    batch.push(row);
    if (batch.length >= PROBE_BATCH) flush();
  }
  flush();
  return { count, examples };
}
