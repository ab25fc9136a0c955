/**
 * PostgreSQL SQL for schema operations (src/schema/operations.ts). PostgreSQL's ALTER TABLE
 * can do every op directly and all of it is transactional, so each op is one or two statements.
 *
 * These statements are meant for a revision's own transaction. The lock-light path for a busy
 * live database (CREATE INDEX CONCURRENTLY, VALIDATE in a separate transaction, unique constraints
 * USING INDEX, NOT NULL through a validated CHECK, lock_timeout with retries) is for later: it
 * needs statements outside a transaction, which a revision opts into with `ferry:no-transaction`.
 */
import { FerryError } from '../../errors.js';
import { describeOp, fkAction, type OpOf, type SchemaOp } from '../../schema/operations.js';
import type { ColumnSpec } from '../../schema/operations.js';
import { quoteIdent as q, quoteTable as t } from './postgres-quote.js';

/** The statements that perform `op` on PostgreSQL, in order. */
export function postgresOpSql(op: SchemaOp): string[] {
  switch (op.kind) {
    case 'createTable':
      return [createTableSql(op)];
    case 'dropTable':
      return [`DROP TABLE ${t(op.table)}`];
    case 'renameTable':
      return [`ALTER TABLE ${t(op.table)} RENAME TO ${q(op.to)}`];
    case 'addColumn':
      return [`ALTER TABLE ${t(op.table)} ADD COLUMN ${postgresColumnSql(op.column)}`];
    case 'dropColumn':
      return [`ALTER TABLE ${t(op.table)} DROP COLUMN ${q(op.column)}`];
    case 'renameColumn':
      return [`ALTER TABLE ${t(op.table)} RENAME COLUMN ${q(op.column)} TO ${q(op.to)}`];
    case 'alterColumn':
      return alterColumnSql(op);
    case 'createIndex': {
      if (op.sql) return [op.sql];
      // Plain CREATE INDEX blocks writes while it builds; CONCURRENTLY cannot run in a transaction.
      const where = op.where ? ` WHERE ${op.where}` : '';
      return [`CREATE ${op.unique ? 'UNIQUE ' : ''}INDEX ${q(op.name)} ON ${t(op.table)} (${list(op.columns)})${where}`];
    }
    // Index names are per schema, so the schema qualifies the index, not the table.
    case 'dropIndex':
      return [`DROP INDEX ${t(op.name)}`];
    case 'addForeignKey':
      return addValidated(op.table, op.name, `FOREIGN KEY (${list(op.columns)}) ${referencesSql(op.refTable, op.refColumns, op.onDelete, op.onUpdate)}`);
    case 'addUnique':
      return [`ALTER TABLE ${t(op.table)} ADD CONSTRAINT ${q(op.name)} UNIQUE (${list(op.columns)})`];
    case 'addCheck':
      return addValidated(op.table, op.name, `CHECK (${op.expression})`);
    case 'setPrimaryKey': {
      // IF EXISTS: dropping a column of the old key (earlier in the same revision) drops the key too.
      const out = op.replaces ? [`ALTER TABLE ${t(op.table)} DROP CONSTRAINT IF EXISTS ${q(op.replaces)}`] : [];
      if (op.columns.length) out.push(`ALTER TABLE ${t(op.table)} ADD CONSTRAINT ${q(op.name ?? `${op.table}_pkey`)} PRIMARY KEY (${list(op.columns)})`);
      return out;
    }
    case 'createView':
    case 'createTrigger':
      return [op.sql];
    case 'dropView':
      return [`DROP ${op.materialized ? 'MATERIALIZED ' : ''}VIEW ${t(op.name)}`];
    case 'dropTrigger':
      return [`DROP TRIGGER ${q(op.name)} ON ${t(op.table)}`];
    case 'dropForeignKey':
    case 'dropUnique':
    case 'dropCheck':
      // PostgreSQL names every constraint; schema-operations.ts finds the name of one given by
      // its columns or expression before it gets here.
      if (op.name === undefined) throw new FerryError('USAGE', `${describeOp(op)}: PostgreSQL drops a constraint by its name.`);
      return [`ALTER TABLE ${t(op.table)} DROP CONSTRAINT ${q(op.name)}`];
  }
}

