import type Database from 'better-sqlite3';
import type { Row, Value } from '../../values/value.js';
import type { ChunkKey } from '../../engine/table-plan.js';
import { sqliteError } from './sqlite-errors.js';
import { quoteSqliteIdent } from './sqlite-tokens.js';

/** The name that reaches a table's rowid, avoiding a user column that shadows `rowid`. */
function rowidName(columns: string[]): string {
  const taken = new Set(columns.map((c) => c.toLowerCase()));
  return ['rowid', '_rowid_', 'oid'].find((n) => !taken.has(n)) ?? 'rowid';
}

/** How many leading values of each row read by `readSqliteRows` are the key. */
export function keyWidth(key: ChunkKey): number {
  return key.kind === 'rowid' ? 1 : key.kind === 'primary-key' ? key.columns.length : 0;
}

/**
 * The rows of a table in key order, after `after` when given (a resumed copy continues there), up to
 * and including `upTo` when given. Each row is the key values followed by the columns asked for;
 * keyset paging (`WHERE key > ?`) instead of OFFSET so resuming costs nothing.
 */
export function readSqliteRows(
  db: Database.Database,
  file: string,
  table: string,
  columns: string[],
  key: ChunkKey,
  after: Value[] | null,
  upTo?: Value[] | null,
): IterableIterator<Row> {
  const q = quoteSqliteIdent;
  const keyCols = key.kind === 'rowid' ? [rowidName(columns)] : key.kind === 'primary-key' ? key.columns.map(q) : [];
  const select = [...keyCols, ...columns.map(q)].join(', ') || 'NULL';
  const where: string[] = [];
  const params: unknown[] = [];
  const tuple = keyCols.length > 1 ? `(${keyCols.join(', ')})` : keyCols[0];
  const marks = (n: number) => (n > 1 ? `(${Array(n).fill('?').join(', ')})` : '?');
  if (after && keyCols.length) {
    where.push(`${tuple} > ${marks(keyCols.length)}`);
    params.push(...after);
  }
  if (upTo && keyCols.length) {
    where.push(`${tuple} <= ${marks(keyCols.length)}`);
    params.push(...upTo);
  }
  const sql =
    `SELECT ${select} FROM ${q(table)}` + (where.length ? ` WHERE ${where.join(' AND ')}` : '') + (keyCols.length ? ` ORDER BY ${keyCols.join(', ')}` : '');
  try {
    return db
      .prepare(sql)
      .raw(true)
      .iterate(...params) as IterableIterator<Row>;
  } catch (e) {
    throw sqliteError(e, file, `reading table "${table}" of`);
  }
}
