import type { CheckConstraint, Column, ForeignKey, ForeignKeyAction, Index, Schema, Table, Trigger, View } from '../../schema/model.js';
import { isOwnObject } from '../../schema/own-tables.js';
import { COLUMNS_SQL, CONSTRAINTS_SQL, INDEXES_SQL, TABLES_SQL, TRIGGERS_SQL, VIEWS_SQL } from './postgres-catalog-queries.js';
import { quoteIdent } from './postgres-quote.js';

/** Runs a catalog query with parameters and returns its rows as objects. */
export type CatalogQuery = (sql: string, params: unknown[]) => Promise<Record<string, unknown>[]>;

/** pg_constraint's one-letter referential actions, in the model's words. */
const FK_ACTIONS: Record<string, ForeignKeyAction> = {
  a: 'NO ACTION',
  r: 'RESTRICT',
  c: 'CASCADE',
  n: 'SET NULL',
  d: 'SET DEFAULT',
};

const GENERATED: Record<string, Column['generated']> = {
  a: 'identity-always',
  d: 'identity-by-default',
  s: 'stored',
  v: 'virtual',
};

/**
 * Reads one schema's tables, views and triggers into the engine-neutral model. Names keep their
 * exact case. Rules worth knowing: `indexes` leaves out indexes that back a PRIMARY KEY, UNIQUE or
 * EXCLUDE constraint (the constraint recreates them); a foreign key to another schema names its
 * table as `schema.table`; for generated columns `default` holds the generation expression.
 */
export async function introspectPostgres(query: CatalogQuery, schema: string): Promise<Schema> {
  // One after another: the engine has a single connection, and pg no longer wants queries queued.
  const results: Record<string, unknown>[][] = [];
  for (const sql of [TABLES_SQL, COLUMNS_SQL, CONSTRAINTS_SQL, INDEXES_SQL, TRIGGERS_SQL, VIEWS_SQL]) results.push(await query(sql, [schema]));
  const [tableRows, columnRows, constraintRows, indexRows, triggerRows, viewRows] = results;

  const tables = new Map<string, Table>();
  for (const row of tableRows) {
    tables.set(str(row.oid), { name: str(row.name), schema, columns: [], primaryKey: null, uniques: [], indexes: [], foreignKeys: [], checks: [] });
  }
  for (const row of columnRows) tables.get(str(row.table_oid))?.columns.push(toColumn(row));
  for (const row of constraintRows) {
    const table = tables.get(str(row.table_oid));
    if (table) addConstraint(table, row, schema);
  }
  for (const row of indexRows) tables.get(str(row.table_oid))?.indexes.push(toIndex(row));

  const triggers: Trigger[] = triggerRows
    .filter((row) => !isOwnObject(str(row.name)))
    .map((row) => ({ name: str(row.name), table: str(row.table), sql: str(row.sql) }));
  const views: View[] = viewRows.map((row) => toView(row, schema));
  return { dialect: 'postgres', tables: [...tables.values()], views, triggers };
}

function toColumn(row: Record<string, unknown>): Column {
  const column: Column = { name: str(row.name), type: str(row.type), nullable: row.nullable === true, default: optStr(row.default) ?? null };
  const generated = GENERATED[str(row.identity)] ?? GENERATED[str(row.generated)];
  if (generated) column.generated = generated;
  const collation = optStr(row.collation);
  if (collation) column.collation = collation;
  return column;
}

function addConstraint(table: Table, row: Record<string, unknown>, schema: string): void {
  const name = str(row.name);
  const columns = names(row.columns);
  switch (row.kind) {
    case 'p':
      table.primaryKey = { name, columns };
      break;
    case 'u':
      table.uniques.push({ name, columns });
      break;
    case 'f': {
      const refSchema = str(row.ref_schema);
      const fk: ForeignKey = {
        name,
        columns,
        refTable: refSchema === schema ? str(row.ref_table) : `${refSchema}.${str(row.ref_table)}`,
        refColumns: names(row.ref_columns),
        onDelete: FK_ACTIONS[str(row.on_delete)] ?? 'NO ACTION',
        onUpdate: FK_ACTIONS[str(row.on_update)] ?? 'NO ACTION',
      };
      table.foreignKeys.push(fk);
      break;
    }
    case 'c': {
      const check: CheckConstraint = { name, expression: stripOuterParens(str(row.expression)) };
      table.checks.push(check);
      break;
    }
  }
}

function toIndex(row: Record<string, unknown>): Index {
  const hasExpressions = row.has_expressions === true;
  const index: Index = {
    name: str(row.name),
    unique: row.unique === true,
    // The model wants plain columns only; an expression index's key parts live in `sql`.
    columns: hasExpressions ? [] : names(row.columns),
    sql: str(row.sql),
    hasExpressions,
  };
  const where = optStr(row.where);
  if (where) index.where = stripOuterParens(where);
  return index;
}

/** pg_get_viewdef gives only the SELECT; the model wants a statement that recreates the view. */
function toView(row: Record<string, unknown>, schema: string): View {
  const name = str(row.name);
  const options = row.options ? (JSON.parse(str(row.options)) as string[]) : [];
  const checkOption = options.find((o) => o.startsWith('check_option='))?.slice('check_option='.length);
  const withOptions = options.filter((o) => !o.startsWith('check_option='));
  const body = str(row.definition).trim().replace(/;\s*$/, '');
  const kind = row.kind === 'm' ? 'MATERIALIZED VIEW' : 'VIEW';
  const sql = `CREATE ${kind} ${quoteIdent(schema)}.${quoteIdent(name)}${withOptions.length ? ` WITH (${withOptions.join(', ')})` : ''} AS\n${body}${checkOption ? `\n  WITH ${checkOption.toUpperCase()} CHECK OPTION` : ''}`;
  return { name, sql };
}

/**
 * Removes one pair of parentheses wrapping the whole expression, as PostgreSQL prints
 * `(price > 0)` for `CHECK (price > 0)`. Parentheses inside quotes do not count.
 */
export function stripOuterParens(expression: string): string {
  const text = expression.trim();
  if (!text.startsWith('(') || !text.endsWith(')')) return text;
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === quote) quote = null;
      continue;
    }
    if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')') {
      depth--;
      // The first paren closed before the end: `(a) AND (b)` is not wrapped as a whole.
      if (depth === 0 && i < text.length - 1) return text;
    }
  }
  return text.slice(1, -1).trim();
}

function names(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  return JSON.parse(str(value)) as string[];
}

function str(value: unknown): string {
  return value === null || value === undefined ? '' : String(value);
}

function optStr(value: unknown): string | undefined {
  return value === null || value === undefined || value === '' ? undefined : String(value);
}
