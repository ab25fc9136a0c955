import { FerryError } from '../../errors.js';
import type { TableRef } from '../../engine/types.js';

/** The schema a bare table name belongs to; ferry reads and writes `public` unless told otherwise. */
export const DEFAULT_SCHEMA = 'public';

/**
 * Quotes an identifier for PostgreSQL. Always quoting (instead of only when needed) keeps mixed
 * case, spaces and keywords intact and means there is no keyword list to keep up to date.
 */
export function quoteIdent(name: string): string {
  // PostgreSQL cannot store NUL in an identifier; refusing here beats a confusing protocol error.
  if (name.includes('\u0000')) {
    throw new FerryError('USAGE', `The identifier ${JSON.stringify(name)} contains a NUL character, which PostgreSQL does not allow.`, { subject: name });
  }
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Quotes a table reference as `"schema"."name"`. A plain string is a table name, never split on
 * dots, because names may contain dots.
 */
export function quoteTable(ref: TableRef | string, defaultSchema: string = DEFAULT_SCHEMA): string {
  const { schema, name } = typeof ref === 'string' ? { schema: undefined, name: ref } : ref;
  return `${quoteIdent(schema ?? defaultSchema)}.${quoteIdent(name)}`;
}

/** The table's name for messages: `name`, or `schema.name` outside the default schema. */
export function tableLabel(ref: TableRef | string, defaultSchema: string = DEFAULT_SCHEMA): string {
  if (typeof ref === 'string') return ref;
  return ref.schema && ref.schema !== defaultSchema ? `${ref.schema}.${ref.name}` : ref.name;
}

/** PostgreSQL's limit on the columns of a table. */
export const POSTGRES_MAX_COLUMNS = 1600;

/** Column names PostgreSQL reserves for its own system columns on every table. */
const SYSTEM_COLUMNS = new Set(['xmin', 'xmax', 'cmin', 'cmax', 'ctid', 'tableoid']);

/**
 * Why PostgreSQL cannot hold `name` as a table or column name, or null. PostgreSQL would cut a name
 * past 63 bytes (two long names could become one), and refuses a column named like a system column
 * (`xmin`, `xmax`, common in geometry data) with a bare error 42701.
 */
export function postgresNameProblem(name: string, kind: 'table' | 'column'): string | null {
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > 63) return `is ${bytes} bytes long; PostgreSQL names hold at most 63`;
  if (kind === 'column' && SYSTEM_COLUMNS.has(name)) return `is the name of a PostgreSQL system column`;
  return null;
}
