import type { Engine } from '../engine/types.js';
import { FerryError } from '../errors.js';
import { importUserModule } from '../util/import-module.js';
import type { RenameHint } from '../schema/plan-schema-change.js';
import type { ColumnSpec } from '../schema/operations.js';
import { createSchemaOperations } from './schema-operations.js';

/** One table of a schema declared in TypeScript. */
export interface DeclaredTable {
  columns: ColumnSpec[];
  /** A composite primary key (a single-column one can be `primaryKey: true` on the column). */
  primaryKey?: string[];
  indexes?: { name: string; columns: string[]; unique?: boolean; where?: string }[];
  uniques?: { name: string; columns: string[] }[];
  foreignKeys?: { name: string; columns: string[]; refTable: string; refColumns: string[]; onDelete?: string; onUpdate?: string }[];
  checks?: { name: string; expression: string }[];
}

/** The default export of a `schema.ts` for `ferry revision --autogenerate`. */
export interface DeclaredSchemaModule {
  tables: Record<string, DeclaredTable>;
  /** Rename hints, the same as `-- ferry:rename-table` / `-- ferry:rename-column` in schema.sql. */
  renames?: RenameHint[];
}

/** Types a declared schema in a TS module: `export default defineSchema({ tables: { ... } })`. */
export function defineSchema(schema: DeclaredSchemaModule): DeclaredSchemaModule {
  return schema;
}

/** Imports a schema module (TS through jiti, like script revisions and TS configs). */
export async function importSchemaModule(file: string): Promise<DeclaredSchemaModule> {
  let mod: unknown;
  try {
    mod = await importUserModule(file);
  } catch (e) {
    throw new FerryError('CONFIG_SYNTAX', `${file} cannot be loaded: ${(e as Error).message}`, {
      subject: file,
      hint: 'Fix the module; it must `export default defineSchema({ tables: { ... } })`.',
    });
  }
  const schema = (mod as { default?: unknown })?.default ?? mod;
  if (!schema || typeof schema !== 'object' || typeof (schema as { tables?: unknown }).tables !== 'object') {
    throw new FerryError('CONFIG_INVALID', `${file} does not export a declared schema.`, {
      subject: file,
      hint: 'export default defineSchema({ tables: { users: { columns: [{ name: "id", type: "bigint", primaryKey: true }] } } })',
    });
  }
  return schema as DeclaredSchemaModule;
}

/**
 * Builds a declared module's schema on an empty scratch database through the same schema
 * operations revisions use, so it is introspected like the live one: tables first, then unique
 * constraints, checks and indexes, then foreign keys (which need every table in place).
 */
export async function buildSchemaModule(engine: Engine, schema: DeclaredSchemaModule, file: string): Promise<void> {
  const ops = createSchemaOperations(engine);
  const step = async (what: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (e) {
      throw new FerryError('CONFIG_INVALID', `${file}: ${what} cannot be created: ${(e as Error).message}`, {
        subject: file,
        hint: 'Fix the declared schema.',
      });
    }
  };
  const tables = Object.entries(schema.tables);
  for (const [name, t] of tables) await step(`table ${name}`, () => ops.createTable(name, t.columns, t.primaryKey ? { primaryKey: t.primaryKey } : undefined));
  for (const [name, t] of tables) {
    for (const u of t.uniques ?? []) await step(`unique ${u.name}`, () => ops.addUnique(name, u.name, u.columns));
    for (const c of t.checks ?? []) await step(`check ${c.name}`, () => ops.addCheck(name, c.name, c.expression));
    for (const i of t.indexes ?? []) await step(`index ${i.name}`, () => ops.createIndex(name, i.name, i.columns, { unique: i.unique, where: i.where }));
  }
  for (const [name, t] of tables) {
    for (const f of t.foreignKeys ?? [])
      await step(`foreign key ${f.name}`, () =>
        ops.addForeignKey(name, f.name, f.columns, f.refTable, f.refColumns, { onDelete: f.onDelete, onUpdate: f.onUpdate }),
      );
  }
}