/** One column definition: name, type, NOT NULL, DEFAULT, PRIMARY KEY, UNIQUE, REFERENCES. */
export function postgresColumnSql(c: ColumnSpec): string {
  let sql = `${q(c.name)} ${c.type}`;
  if (c.nullable === false && !c.primaryKey) sql += ' NOT NULL';
  if (c.default !== undefined) sql += ` DEFAULT ${c.default}`;
  if (c.primaryKey) sql += ' PRIMARY KEY';
  if (c.unique) sql += ' UNIQUE';
  if (c.references) sql += ` ${referencesSql(c.references.table, [c.references.column], c.references.onDelete, c.references.onUpdate)}`;
  return sql;
}

function createTableSql(op: OpOf<'createTable'>): string {
  const parts = op.columns.map(postgresColumnSql);
  if (op.primaryKey?.length) parts.push(`${named(op.primaryKeyName)}PRIMARY KEY (${list(op.primaryKey)})`);
  for (const u of op.uniques ?? []) parts.push(`${named(u.name)}UNIQUE (${list(u.columns)})`);
  for (const f of op.foreignKeys ?? [])
    parts.push(`${named(f.name)}FOREIGN KEY (${list(f.columns)}) ${referencesSql(f.refTable, f.refColumns, f.onDelete, f.onUpdate)}`);
  for (const c of op.checks ?? []) parts.push(`${named(c.name)}CHECK (${c.expression})`);
  return `CREATE TABLE ${op.ifNotExists ? 'IF NOT EXISTS ' : ''}${t(op.table)} (\n  ${parts.join(',\n  ')}\n)`;
}

/**
 * One ALTER TABLE with one action per changed property. The type change carries USING so casts
 * PostgreSQL will not do implicitly (text to integer) still work; PostgreSQL orders the actions
 * itself (default dropped, type changed, default set), so the old default never blocks the cast.
 */
function alterColumnSql(op: OpOf<'alterColumn'>): string[] {
  const c = q(op.column);
  const actions: string[] = [];
  const ch = op.change;
  if (ch.type !== undefined) actions.push(`ALTER COLUMN ${c} TYPE ${ch.type} USING ${c}::${ch.type}`);
  if (ch.nullable !== undefined) actions.push(`ALTER COLUMN ${c} ${ch.nullable ? 'DROP' : 'SET'} NOT NULL`);
  if (ch.default !== undefined) actions.push(ch.default === null ? `ALTER COLUMN ${c} DROP DEFAULT` : `ALTER COLUMN ${c} SET DEFAULT ${ch.default}`);
  if (actions.length === 0) return [];
  return [`ALTER TABLE ${t(op.table)} ${actions.join(', ')}`];
}

/**
 * Adds a constraint NOT VALID, then validates it. Inside one transaction this takes the same
 * locks as a plain ADD; it is written this way so the lock-light path only has to move the
 * VALIDATE into its own transaction.
 */
function addValidated(table: string, name: string, body: string): string[] {
  return [`ALTER TABLE ${t(table)} ADD CONSTRAINT ${q(name)} ${body} NOT VALID`, `ALTER TABLE ${t(table)} VALIDATE CONSTRAINT ${q(name)}`];
}

function referencesSql(table: string, columns: string[], onDelete?: string, onUpdate?: string): string {
  const del = fkAction(onDelete);
  const upd = fkAction(onUpdate);
  return `REFERENCES ${t(table)} (${list(columns)})${del ? ` ON DELETE ${del}` : ''}${upd ? ` ON UPDATE ${upd}` : ''}`;
}

function named(name: string | undefined): string {
  return name ? `CONSTRAINT ${q(name)} ` : '';
}

function list(columns: string[]): string {
  return columns.map(q).join(', ');
}
