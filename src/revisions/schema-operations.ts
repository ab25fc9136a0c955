/**
 * `ctx.ops` for script revisions: each call builds an op (schema/operations.ts) and hands it to
 * the engine's schemaOps role to run. Nothing here knows SQL or which engine runs it, so adding an
 * engine means giving it that role.
 */
import type { AfterCommitStep, OnlineForm } from '../engine/revision-roles.js';
import type { Engine } from '../engine/types.js';
import { roleOf } from '../engines/registry.js';
import { FerryError } from '../errors.js';
import type { ConstraintRef, SchemaOp } from '../schema/operations.js';
import type { SchemaOperations } from './revision-types.js';

/** Options of createSchemaOperations. */
export interface SchemaOperationsOptions {
  /** Called with each op and the statements that ran for it (for logs, `--sql` records, reverses). */
  onOp?: (op: SchemaOp, statements: string[]) => void;
  /**
   * Inside a revision run: takes the steps that finish an op after the revision's transaction
   * commits. Given, ops take their lock-light forms on engines that have them; without it (a
   * library caller running ops directly), every op runs plainly, at once.
   */
  afterCommit?: (step: AfterCommitStep) => void;
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
  const role = roleOf(engine, 'schemaOps');
  const { afterCommit } = options;
  // Tables created by this revision: nobody else sees them before it commits, so their ops need no lock-light form.
  const created = new Set<string>();
  const runForm = async (op: SchemaOp, form: OnlineForm): Promise<void> => {
    for (const sql of form.now) await engine.exec(sql);
    form.after.forEach((step) => afterCommit!(step));
    options.onOp?.(op, form.now);
  };
  const run = async (op: SchemaOp): Promise<void> => {
    if (op.kind === 'createTable') created.add(op.table);
    const form = afterCommit && role.online && !('table' in op && created.has(op.table as string)) ? await role.online(engine, op) : undefined;
    if (form) return runForm(op, form);
    const statements = await runSchemaOp(engine, op);
    options.onOp?.(op, statements);
  };
  const twoPhase = (what: string) => {
    if (!afterCommit || !role.expand || !role.contract)
      throw new FerryError('USAGE', `ctx.ops.${what} runs inside \`ferry upgrade\` on PostgreSQL, where both app versions write at once.`, {
        subject: what,
        hint: 'On SQLite, rename or retype the column with renameColumn/alterColumn: its writers take turns on one database lock.',
      });
    return { expand: role.expand, contract: role.contract };
  };
  const expand = async (table: string, from: string, to: string, type?: { type: string; using?: (v: string) => string; reverse?: (v: string) => string }) => {
    const form = await twoPhase(type ? 'expandAlterType' : 'expandRenameColumn').expand(engine, {
      table,
      from,
      to,
      ...(type ? { type: type.type, convert: type.using, revert: type.reverse } : {}),
    });
    await runForm({ kind: 'addColumn', table, column: { name: to, type: type?.type ?? '(as ' + from + ')' } }, form);
  };
  return {
    expandRenameColumn: (table, from, to) => expand(table, from, to),
    expandAlterType: (table, column, o) => expand(table, column, o.to, o),
    contract: async (table, column, o = {}) =>
      runForm({ kind: 'dropColumn', table, column }, await twoPhase('contract').contract(engine, table, column, o.revert === true)),
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
