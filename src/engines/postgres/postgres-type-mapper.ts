/**
 * PostgreSQL's type mapper. A PostgreSQL column's type already says everything (format_type text
 * such as `numeric(10,2)`, `character varying(120)`, `timestamp(3) with time zone`, `citext`), so
 * reading needs no profile; writing gives the types an app's own ORM creates on PostgreSQL:
 * `integer` for 32-bit integers (node-postgres reads them as numbers, where it reads bigint as
 * strings), `numeric(p,s)`, `varchar(n)`, `boolean`, `uuid`, `timestamptz`, and `citext` for text
 * compared without regard to case.
 */
import type { ReadTypeInput, TypeMapper, TypeReading } from '../../engine/type-mapper.js';
import { overrideError, resolveOverride } from '../../engine/type-overrides.js';
import type { ColumnType, LogicalType } from '../../values/column-type.js';

export const postgresTypeMapper: TypeMapper = {
  read: readPostgresType,
  write: postgresTypeName,
};

/** The neutral type of a PostgreSQL type as format_type spells it. Pure. */
export function postgresColumnType(type: string): ColumnType {
  const t = type.trim().toLowerCase().replace(/"/g, '');
  if (t.endsWith(']')) return { logical: 'pgtext' };
  const name = t.startsWith('pg_catalog.') ? t.slice('pg_catalog.'.length) : t.startsWith('public.') ? t.slice('public.'.length) : t;
  const args = [...(/\(([^)]*)\)/.exec(name)?.[1] ?? '').matchAll(/\d+/g)].map((m) => Number(m[0]));
  const base = name
    .replace(/\(.*?\)/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  switch (base) {
    case 'smallint':
    case 'int2':
      return { logical: 'int64', intBits: 16 };
    case 'integer':
    case 'int':
    case 'int4':
      return { logical: 'int64', intBits: 32 };
    case 'bigint':
    case 'int8':
      return { logical: 'int64', intBits: 64 };
    case 'real':
    case 'double precision':
    case 'float4':
    case 'float8':
      return { logical: 'float64' };
    case 'numeric':
    case 'decimal':
      return args.length ? { logical: 'numeric', precision: args[0]!, scale: args[1] ?? 0 } : { logical: 'numeric' };
    case 'boolean':
    case 'bool':
      return { logical: 'boolean' };
    case 'text':
      return { logical: 'text' };
    case 'citext':
      return { logical: 'text', caseInsensitive: true };
    case 'character varying':
    case 'varchar':
    case 'character':
    case 'char':
    case 'bpchar':
      return args.length ? { logical: 'text', maxLength: args[0]! } : { logical: 'text' };
    case 'bytea':
      return { logical: 'bytes' };
    case 'date':
      return { logical: 'date' };
    case 'time':
    case 'time without time zone':
      return { logical: 'time' };
    case 'timestamp':
    case 'timestamp without time zone':
      return { logical: 'timestamp' };
    case 'timestamptz':
    case 'timestamp with time zone':
      return { logical: 'timestamptz' };
    case 'json':
      return { logical: 'json' };
    case 'jsonb':
      return { logical: 'jsonb' };
    case 'uuid':
      return { logical: 'uuid' };
    default:
      return { logical: 'pgtext' };
  }
}

/** The PostgreSQL DDL type of a neutral type. */
export function postgresTypeName(t: ColumnType): string {
  switch (t.logical) {
    case 'int64':
      return t.intBits === 16 ? 'smallint' : t.intBits === 32 ? 'integer' : 'bigint';
    case 'float64':
      // double precision, never real: pgloader's real turned 601002.052186677 into 601002.06.
      return 'double precision';
    case 'numeric':
      return t.precision !== undefined ? `numeric(${t.precision},${t.scale ?? 0})` : 'numeric';
    case 'text':
    case 'pgtext':
      // citext carries SQLite's COLLATE NOCASE: equality, UNIQUE and LIKE ignore case, as there.
      if (t.caseInsensitive) return 'citext';
      return t.maxLength !== undefined ? `varchar(${t.maxLength})` : 'text';
    case 'bytes':
      return 'bytea';
    case 'time':
      return 'time';
    default:
      return t.logical;
  }
}

/** Reads a PostgreSQL column; overrides may only widen (PostgreSQL types already say what they hold). */
function readPostgresType(input: ReadTypeInput): TypeReading {
  const natural = postgresColumnType(input.declared);
  if (natural.logical === 'numeric' && (input.profile?.beyondDouble ?? 0) > 0) natural.beyondDouble = true;
  if (input.override === undefined) return { type: natural, warnings: [] };
  const where = `${input.table}.${input.column}`;
  const logical = resolveOverride(input.override, where);
  if (!overrideFits(natural.logical, logical)) throw overrideError(where, input.override, `PostgreSQL ${input.declared} values`, logical);
  return { type: logical === natural.logical ? natural : { logical }, warnings: [] };
}

/** Which PostgreSQL -> other-engine overrides keep every value exactly. */
function overrideFits(natural: LogicalType, wanted: LogicalType): boolean {
  if (natural === wanted || wanted === 'text') return true;
  const ok: Partial<Record<LogicalType, LogicalType[]>> = {
    int64: ['numeric'],
    boolean: ['int64'],
    json: ['jsonb'],
    jsonb: ['json'],
    pgtext: ['text'],
    uuid: ['text'],
    time: ['text'],
  };
  return ok[natural]?.includes(wanted) ?? false;
}
