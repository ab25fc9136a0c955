/**
 * Schema operations run on a live PostgreSQL database (ctx.ops): the op's statements from
 * postgres-operations.ts, after filling in the constraint names PostgreSQL's DROP needs.
 */
import type { Engine } from '../../engine/types.js';
import { FerryError } from '../../errors.js';
import { describeOp, refersTo, type SchemaOp } from '../../schema/operations.js';
import { postgresOpSql } from './postgres-operations.js';

/** Runs one op and returns the statements that ran. */
export async function runPostgresOp(engine: Engine, op: SchemaOp): Promise<string[]> {
  const statements = postgresOpSql(await named(engine, op));
  for (const sql of statements) await engine.exec(sql);
  return statements;
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
