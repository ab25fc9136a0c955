import { FerryError } from '../errors.js';
import { parseDeclaredType, type DeclaredType } from '../schema/declared-type.js';
import { LOGICAL_TYPES, type ColumnProfile, type LogicalType, type PlanWarning } from './copy-types.js';

/** A profile plus the facts only ferry's own round trip needs (decimal text in `NUMERIC_TEXT`). */
export interface ProfileFacts extends ColumnProfile {
  /** Text values that are plain decimal literals (counted only when asked). */
  textNumeric?: number;
}

/** Which way a copy goes; it decides how the declared type is read and which DDL names come out. */
export type CopyDirection = 'sqlite-to-postgres' | 'postgres-to-sqlite';

/** Everything the type choice of one column depends on. */
export interface ChooseTypeInput {
  table: string;
  column: string;
  /** The source's declared type text (SQLite: any text; PostgreSQL: format_type output). */
  declared: string;
  /** SQLite sources: what profiling found. Without it the declared type decides alone. */
  profile?: ProfileFacts;
  /** CopyColumnConfig.type: a logical type name or a common PostgreSQL alias. */
  override?: string;
  /** CopyColumnConfig.epoch: integers are Unix times in these units. */
  epoch?: 'seconds' | 'milliseconds';
  /** JSON-declared columns become jsonb when every value parses. */
  jsonb?: boolean;
  direction: CopyDirection;
}

/** The chosen logical type, the target DDL type and anything the user should hear about. */
export interface TypeChoice {
  logical: LogicalType;
  targetType: string;
  warnings: PlanWarning[];
}

/** PostgreSQL DDL type per logical type; double precision, never real (pgloader's data loss). */
export const POSTGRES_TYPES: Record<LogicalType, string> = {
  int64: 'bigint', float64: 'double precision', numeric: 'numeric', boolean: 'boolean', text: 'text', bytes: 'bytea',
  date: 'date', timestamp: 'timestamp', timestamptz: 'timestamptz', json: 'json', jsonb: 'jsonb', pgtext: 'text',
};

/**
 * SQLite declared names per logical type, chosen so that (1) SQLite's affinity keeps every value
 * exactly as written and (2) a later SQLite -> PostgreSQL copy maps the name back to the same type.
 * - DATE / TIMESTAMP / TIMESTAMPTZ have NUMERIC affinity, which only converts text that looks like
 *   a number; ISO date text never does, so the text stays text; the names carry the hint back.
 * - numeric uses NUMERIC_TEXT (TEXT affinity: contains "TEXT"): under NUMERIC affinity '12.50'
 *   would become REAL 12.5 and digits past the 15th would be lost. The "NUMERIC" in the name maps
 *   it back to numeric when every value is a decimal literal.
 * - json/jsonb use JSON_TEXT/JSONB_TEXT: under a plain `JSON` name (NUMERIC affinity) the JSON
 *   document `1.50` would turn into REAL 1.5.
 * - BOOLEAN has NUMERIC affinity and holds 0/1 integers, which it keeps; the name maps back.
 * - pgtext (uuid, interval, arrays, ...) is TEXT: PostgreSQL's text form, kept as is.
 */
export const SQLITE_TYPES: Record<LogicalType, string> = {
  int64: 'INTEGER', float64: 'REAL', numeric: 'NUMERIC_TEXT', boolean: 'BOOLEAN', text: 'TEXT', bytes: 'BLOB',
  date: 'DATE', timestamp: 'TIMESTAMP', timestamptz: 'TIMESTAMPTZ', json: 'JSON_TEXT', jsonb: 'JSONB_TEXT', pgtext: 'TEXT',
};

