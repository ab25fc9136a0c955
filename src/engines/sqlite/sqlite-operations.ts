/**
 * SQLite for schema operations (src/schema/operations.ts). SQLite's ALTER TABLE can rename a
 * table or column, add a plain column and drop an unentangled one; everything else (a type,
 * NOT NULL or default change, constraints added or dropped, a column used by an index, key,
 * constraint or view) goes through the 12-step table rebuild in sqlite-table-rebuild.ts.
 */
import type Database from 'better-sqlite3';
import { FerryError } from '../../errors.js';
import { fkAction, type OpOf, type SchemaOp } from '../../schema/operations.js';
import type { ColumnSpec } from '../../schema/operations.js';
import type { Table } from '../../schema/model.js';
import { identifiersIn, parseCreateTable } from './sqlite-ddl-rewrite.js';
import type { SqliteEngine } from './sqlite-engine.js';
import { columnConstraintKeywords, namedConstraints, sqliteDefault, type TableChange } from './sqlite-table-definition.js';
import { rebuildTable } from './sqlite-table-rebuild.js';
import { identName, joinSql, quoteSqliteIdent as q, tokenize } from './sqlite-tokens.js';

/** One step of an op on SQLite: a statement run as is, or a table rebuild. */
export type SqliteStep = { kind: 'sql'; sql: string } | { kind: 'rebuild'; table: string; change: TableChange };

/** How an op ran: the statements, in order (a rebuild's included). */
export interface SqliteOpResult {
  statements: string[];
  /** Indexes and constraints a rebuild left out because they used a dropped column. */
  dropped: string[];
}

/**
 * The steps that perform `op` on this database. Reads the live schema, because whether ALTER
 * TABLE can do it directly depends on what uses the column; so plan each op right before it runs.
 */
export function sqliteOpSteps(db: Database.Database, op: SchemaOp): SqliteStep[] {
  const sql = (s: string): SqliteStep => ({ kind: 'sql', sql: s });
  const rebuild = (table: string, change: TableChange): SqliteStep => ({ kind: 'rebuild', table, change });
  switch (op.kind) {
    case 'createTable':
      return [sql(createTableSql(op))];
    case 'dropTable':
      refuseIfReferenced(db, op.table);
      return [sql(`DROP TABLE ${q(op.table)}`)];
    case 'renameTable':
      return [sql(`ALTER TABLE ${q(op.table)} RENAME TO ${q(op.to)}`)];
    case 'renameColumn':
      return [sql(`ALTER TABLE ${q(op.table)} RENAME COLUMN ${q(op.column)} TO ${q(op.to)}`)];
    case 'addColumn':
      return canAddDirectly(op.column)
        ? [sql(`ALTER TABLE ${q(op.table)} ADD COLUMN ${sqliteColumnSpecSql(op.column)}`)]
        : [rebuild(op.table, { addColumns: [sqliteColumnSpecSql(op.column)] })];
    case 'dropColumn':
      return canDropDirectly(db, op.table, op.column)
        ? [sql(`ALTER TABLE ${q(op.table)} DROP COLUMN ${q(op.column)}`)]
        : [rebuild(op.table, { dropColumns: [op.column] })];
    case 'alterColumn':
      return [rebuild(op.table, { alterColumns: [{ column: op.column, change: op.change }] })];
    case 'createIndex': {
      if (op.sql) return [sql(op.sql)];
      const where = op.where ? ` WHERE ${op.where}` : '';
      return [sql(`CREATE ${op.unique ? 'UNIQUE ' : ''}INDEX ${q(op.name)} ON ${q(op.table)} (${list(op.columns)})${where}`)];
    }
    case 'dropIndex':
      return [sql(`DROP INDEX ${q(op.name)}`)];
    case 'setPrimaryKey':
      return [rebuild(op.table, { primaryKey: { columns: op.columns, name: op.name } })];
    case 'createView':
    case 'createTrigger':
      return [sql(op.sql)];
    case 'dropView':
      return [sql(`DROP VIEW ${q(op.name)}`)];
    case 'dropTrigger':
      return [sql(`DROP TRIGGER ${q(op.name)}`)];
    case 'addForeignKey':
      return [
        rebuild(op.table, {
          addConstraints: [`CONSTRAINT ${q(op.name)} FOREIGN KEY (${list(op.columns)}) ${referencesSql(op.refTable, op.refColumns, op.onDelete, op.onUpdate)}`],
        }),
      ];
    case 'addUnique':
      return [rebuild(op.table, { addConstraints: [`CONSTRAINT ${q(op.name)} UNIQUE (${list(op.columns)})`] })];
    case 'addCheck':
      return [rebuild(op.table, { addConstraints: [`CONSTRAINT ${q(op.name)} CHECK (${op.expression})`] })];
    case 'dropForeignKey':
    case 'dropUnique':
    case 'dropCheck': {
      if (op.name !== undefined) return [rebuild(op.table, { dropConstraints: [op.name] })];
      // A constraint written without CONSTRAINT <name> is found by what it is.
      const kind = op.kind === 'dropForeignKey' ? 'foreignKey' : op.kind === 'dropUnique' ? 'unique' : 'check';
      return [rebuild(op.table, { dropMatching: [{ kind, columns: op.columns, expression: op.expression }] })];
    }
  }
}

