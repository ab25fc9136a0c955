/**
 * The engine-neutral schema model. Introspection of any engine produces it; planning, diffs and
 * DDL generation read it. Plain data only, so it can be compared, serialised and printed.
 */

/** A column as declared. `type` is the declared type text as the engine reports it. */
export interface Column {
  name: string;
  /** Declared type, e.g. `INTEGER`, `text(100)`, `character varying(20)`; '' when none (SQLite). */
  type: string;
  nullable: boolean;
  /** Default as an SQL expression in the engine's own dialect, or null for none. */
  default: string | null;
  /** SQLite generated/hidden columns and PostgreSQL identity/generated columns. */
  generated?: 'stored' | 'virtual' | 'identity-always' | 'identity-by-default';
  /** Collation when not the default. */
  collation?: string;
}

export interface PrimaryKey {
  name?: string;
  columns: string[];
  /** SQLite: INTEGER PRIMARY KEY AUTOINCREMENT. */
  autoincrement?: boolean;
}

export interface UniqueConstraint {
  name?: string;
  columns: string[];
}

export interface Index {
  name: string;
  unique: boolean;
  /** Plain column names in order; empty when the index has expressions. */
  columns: string[];
  /** Full CREATE INDEX statement as the engine reports it (covers expression and partial indexes). */
  sql: string;
  /** WHERE clause of a partial index, without the keyword. */
  where?: string;
  /** True when any key part is an expression rather than a column. */
  hasExpressions: boolean;
}

export type ForeignKeyAction = 'NO ACTION' | 'RESTRICT' | 'CASCADE' | 'SET NULL' | 'SET DEFAULT';

export interface ForeignKey {
  name?: string;
  columns: string[];
  refTable: string;
  refColumns: string[];
  onDelete: ForeignKeyAction;
  onUpdate: ForeignKeyAction;
}

export interface CheckConstraint {
  name?: string;
  /** The boolean expression, without `CHECK (...)`. */
  expression: string;
}

export interface Trigger {
  name: string;
  table: string;
  sql: string;
}

export interface View {
  name: string;
  sql: string;
}

export interface Table {
  name: string;
  /** PostgreSQL schema; undefined for SQLite. */
  schema?: string;
  columns: Column[];
  primaryKey: PrimaryKey | null;
  uniques: UniqueConstraint[];
  indexes: Index[];
  foreignKeys: ForeignKey[];
  checks: CheckConstraint[];
  /** SQLite WITHOUT ROWID / STRICT flags. */
  withoutRowid?: boolean;
  strict?: boolean;
  /** The engine's own CREATE TABLE text when it keeps one (SQLite). */
  sql?: string;
}

/** A SQLite virtual table (FTS3/4/5, R*Tree, ...): not a table of rows a copy can create as such. */
export interface VirtualTable {
  name: string;
  /** The module, lower case: fts5, fts4, fts3, rtree, ... */
  module: string;
  /** Its CREATE VIRTUAL TABLE statement. */
  sql: string;
  /** The tables SQLite keeps its content in (left out of `tables`). */
  shadowTables: string[];
}

export interface Schema {
  dialect: string;
  tables: Table[];
  /** SQLite virtual tables; their shadow tables are not listed in `tables`. */
  virtualTables?: VirtualTable[];
  views: View[];
  triggers: Trigger[];
}

/** Finds a table by exact name (identifiers keep their case). */
export function findTable(schema: Schema, name: string): Table | undefined {
  return schema.tables.find((t) => t.name === name);
}
