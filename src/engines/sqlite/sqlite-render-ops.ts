/**
 * Schema operations rendered offline for a SQLite revision file (autogenerate): SQL when ALTER
 * TABLE can do it; an op that needs the 12-step table rebuild stays an op, because the rebuild's
 * statements depend on the live table when it runs (the revision then calls ctx.ops for it).
 */
import Database from 'better-sqlite3';
import type { Schema } from '../../schema/model.js';
import type { SchemaOp } from '../../schema/operations.js';
import { sqliteOpSteps } from './sqlite-operations.js';
import { quoteSqliteIdent as q } from './sqlite-tokens.js';

/** Each op as SQL text, or the op itself when it needs a rebuild; `before`/`after` are the schemas around the ops. */
export function renderSqliteOps(ops: SchemaOp[], before: Schema, after: Schema): (string | SchemaOp)[] {
  // sqliteOpSteps reads the live database only for dropTable and dropColumn, handled here first.
  const scratch = new Database(':memory:');
  try {
    return ops.map((op) => sqliteStep(scratch, op, before, after));
  } finally {
    scratch.close();
  }
}

/** The op's SQL on SQLite, or the op itself when it needs a rebuild. */
function sqliteStep(db: Database.Database, op: SchemaOp, before: Schema, after: Schema): string | SchemaOp {
  if (op.kind === 'createTable') {
    // The declared CREATE TABLE text keeps what the model cannot (AUTOINCREMENT, STRICT, COLLATE).
    const sql = after.tables.find((t) => t.name === op.table)?.sql;
    if (sql) return sql;
  }
  if (op.kind === 'dropTable') return `DROP TABLE ${q(op.table)}`;
  if (op.kind === 'dropColumn') return simpleDrop(before, op.table, op.column) ? `ALTER TABLE ${q(op.table)} DROP COLUMN ${q(op.column)}` : op;
  const steps = sqliteOpSteps(db, op);
  return steps.every((s) => s.kind === 'sql') ? steps.map((s) => (s.kind === 'sql' ? s.sql : '')).join(';\n') : op;
}

/**
 * Whether ALTER TABLE DROP COLUMN will do: SQLite refuses a column that is a key, in a
 * constraint, referenced, or named by a view or trigger (indexes on it are dropped earlier).
 */
function simpleDrop(s: Schema, table: string, column: string): boolean {
  const t = s.tables.find((x) => x.name === table);
  if (!t) return false;
  const word = new RegExp(`\\b${column.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`, 'i');
  if (t.primaryKey?.columns.includes(column)) return false;
  if (t.uniques.some((u) => u.columns.includes(column)) || t.foreignKeys.some((f) => f.columns.includes(column))) return false;
  if (t.checks.some((c) => word.test(c.expression))) return false;
  if (s.tables.some((o) => o.foreignKeys.some((f) => f.refTable === table && f.refColumns.includes(column)))) return false;
  return ![...s.views, ...s.triggers].some((v) => word.test(v.sql));
}
