/**
 * `ctx.ops` for script revisions: each call builds an op (schema/operations.ts) and hands it to
 * the engine's schemaOps role to run. Nothing here knows SQL or which engine runs it, so adding an
 * engine means giving it that role.
 */
import type { Engine } from '../engine/types.js';
import { roleOf } from '../engines/registry.js';
import type { ConstraintRef, SchemaOp } from '../schema/operations.js';
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

/** Runs one op on the engine (its schemaOps role) and returns the statements that ran. */
export async function runSchemaOp(engine: Engine, op: SchemaOp): Promise<string[]> {
  return roleOf(engine, 'schemaOps').run(engine, op);
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