/** Override spellings accepted besides the logical names, all lower case. */
const ALIASES: Record<string, LogicalType> = {
  bigint: 'int64', int8: 'int64', integer: 'int64', int: 'int64', int4: 'int64', smallint: 'int64', int2: 'int64',
  'double precision': 'float64', double: 'float64', float8: 'float64', float: 'float64', real: 'float64', float4: 'float64',
  decimal: 'numeric', bool: 'boolean', varchar: 'text', string: 'text', 'character varying': 'text',
  bytea: 'bytes', blob: 'bytes', 'timestamp without time zone': 'timestamp', datetime: 'timestamp',
  'timestamp with time zone': 'timestamptz',
};

/** Resolves an override name (logical name or alias) or throws TYPE_OVERRIDE listing the valid names. */
export function resolveOverride(name: string, where: string): LogicalType {
  const key = name.trim().toLowerCase().replace(/\s+/g, ' ');
  if ((LOGICAL_TYPES as readonly string[]).includes(key)) return key as LogicalType;
  const alias = ALIASES[key];
  if (alias) return alias;
  throw new FerryError('TYPE_OVERRIDE', `${where}: unknown type override ${JSON.stringify(name)}.`, {
    subject: where,
    hint: `Use one of: ${LOGICAL_TYPES.filter((t) => t !== 'pgtext').join(', ')} (PostgreSQL names such as bigint, double precision, timestamptz also work).`,
  });
}

/** Maps a PostgreSQL type (format_type text) to the logical type ferry moves it as. */
export function logicalFromPostgresType(type: string): LogicalType {
  const t = type.trim().toLowerCase();
  if (t.endsWith(']')) return 'pgtext';
  const base = t.replace(/\(.*\)/, '').replace(/\s+/g, ' ').trim();
  switch (base) {
    case 'smallint': case 'integer': case 'bigint': case 'int2': case 'int4': case 'int8': return 'int64';
    case 'real': case 'double precision': case 'float4': case 'float8': return 'float64';
    case 'numeric': case 'decimal': return 'numeric';
    case 'boolean': case 'bool': return 'boolean';
    case 'text': case 'character varying': case 'varchar': case 'character': case 'char': case 'bpchar': return 'text';
    case 'bytea': return 'bytes';
    case 'date': return 'date';
    case 'timestamp': case 'timestamp without time zone': return 'timestamp';
    case 'timestamptz': case 'timestamp with time zone': return 'timestamptz';
    case 'json': return 'json';
    case 'jsonb': return 'jsonb';
    default: return 'pgtext';
  }
}

/** Picks the logical and target type of one column (see the module's rules); throws TYPE_OVERRIDE. */
export function chooseType(input: ChooseTypeInput): TypeChoice {
  const where = `${input.table}.${input.column}`;
  if (input.direction === 'postgres-to-sqlite') {
    const natural = logicalFromPostgresType(input.declared);
    let logical = natural;
    if (input.override !== undefined) {
      logical = resolveOverride(input.override, where);
      if (!postgresOverrideFits(natural, logical)) {
        throw overrideError(where, input.override, `PostgreSQL ${input.declared} values`, logical);
      }
    }
    return { logical, targetType: SQLITE_TYPES[logical], warnings: [] };
  }
  const declared = parseDeclaredType(input.declared);
  const p = input.profile;
  const warnings: PlanWarning[] = [];
  const warn = (code: string, message: string) => warnings.push({ code, table: input.table, column: input.column, message: `${where}: ${message}` });
  let logical: LogicalType;
  if (input.override !== undefined) {
    logical = resolveOverride(input.override, where);
    if (p) checkOverrideFits(where, input.override, logical, p);
  } else if (input.epoch) {
    if (p && p.reals + p.texts + p.blobs > 0) throw overrideError(where, `epoch ${input.epoch}`, describe(p), 'timestamptz');
    logical = 'timestamptz';
  } else if (!p || nonNull(p) === 0) {
    logical = naturalLogical(declared, input.jsonb === true);
  } else {
    logical = fromProfile(declared, p, input.jsonb === true, warn);
  }
  if (p?.textWithNul) warn('TEXT_WITH_NUL', `${p.textWithNul} text value(s) hold a NUL character, which PostgreSQL cannot store; those rows will be rejected.`);
  return { logical, targetType: POSTGRES_TYPES[logical], warnings };
}

