/**
 * SQLite DDL for `ferry copy` into SQLite (the rollback path). SQLite cannot add keys, foreign keys
 * or checks to an existing table, so they are declared inline in CREATE TABLE; only indexes are
 * built after the load.
 */
import type { ColumnPlan, TablePlan } from '../../engine/table-plan.js';
import { quoteSqliteIdent as q } from './sqlite-tokens.js';

/** One column definition. A single identity column becomes the rowid alias `INTEGER PRIMARY KEY`. */
export function sqliteColumnSql(c: ColumnPlan, autoincrement: boolean): string {
  if (c.identity) return `${q(c.target)} INTEGER PRIMARY KEY${autoincrement ? ' AUTOINCREMENT' : ''}`;
  let sql = `${q(c.target)} ${c.targetType}`;
  if (!c.nullable) sql += ' NOT NULL';
  if (c.default !== null) sql += ` DEFAULT ${wrapDefault(c.default)}`;
  return sql;
}

/** SQLite accepts any expression as a default only when parenthesised; literals may stay bare. */
function wrapDefault(expr: string): string {
  if (/^(-?\d+(\.\d+)?(e[+-]?\d+)?|'(?:[^']|'')*'|X'[0-9a-f]*'|NULL|CURRENT_TIMESTAMP|CURRENT_DATE|CURRENT_TIME)$/i.test(expr)) return expr;
  return expr.startsWith('(') && expr.endsWith(')') ? expr : `(${expr})`;
}

/**
 * The full CREATE TABLE: columns, then PRIMARY KEY (unless a rowid alias carries it), UNIQUE,
 * FOREIGN KEY and CHECK clauses, each with its constraint name. `autoincrement` adds
 * AUTOINCREMENT to the identity column (when the source had a sequence).
 */
export function sqliteCreateTableSql(plan: TablePlan, autoincrement = true): string {
  const parts = plan.columns.map((c) => sqliteColumnSql(c, autoincrement));
  const hasIdentity = plan.columns.some((c) => c.identity);
  if (plan.primaryKey && !hasIdentity) parts.push(`CONSTRAINT ${q(plan.primaryKey.name)} PRIMARY KEY (${cols(plan.primaryKey.columns)})`);
  for (const u of plan.uniques) parts.push(`CONSTRAINT ${q(u.name)} UNIQUE (${cols(u.columns)})`);
  for (const fk of plan.foreignKeys) {
    parts.push(
      `CONSTRAINT ${q(fk.name)} FOREIGN KEY (${cols(fk.columns)}) REFERENCES ${q(fk.refTable)} (${cols(fk.refColumns)}) ON DELETE ${fk.onDelete} ON UPDATE ${fk.onUpdate}`,
    );
  }
  for (const c of plan.checks) parts.push(`CONSTRAINT ${q(c.name)} CHECK (${c.expression})`);
  return `CREATE TABLE ${q(plan.target)} (\n  ${parts.join(',\n  ')}\n)`;
}

/** A CREATE [UNIQUE] INDEX from translated key parts and an optional translated WHERE. */
export function sqliteCreateIndexSql(table: string, name: string, unique: boolean, keys: string[], where?: string): string {
  return `CREATE ${unique ? 'UNIQUE ' : ''}INDEX ${q(name)} ON ${q(table)} (${keys.join(', ')})${where ? ` WHERE ${where}` : ''}`;
}

/** Seeds sqlite_sequence so an AUTOINCREMENT table continues after `floor` (run after the load). */
export function sqliteSeedSequenceSql(plan: TablePlan): string | null {
  if (plan.sequenceFloor === undefined || !plan.columns.some((c) => c.identity)) return null;
  const name = `'${plan.target.replaceAll("'", "''")}'`;
  const floor = plan.sequenceFloor.toString();
  // sqlite_sequence has no unique key on name: update the row the load created, or insert one.
  return (
    `UPDATE sqlite_sequence SET seq = max(seq, ${floor}) WHERE name = ${name};\n` +
    `INSERT INTO sqlite_sequence (name, seq) SELECT ${name}, ${floor} WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = ${name})`
  );
}

function cols(columns: string[]): string {
  return columns.map(q).join(', ');
}
