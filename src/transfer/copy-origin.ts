/**
 * Where a copied table came from, recorded in the target so that the way back can give the app its
 * own database again: the original CREATE TABLE (declared types, collations, constraints,
 * defaults), its indexes and triggers, the database's views, and per column the text form or Unix
 * unit the app stored its values in. `ferry copy` writes one row per table it creates into
 * `_ferry_origin` in the same transaction as the tables; a later copy back reads it.
 *
 * The statements use only standard SQL with literal values, so any engine can hold the table.
 */
import { isInternalTable } from '../schema/own-tables.js';
import { driverOf } from '../engines/registry.js';
import { columnOrigin, type RecordedOrigin, type TableOrigin } from '../engine/table-origin.js';
import type { Engine } from '../engine/types.js';
import type { Schema, Table } from '../schema/model.js';
import type { TablePlan } from '../engine/table-plan.js';

export type { ColumnOrigin, RecordedOrigin, TableOrigin } from '../engine/table-origin.js';

/** ferry's table of origins in a copy's target: never copied, never verified. */
export const ORIGIN_TABLE = '_ferry_origin';

/** The row that holds database-wide facts (views). */
const DATABASE_ROW = '';

/**
 * What a copy from `source` records about the plan's tables: only engines with an `originRecord`
 * role keep their own DDL this way (PostgreSQL's own catalog is enough).
 */
export function originOf(source: Schema, tables: TablePlan[]): RecordedOrigin | undefined {
  if (!driverOf(source.dialect).roles.originRecord) return undefined;
  const out: RecordedOrigin = { tables: {}, views: source.views.map((v) => v.sql) };
  for (const t of tables) {
    const src = source.tables.find((x) => x.name === t.source);
    if (src?.sql) out.tables[t.target] = tableOrigin(src, t, source);
  }
  return out;
}

/** Brings the recorded columns up to date with the plan (after existing target tables were adopted). */
export function syncOriginColumns(origin: RecordedOrigin | undefined, tables: TablePlan[], existing: ReadonlySet<string>): void {
  for (const t of tables) {
    const o = origin?.tables[t.target];
    if (!o) continue;
    o.columns = t.columns.map(columnOrigin);
    if (existing.has(t.target)) o.existing = true;
  }
}

/** The statements that record the origin of a copy's tables (inside its schema transaction). */
export function recordOriginSql(target: Engine, origin: RecordedOrigin | undefined, created: string[]): string[] {
  const tables = created.filter((t) => origin?.tables[t]);
  if (!origin || tables.length === 0) return [];
  const table = target.quoteIdent(ORIGIN_TABLE);
  const out = [`CREATE TABLE IF NOT EXISTS ${table} (table_name TEXT PRIMARY KEY, origin TEXT NOT NULL, copied_at TEXT NOT NULL)`];
  const now = literal(new Date().toISOString());
  const put = (name: string, value: unknown) => {
    out.push(`DELETE FROM ${table} WHERE table_name = ${literal(name)}`);
    out.push(`INSERT INTO ${table} (table_name, origin, copied_at) VALUES (${literal(name)}, ${literal(JSON.stringify(value))}, ${now})`);
  };
  for (const t of tables) put(t, origin.tables[t]);
  put(DATABASE_ROW, { views: origin.views });
  return out;
}

function tableOrigin(src: Table, t: TablePlan, schema: Schema): TableOrigin {
  return {
    dialect: schema.dialect,
    table: src.name,
    sql: src.sql!,
    indexes: src.indexes.map((i) => i.sql).filter(Boolean),
    triggers: schema.triggers.filter((x) => x.table === src.name && !isInternalTable(x.name)).map((x) => x.sql),
    columns: t.columns.map(columnOrigin),
  };
}

/** The origins recorded in `engine` by earlier copies, or null when it holds none. */
export async function readOrigin(engine: Engine, schema: Schema): Promise<RecordedOrigin | null> {
  if (!schema.tables.some((t) => t.name === ORIGIN_TABLE)) return null;
  const rows = await engine.query<{ table_name: string; origin: string }>(`SELECT table_name, origin FROM ${engine.quoteIdent(ORIGIN_TABLE)}`);
  const out: RecordedOrigin = { tables: {}, views: [] };
  for (const r of rows) {
    try {
      const parsed = JSON.parse(r.origin) as TableOrigin & { views?: string[] };
      if (r.table_name === DATABASE_ROW) out.views = parsed.views ?? [];
      else out.tables[r.table_name] = parsed;
    } catch {
      // A row ferry cannot read is treated as absent: the way back then generates the schema.
    }
  }
  return out;
}

/** A SQL string literal (standard SQL: quotes doubled), valid on every engine ferry supports. */
function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