function nonNull(p: ColumnProfile): number {
  return p.integers + p.reals + p.texts + p.blobs;
}

/** The mapping of a declared type alone, used for empty columns. */
export function naturalLogical(d: DeclaredType, jsonb: boolean): LogicalType {
  switch (d.hint) {
    case 'boolean': return 'boolean';
    case 'date': return 'date';
    case 'timestamp': return 'timestamp';
    case 'timestamptz': return 'timestamptz';
    case 'json': return jsonb ? 'jsonb' : 'json';
    case 'jsonb': return 'jsonb';
    default: break;
  }
  switch (d.affinity) {
    case 'INTEGER': return 'int64';
    case 'REAL': return 'float64';
    case 'TEXT': return d.hint === 'decimal' ? 'numeric' : 'text';
    case 'BLOB': return d.empty ? 'text' : 'bytes';
    case 'NUMERIC': return d.hint === 'decimal' || d.hint === null ? 'numeric' : 'text';
  }
}

function fromProfile(d: DeclaredType, p: ProfileFacts, jsonb: boolean, warn: (code: string, message: string) => void): LogicalType {
  const classes = [p.integers > 0, p.reals > 0, p.texts > 0, p.blobs > 0].filter(Boolean).length;
  if (classes > 1) {
    if (p.integers > 0 && p.reals > 0 && classes === 2) return 'numeric';
    const to = p.blobs > 0 ? 'bytes' : 'text';
    warn('MIXED_TYPES', `mixed storage classes (${describe(p)}); copied as ${to === 'bytes' ? 'bytea' : 'text'} so no value is lost.`);
    return to;
  }
  if (p.blobs > 0) return 'bytes';
  if (p.reals > 0) return 'float64';
  if (p.integers > 0) {
    if (d.hint === 'boolean') {
      if (p.allZeroOne) return 'boolean';
      warn('BOOLEAN_AS_INTEGER', `declared ${d.text} but holds integers other than 0 and 1 (${p.minInteger}..${p.maxInteger}); copied as bigint.`);
    } else if (d.hint === 'date' || d.hint === 'timestamp' || d.hint === 'timestamptz') {
      warn('TIMESTAMP_AS_INTEGER', `declared ${d.text} but holds integers; copied as bigint. If they are Unix times, set copy.tables.<table>.columns.<column>.epoch to "seconds" or "milliseconds".`);
    }
    return 'int64';
  }
  // Only text from here on.
  if (d.hint === 'date' || d.hint === 'timestamp' || d.hint === 'timestamptz') {
    if (p.textDates === undefined) return 'text';
    if (p.textDates === p.texts) return 'date';
    if (p.textTimestamps === p.texts) return 'timestamp';
    if (p.textTimestampsTz === p.texts) return 'timestamptz';
    const iso = (p.textDates ?? 0) + (p.textTimestamps ?? 0) + (p.textTimestampsTz ?? 0);
    const why = iso < p.texts
      ? `${p.texts - iso} of ${p.texts} values are not ISO dates/date-times (YYYY-MM-DD[ HH:MM[:SS[.ffffff]]][zone], valid calendar dates, at most 6 fractional digits)`
      : `values mix kinds (${p.textDates} dates, ${p.textTimestamps} without zone, ${p.textTimestampsTz} with zone)`;
    warn('TIMESTAMP_AS_TEXT', `declared ${d.text} but ${why}; copied as text.`);
    return 'text';
  }
  if (d.hint === 'json' || d.hint === 'jsonb') {
    if (p.textJson === p.texts) return d.hint === 'jsonb' || jsonb ? 'jsonb' : 'json';
    if (p.textJson !== undefined) warn('JSON_AS_TEXT', `declared ${d.text} but ${p.texts - p.textJson} of ${p.texts} values are not valid JSON; copied as text.`);
    return 'text';
  }
  if (d.hint === 'decimal' && p.textNumeric !== undefined && p.textNumeric === p.texts) return 'numeric';
  if (d.hint === 'boolean') warn('BOOLEAN_AS_TEXT', `declared ${d.text} but holds text; copied as text.`);
  return 'text';
}

