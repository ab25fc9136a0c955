/**
 * `ctx.ops` for script revisions: each call builds an op (operations.ts) and hands it to the
 * engine's own file to run. Nothing here knows SQL; dispatch on the dialect is the only engine
 * knowledge, so adding an engine means adding its `<engine>-operations.ts`.
 */
import type { Engine } from '../engine/types.js';
import { postgresOpSql } from '../engines/postgres/postgres-operations.js';
import type { SqliteEngine } from '../engines/sqlite/sqlite-engine.js';
import { runSqliteOp } from '../engines/sqlite/sqlite-operations.js';
import { FerryError } from '../errors.js';
import { describeOp, refersTo, type ConstraintRef, type SchemaOp } from '../schema/operations.js';
import type { SchemaOperations } from './revision-types.js';

/** Options of createSchemaOperations. */
export interface SchemaOperationsOptions {
  /** Called with each op and the statements that ran for it (for logs, `--sql` records, reverses). */
  onOp?: (op: SchemaOp, statements: string[]) => void;
}

/** A drop op's constraint: a name, columns, or `{ expression }`. */
function refOf(name: string | string[] | { expression: string }): ConstraintRef {
  if (typeof name === 'string') return { name };
  if (Array.isArray(name)) return { columns: name };
  return { expression: name.expression };
}

/**
 * PostgreSQL names every constraint, and its DROP needs the name: a constraint given by its
 * columns or expression is looked up in the live table.
 */
async function named(engine: Engine, op: SchemaOp): Promise<SchemaOp> {
  if (op.kind === 'setPrimaryKey' && op.replaces === undefined) {
    const name = (await tableOf(engine, op)).primaryKey?.name;
    return name ? { ...op, replaces: name } : op;
  }
  if ((op.kind !== 'dropForeignKey' && op.kind !== 'dropUnique' && op.kind !== 'dropCheck') || op.name !== undefined) return op;
  const table = await tableOf(engine, op);
  const list = op.kind === 'dropForeignKey' ? table.foreignKeys : op.kind === 'dropUnique' ? table.uniques : table.checks;
  const found = (list as { name?: string; columns?: string[]; expression?: string }[]).find((c) => refersTo(op, c));
  if (!found?.name)
    throw new FerryError('SCHEMA_FAILED', `${describeOp(op)}: ${op.table} has no such constraint.`, {
      subject: op.table,
      hint: 'Check the columns or expression, or drop the constraint by its name.',
    });
  return { ...op, name: found.name };
}

async function tableOf(engine: Engine, op: SchemaOp & { table: string }) {
  const table = (await engine.introspect()).tables.find((t) => t.name === op.table);
  if (!table) throw new FerryError('TABLE_MISSING', `${describeOp(op)}: there is no table ${op.table}.`, { subject: op.table });
  return table;
}

/** Runs one op on the engine and returns the statements that ran. */
export async function runSchemaOp(engine: Engine, op: SchemaOp): Promise<string[]> {
  switch (engine.dialect) {
    case 'postgres': {
      const statements = postgresOpSql(await named(engine, op));
      for (const sql of statements) await engine.exec(sql);
      return statements;
    }
    case 'sqlite':
      return runSqliteOp(engine as SqliteEngine, op).statements;
  }
  throw new FerryError('NOT_SUPPORTED', `${engine.dialect} databases do not support schema operations.`);
}

/** The SchemaOperations of revision-types.ts on `engine`; each call runs at once, in order. */
export function createSchemaOperations(engine: Engine, options: SchemaOperationsOptions = {}): SchemaOperations {
  const run = async (op: SchemaOp): Promise<void> => {
    const statements = await runSchemaOp(engine, op);
    options.onOp?.(op, statements);
  };
  return {
    createTable: (table, columns, o = {}) => run({ kind: 'createTable', table, columns, primaryKey: o.primaryKey, ifNotExists: o.ifNotExists }),
    dropTable: (table) => run({ kind: 'dropTable', table }),
    renameTable: (table, to) => run({ kind: 'renameTable', table, to }),
    addColumn: (table, column) => run({ kind: 'addColumn', table, column }),
    dropColumn: (table, column) => run({ kind: 'dropColumn', table, column }),
    renameColumn: (table, column, to) => run({ kind: 'renameColumn', table, column, to }),
    alterColumn: (table, column, change) => run({ kind: 'alterColumn', table, column, change }),
    createIndex: (table, name, columns, o = {}) => run({ kind: 'createIndex', table, name, columns, unique: o.unique, where: o.where }),
    dropIndex: (name, table) => run({ kind: 'dropIndex', name, table }),
    addForeignKey: (table, name, columns, refTable, refColumns, o = {}) =>
      run({ kind: 'addForeignKey', table, name, columns, refTable, refColumns, onDelete: o.onDelete, onUpdate: o.onUpdate }),
    dropForeignKey: (table, name) => run({ kind: 'dropForeignKey', table, ...refOf(name) }),
    addUnique: (table, name, columns) => run({ kind: 'addUnique', table, name, columns }),
    dropUnique: (table, name) => run({ kind: 'dropUnique', table, ...refOf(name) }),
    addCheck: (table, name, expression) => run({ kind: 'addCheck', table, name, expression }),
    dropCheck: (table, name) => run({ kind: 'dropCheck', table, ...refOf(name) }),
    setPrimaryKey: (table, columns, o = {}) => run({ kind: 'setPrimaryKey', table, columns, name: o.name }),
  };
}
