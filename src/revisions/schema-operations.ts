/**
 * `ctx.ops` for script revisions: each call builds an op (operations.ts) and hands it to the
 * engine's own file to run. Nothing here knows SQL; dispatch on the dialect is the only engine
 * knowledge, so adding an engine means adding its `<engine>-operations.ts`.
 */
import type { Engine } from '../engine/types.js';
import { postgresOpSql } from '../engines/postgres/postgres-operations.js';
import type { SqliteEngine } from '../engines/sqlite/sqlite-engine.js';
import { runSqliteOp } from '../engines/sqlite/sqlite-operations.js';
import type { SchemaOp } from './operations.js';
import type { SchemaOperations } from './revision-types.js';

/** Options of createSchemaOperations. */
export interface SchemaOperationsOptions {
  /** Called with each op and the statements that ran for it (for logs, `--sql` records, reverses). */
  onOp?: (op: SchemaOp, statements: string[]) => void;
}

/** Runs one op on the engine and returns the statements that ran. */
export async function runSchemaOp(engine: Engine, op: SchemaOp): Promise<string[]> {
  switch (engine.dialect) {
    case 'postgres': {
      const statements = postgresOpSql(op);
      for (const sql of statements) await engine.exec(sql);
      return statements;
    }
    case 'sqlite':
      return runSqliteOp(engine as SqliteEngine, op).statements;
  }
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
    addForeignKey: (table, name, columns, refTable, refColumns, o = {}) => run({ kind: 'addForeignKey', table, name, columns, refTable, refColumns, onDelete: o.onDelete, onUpdate: o.onUpdate }),
    dropForeignKey: (table, name) => run({ kind: 'dropForeignKey', table, name }),
    addUnique: (table, name, columns) => run({ kind: 'addUnique', table, name, columns }),
    dropUnique: (table, name) => run({ kind: 'dropUnique', table, name }),
    addCheck: (table, name, expression) => run({ kind: 'addCheck', table, name, expression }),
    dropCheck: (table, name) => run({ kind: 'dropCheck', table, name }),
  };
}