/** "12 integer, 3 text" for messages. */
export function describe(p: ColumnProfile): string {
  const parts = ([['integer', p.integers], ['real', p.reals], ['text', p.texts], ['blob', p.blobs]] as const).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`);
  return parts.length ? parts.join(', ') : 'only NULLs';
}

const MAX_SAFE = 2n ** 53n;

/** Throws TYPE_OVERRIDE when the profiled values cannot all be held exactly by `logical`. */
function checkOverrideFits(where: string, name: string, logical: LogicalType, p: ProfileFacts): void {
  const only = (...allowed: ('integers' | 'reals' | 'texts' | 'blobs')[]) => (['integers', 'reals', 'texts', 'blobs'] as const).every((k) => allowed.includes(k) || p[k] === 0);
  let ok: boolean;
  switch (logical) {
    case 'int64': ok = only('integers'); break;
    case 'float64': ok = only('integers', 'reals') && (p.integers === 0 || (p.minInteger! >= -MAX_SAFE && p.maxInteger! <= MAX_SAFE)); break;
    case 'numeric': ok = only('integers', 'reals', 'texts') && (p.texts === 0 || p.textNumeric === p.texts); break;
    case 'boolean': ok = only('integers') && (p.integers === 0 || p.allZeroOne === true); break;
    case 'text': ok = only('integers', 'reals', 'texts'); break;
    case 'bytes': ok = only('texts', 'blobs'); break;
    case 'date': ok = only('texts') && (p.texts === 0 || p.textDates === p.texts); break;
    case 'timestamp': ok = only('texts') && (p.texts === 0 || (p.textTimestamps ?? 0) + (p.textDates ?? 0) === p.texts); break;
    case 'timestamptz': ok = only('texts') && (p.texts === 0 || p.textTimestampsTz === p.texts); break;
    case 'json': case 'jsonb': ok = only('texts') && (p.texts === 0 || p.textJson === p.texts); break;
    case 'pgtext': ok = false; break;
  }
  if (!ok) throw overrideError(where, name, describe(p) + extraFacts(p), logical);
}

function extraFacts(p: ProfileFacts): string {
  const out: string[] = [];
  if (p.integers > 0 && p.minInteger !== undefined) out.push(`integers ${p.minInteger}..${p.maxInteger}`);
  if (p.textDates !== undefined) out.push(`${p.textDates} ISO dates, ${p.textTimestamps} date-times, ${p.textTimestampsTz} zoned date-times`);
  if (p.textJson !== undefined) out.push(`${p.textJson} valid JSON texts`);
  return out.length ? ` (${out.join('; ')})` : '';
}

/** Which PostgreSQL -> SQLite overrides keep every value exactly (no profile there). */
function postgresOverrideFits(natural: LogicalType, wanted: LogicalType): boolean {
  if (natural === wanted || wanted === 'text') return true;
  const ok: Partial<Record<LogicalType, LogicalType[]>> = { int64: ['numeric'], boolean: ['int64'], json: ['jsonb'], jsonb: ['json'], pgtext: ['text'] };
  return ok[natural]?.includes(wanted) ?? false;
}

function overrideError(where: string, override: string, found: string, logical: LogicalType): FerryError {
  return new FerryError('TYPE_OVERRIDE', `${where}: the type override ${JSON.stringify(override)} (${logical}) cannot hold what the column holds: ${found}.`, {
    subject: where,
    hint: 'Remove the override or pick a type that holds every value (text holds anything but blobs).',
  });
}
