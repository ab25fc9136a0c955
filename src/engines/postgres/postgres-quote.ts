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