/**
 * Performs `op` on the engine's connection. A rebuild runs inside the caller's transaction when
 * one is open (foreign keys must then be off already: withForeignKeysOff), else in its own.
 */
export function runSqliteOp(engine: SqliteEngine, op: SchemaOp): SqliteOpResult {
  const result: SqliteOpResult = { statements: [], dropped: [] };
  for (const step of sqliteOpSteps(engine.db, op)) {
    if (step.kind === 'sql') {
      engine.run('changing the schema of', () => engine.db.exec(step.sql));
      result.statements.push(step.sql);
    } else {
      const plan = rebuildTable(engine.db, step.table, step.change, { inTransaction: engine.db.inTransaction });
      result.statements.push(...plan.statements);
      result.dropped.push(...plan.dropped);
    }
  }
  return result;
}

/** A column definition for SQLite; an INTEGER PRIMARY KEY column becomes the rowid alias. */
export function sqliteColumnSpecSql(c: ColumnSpec): string {
  const parts = [`${q(c.name)} ${c.type}`];
  if (c.primaryKey) parts.push('PRIMARY KEY');
  if (c.nullable === false && !c.primaryKey) parts.push('NOT NULL');
  if (c.default !== undefined) parts.push(`DEFAULT ${sqliteDefault(c.default)}`);
  if (c.unique) parts.push('UNIQUE');
  if (c.references) parts.push(referencesSql(c.references.table, [c.references.column], c.references.onDelete, c.references.onUpdate));
  return parts.join(' ');
}

/**
 * Fills in the names of foreign key, unique and primary key constraints from the table's CREATE
 * TABLE text (PRAGMA foreign_key_list and index_list do not report them), so reverseOp can find
 * a constraint by name in an introspected SQLite table.
 */
export function nameSqliteConstraints(table: Table): Table {
  if (!table.sql) return table;
  const named = namedConstraints(table.sql);
  const same = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x.toLowerCase() === b[i]!.toLowerCase());
  const nameOf = (keywords: string[], columns: string[]) => named.find((n) => keywords.includes(n.keyword) && same(n.columns, columns))?.name;
  return {
    ...table,
    primaryKey: table.primaryKey && { ...table.primaryKey, name: table.primaryKey.name ?? nameOf(['PRIMARY'], table.primaryKey.columns) },
    uniques: table.uniques.map((u) => ({ ...u, name: u.name ?? nameOf(['UNIQUE'], u.columns) })),
    foreignKeys: table.foreignKeys.map((f) => ({ ...f, name: f.name ?? nameOf(['FOREIGN', 'REFERENCES'], f.columns) })),
  };
}

function createTableSql(op: OpOf<'createTable'>): string {
  const parts = op.columns.map(sqliteColumnSpecSql);
  const named = (n?: string) => (n ? `CONSTRAINT ${q(n)} ` : '');
  if (op.primaryKey?.length) parts.push(`${named(op.primaryKeyName)}PRIMARY KEY (${list(op.primaryKey)})`);
  for (const u of op.uniques ?? []) parts.push(`${named(u.name)}UNIQUE (${list(u.columns)})`);
  for (const f of op.foreignKeys ?? [])
    parts.push(`${named(f.name)}FOREIGN KEY (${list(f.columns)}) ${referencesSql(f.refTable, f.refColumns, f.onDelete, f.onUpdate)}`);
  for (const c of op.checks ?? []) parts.push(`${named(c.name)}CHECK (${c.expression})`);
  return `CREATE TABLE ${op.ifNotExists ? 'IF NOT EXISTS ' : ''}${q(op.table)} (\n  ${joinSql(parts, ',\n  ')}\n)`;
}

