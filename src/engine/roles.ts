/**
 * Where callers look up an engine's roles by dialect, instead of testing the dialect's name. Each
 * engine supplies its roles from its own folder; this is the one place that knows them all.
 */
import { postgresNameProblem } from '../engines/postgres/postgres-quote.js';
import { postgresTypeMapper } from '../engines/postgres/postgres-type-mapper.js';
import { sqliteTypeMapper } from '../engines/sqlite/sqlite-type-mapper.js';
import type { TypeMapper } from './type-mapper.js';
import type { Dialect } from './types.js';

const TYPE_MAPPERS: Record<Dialect, TypeMapper> = { sqlite: sqliteTypeMapper, postgres: postgresTypeMapper };

/** The type mapper of an engine. */
export function typeMapperOf(dialect: Dialect): TypeMapper {
  return TYPE_MAPPERS[dialect];
}

/** Why an engine cannot hold a table or column name, or null (SQLite takes any name). */
export type NameRule = (name: string, kind: 'table' | 'column') => string | null;

const NAME_RULES: Record<Dialect, NameRule> = { sqlite: () => null, postgres: postgresNameProblem };

/** The name rule of an engine. */
export function nameRuleOf(dialect: Dialect): NameRule {
  return NAME_RULES[dialect];
}
