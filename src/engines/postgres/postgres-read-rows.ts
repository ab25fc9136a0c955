import type { Value } from '../../values/value.js';
import type { ChunkKey } from '../../engine/table-plan.js';
import { quoteIdent, quoteTable } from './postgres-quote.js';

/** A value as an SQL literal; untyped so PostgreSQL casts it to the key column's type. */
export function sqlLiteral(v: Value): string {
  if (v === null) return 'NULL';
  if (typeof v === 'bigint' || typeof v === 'number') return `'${String(v)}'`;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof Uint8Array) return `'\\x${Buffer.from(v).toString('hex')}'`;
  // E'' so a backslash means the same whatever standard_conforming_strings says.
  return /\\/.test(v) ? `E'${v.replace(/\\/g, '\\\\').replace(/'/g, "''")}'` : `'${v.replace(/'/g, "''")}'`;
}

/**
 * The SELECT a copy reads a PostgreSQL table with: key columns first, then the columns asked for, in
 * key order, after `after` and up to `upTo` when given (keyset paging, so a resumed copy starts at
 * its last committed key without scanning what came before).
 */
export function keysetSelectSql(table: string, schema: string, columns: string[], key: ChunkKey, after: Value[] | null, upTo?: Value[] | null): string {
  const keyCols = key.kind === 'primary-key' ? key.columns.map(quoteIdent) : [];
  const select = [...keyCols, ...columns.map(quoteIdent)].join(', ') || 'NULL';
  const tuple = keyCols.length > 1 ? `ROW(${keyCols.join(', ')})` : keyCols[0];
  const values = (vs: Value[]) => (vs.length > 1 ? `ROW(${vs.map(sqlLiteral).join(', ')})` : sqlLiteral(vs[0]!));
  const where: string[] = [];
  if (after && keyCols.length) where.push(`${tuple} > ${values(after)}`);
  if (upTo && keyCols.length) where.push(`${tuple} <= ${values(upTo)}`);
  return (
    `SELECT ${select} FROM ${quoteTable(table, schema)}` +
    (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
    (keyCols.length ? ` ORDER BY ${keyCols.join(', ')}` : '')
  );
}

/**
 * A SELECT of key columns then other columns, ordered by the key with text compared byte by byte
 * (`COLLATE "C"`), which is the order SQLite's BINARY collation gives UTF-8 text: verify walks
 * both engines' rows side by side in that one order.
 */
export function byteOrderedSelectSql(table: string, schema: string, keyColumns: string[], textKeys: boolean[], columns: string[]): string {
  const order = keyColumns.map((k, i) => `${quoteIdent(k)}${textKeys[i] ? ' COLLATE "C"' : ''}`).join(', ');
  return `SELECT ${[...keyColumns, ...columns].map(quoteIdent).join(', ')} FROM ${quoteTable(table, schema)} ORDER BY ${order}`;
}
