/**
 * Where callers look up an engine's roles by dialect, instead of testing the dialect's name. Each
 * engine supplies its roles from its own folder; this is the one place that knows them all.
 */
import { POSTGRES_MAX_COLUMNS, postgresNameProblem } from '../engines/postgres/postgres-quote.js';
import { postgresTypeMapper } from '../engines/postgres/postgres-type-mapper.js';
import { sqliteTypeMapper } from '../engines/sqlite/sqlite-type-mapper.js';
import type { TypeMapper } from './type-mapper.js';
import type { Dialect } from './types.js';

const TYPE_MAPPERS: Record<Dialect, TypeMapper> = { sqlite: sqliteTypeMapper, postgres: postgresTypeMapper };

/** The type mapper of an engine. */
export function typeMapperOf(dialect: Dialect): TypeMapper {
  return TYPE_MAPPERS[dialect];
}

/** What an engine's tables can hold: which names, and how many columns. */
export interface TargetLimits {
  /** Why the engine cannot hold a table or column name, or null. */
  nameProblem(name: string, kind: 'table' | 'column'): string | null;
  /** The most columns a table may have. */
  maxColumns: number;
}

const LIMITS: Record<Dialect, TargetLimits> = {
  sqlite: { nameProblem: () => null, maxColumns: 2000 },
  postgres: { nameProblem: postgresNameProblem, maxColumns: POSTGRES_MAX_COLUMNS },
};

/** The limits of an engine's tables. */
export function limitsOf(dialect: Dialect): TargetLimits {
  return LIMITS[dialect];
}