/**
 * ALTER TABLE ADD COLUMN refuses PRIMARY KEY and UNIQUE columns, a non-constant default
 * (CURRENT_TIMESTAMP or an expression), NOT NULL without a non-NULL default, and (with foreign
 * keys on) REFERENCES with a non-NULL default; those take a rebuild.
 */
function canAddDirectly(c: ColumnSpec): boolean {
  if (c.primaryKey || c.unique) return false;
  const d = c.default?.trim();
  const isNull = d === undefined || /^NULL$/i.test(d);
  if (d !== undefined && (d.startsWith('(') || /^CURRENT_(TIMESTAMP|DATE|TIME)$/i.test(d) || sqliteDefault(d) !== d)) return false;
  if (c.nullable === false && isNull) return false;
  if (c.references && !isNull) return false;
  return true;
}

/**
 * ALTER TABLE DROP COLUMN fails when the column is a key, UNIQUE, in a foreign key, used by
 * another column or a table constraint, indexed, or named by a trigger or view; it also cannot
 * notice child tables whose foreign keys point at the column. All of those take the rebuild,
 * which copes with them or stops with a clear error (and checks the foreign keys).
 */
function canDropDirectly(db: Database.Database, table: string, column: string): boolean {
  const row = db.prepare(`SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ? COLLATE NOCASE`).get(table) as { sql: string } | undefined;
  if (!row) throw new FerryError('TABLE_MISSING', `There is no table ${table}.`, { subject: table });
  const col = column.toLowerCase();
  const parts = parseCreateTable(row.sql).parts;
  const own = parts.find((p) => p.kind === 'column' && p.name!.toLowerCase() === col);
  if (!own) throw new FerryError('COLUMN_MISSING', `Table ${table} has no column ${column}.`, { subject: `${table}.${column}` });
  if (columnConstraintKeywords(own).some((k) => k === 'PRIMARY' || k === 'UNIQUE' || k === 'REFERENCES')) return false;
  if (parts.some((p) => p !== own && identifiersIn(p).has(col))) return false;
  const others = db.prepare(`SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL AND (type IN ('index', 'trigger', 'view'))`).pluck().all() as string[];
  const tableName = table.toLowerCase();
  for (const sql of others) {
    const ids = new Set(
      tokenize(sql)
        .filter((t) => t.kind === 'word' || t.kind === 'ident')
        .map((t) => identName(t).toLowerCase()),
    );
    if (ids.has(col) && ids.has(tableName)) return false;
  }
  const children = db
    .prepare(
      `SELECT count(*) FROM sqlite_schema m, pragma_foreign_key_list(m.name) f WHERE m.type = 'table' AND lower(f."table") = lower(?) AND (f."to" IS NULL OR lower(f."to") = ?)`,
    )
    .pluck()
    .get(table, col) as bigint;
  return children === 0n;
}

/**
 * DROP TABLE with foreign keys on deletes every row first, firing ON DELETE CASCADE into child
 * tables (and with them off, leaves the children dangling). PostgreSQL refuses; so does ferry.
 */
function refuseIfReferenced(db: Database.Database, table: string): void {
  const children = db
    .prepare(
      `SELECT DISTINCT m.name FROM sqlite_schema m, pragma_foreign_key_list(m.name) f WHERE m.type = 'table' AND lower(f."table") = lower(?) AND lower(m.name) <> lower(?)`,
    )
    .pluck()
    .all(table, table) as string[];
  if (children.length) {
    throw new FerryError(
      'SCHEMA_FAILED',
      `Cannot drop table ${table}: the foreign keys of ${children.join(', ')} refer to it, and dropping it would delete or orphan their rows.`,
      {
        subject: table,
        hint: `Drop those foreign keys (or tables) first, in the same revision.`,
      },
    );
  }
}

function referencesSql(table: string, columns: string[], onDelete?: string, onUpdate?: string): string {
  const del = fkAction(onDelete);
  const upd = fkAction(onUpdate);
  return `REFERENCES ${q(table)} (${list(columns)})${del ? ` ON DELETE ${del}` : ''}${upd ? ` ON UPDATE ${upd}` : ''}`;
}

function list(columns: string[]): string {
  return columns.map(q).join(', ');
}
