/**
 * SQLite's type mapper. SQLite keeps a storage class per value whatever the column declares, so
 * reading a column takes both: the declared type says what the app means (BOOLEAN, DATETIME,
 * DECIMAL(10,2), VARCHAR(120), UUID, COLLATE NOCASE), and the profile of the values says whether
 * that meaning can be kept without losing a value. When it can, the neutral type carries it (and
 * the target keeps it); when it cannot, the column widens to a type that holds every value, with a
 * warning that says why. Writing a neutral type gives declared names that SQLite drivers and ORMs
 * read the same way (DATETIME, BOOLEAN, DECIMAL(p,s), JSON, VARCHAR(n), UUID).
 */
import type { IntegerPolicy, ReadTypeInput, TypeMapper, TypeReading } from '../../engine/type-mapper.js';
import { parseDeclaredType, type DeclaredType } from '../../schema/declared-type.js';
import { describe, overrideError, overrideIntBits, resolveOverride } from '../../engine/type-overrides.js';
import { type ProfileFacts } from '../../engine/type-mapper.js';
import type { ColumnType, LogicalType, TimestampStyle, UuidStyle } from '../../values/column-type.js';
import type { PlanWarning } from '../../engine/table-plan.js';
import { plainEpochUnit } from '../../values/time-text.js';
import type { ProfileColumnRequest } from './sqlite-profile.js';

const INT32: [bigint, bigint] = [-(2n ** 31n), 2n ** 31n - 1n];
const INT16: [bigint, bigint] = [-32768n, 32767n];
const MAX_SAFE = 2n ** 53n;

/** The profiling checks a column's declared type (or override) asks for; each costs CPU per row. */
export function profileRequestFor(name: string, declared: string, override?: LogicalType): ProfileColumnRequest {
  const d = parseDeclaredType(declared);
  const o = override;
  const request: ProfileColumnRequest = {
    name,
    type: declared,
    checkTimestamps:
      d.hint === 'date' ||
      d.hint === 'timestamp' ||
      d.hint === 'timestamptz' ||
      d.hint === 'time' ||
      o === 'date' ||
      o === 'timestamp' ||
      o === 'timestamptz' ||
      o === 'time',
    checkJson: d.hint === 'json' || d.hint === 'jsonb' || o === 'json' || o === 'jsonb',
    checkBoolean: d.hint === 'boolean' || o === 'boolean',
    checkNumericText: (d.hint === 'decimal' && d.affinity === 'TEXT') || o === 'numeric',
    checkUuid: d.hint === 'uuid' || o === 'uuid',
    checkLength: d.maxLength !== undefined,
  };
  const decimal = declaredDecimal(d);
  if (decimal && (o === undefined || o === 'numeric')) request.decimal = decimal;
  return request;
}

/** The precision and scale a DECIMAL(p[,s])/NUMERIC(p[,s]) declares, when PostgreSQL can hold them. */
function declaredDecimal(d: DeclaredType): { precision: number; scale: number } | undefined {
  if (d.hint !== 'decimal' || d.args.length === 0) return undefined;
  const [precision, scale = 0] = d.args as [number, number?];
  return precision >= 1 && precision <= 1000 && scale >= 0 && scale <= precision ? { precision, scale } : undefined;
}

export const sqliteTypeMapper: TypeMapper = {
  read: readSqliteType,
  write: sqliteDeclaredType,
  // An INTEGER PRIMARY KEY is the rowid: SQLite numbers it when a row is inserted without one.
  numbersItself: (t, c) => t.primaryKey?.columns.length === 1 && t.primaryKey.columns[0] === c.name && c.type.toUpperCase() === 'INTEGER',
};

/** The declared type SQLite drivers and ORMs read the way the neutral type means it. */
export function sqliteDeclaredType(t: ColumnType): string {
  switch (t.logical) {
    case 'int64':
      return t.intBits === 16 ? 'SMALLINT' : t.intBits === 32 ? 'INTEGER' : 'BIGINT';
    case 'float64':
      return 'REAL';
    case 'numeric': {
      // A value past a double's 15 digits would be rounded by NUMERIC affinity: keep such a column
      // as text (the name still reads back as numeric).
      const args = t.precision !== undefined ? `(${t.precision},${t.scale ?? 0})` : '';
      return t.beyondDouble ? `NUMERIC_TEXT${args}` : t.precision !== undefined ? `DECIMAL${args}` : 'NUMERIC';
    }
    case 'boolean':
      return 'BOOLEAN';
    case 'text':
    case 'pgtext': {
      const base = t.maxLength !== undefined ? `VARCHAR(${t.maxLength})` : 'TEXT';
      return t.caseInsensitive ? `${base} COLLATE NOCASE` : base;
    }
    case 'bytes':
      return 'BLOB';
    case 'date':
      return 'DATE';
    case 'time':
      return 'TIME';
    case 'timestamp':
    case 'timestamptz':
      return 'DATETIME';
    case 'json':
      return 'JSON';
    case 'jsonb':
      return 'JSONB';
    case 'uuid':
      return 'UUID';
  }
}

/** Reads a SQLite column: declared type, collation and profile into the neutral type. */
function readSqliteType(input: ReadTypeInput): TypeReading {
  const where = `${input.table}.${input.column}`;
  const d = parseDeclaredType(input.declared);
  const p = input.profile;
  const warnings: PlanWarning[] = [];
  const warn = (code: string, message: string) => warnings.push({ code, table: input.table, column: input.column, message: `${where}: ${message}` });
  const out: TypeReading = { type: { logical: 'text' }, warnings };
  if (input.override !== undefined) {
    const logical = resolveOverride(input.override, where);
    if (p) checkOverrideFits(where, input.override, logical, p);
    out.type = { logical };
    if (logical === 'timestamptz' && p && (p.textTimestamps ?? 0) + (p.textDates ?? 0) > 0) out.zonelessUtc = true;
  } else if (input.epoch) {
    if (p && p.reals + p.texts + p.blobs > 0) throw overrideError(where, `epoch ${input.epoch}`, describe(p), 'timestamptz');
    out.type = { logical: 'timestamptz' };
    out.epoch = input.epoch;
  } else if (!p || nonNull(p) === 0) {
    out.type = { logical: naturalLogical(d, input.jsonb) };
    if (d.empty || (d.affinity === 'NUMERIC' && d.hint === null)) out.type.loose = true;
  } else {
    readFromProfile(d, p, input.jsonb, out, warn);
  }
  refine(out, d, input, warn);
  if (p?.textWithNul) warn('TEXT_WITH_NUL', `${p.textWithNul} text value(s) hold a NUL character, which PostgreSQL cannot store; those rows will be rejected.`);
  return out;
}

function nonNull(p: ProfileFacts): number {
  return p.integers + p.reals + p.texts + p.blobs;
}

/** The mapping of a declared type alone, used for empty columns. */
function naturalLogical(d: DeclaredType, jsonb: boolean): LogicalType {
  switch (d.hint) {
    case 'boolean':
      return 'boolean';
    case 'date':
      return 'date';
    case 'timestamp':
      return 'timestamp';
    case 'timestamptz':
      return 'timestamptz';
    case 'time':
      return 'time';
    case 'json':
      return jsonb ? 'jsonb' : 'json';
    case 'jsonb':
      return 'jsonb';
    case 'uuid':
      return 'uuid';
    case 'decimal':
      return 'numeric';
    default:
      break;
  }
  switch (d.affinity) {
    case 'INTEGER':
      return 'int64';
    case 'REAL':
      return 'float64';
    case 'TEXT':
      return 'text';
    case 'BLOB':
      return d.empty ? 'text' : 'bytes';
    case 'NUMERIC':
      return d.hint === null ? 'numeric' : 'text';
  }
}

/** The logical type the values allow, honouring the declared type where they fit it. */
function readFromProfile(d: DeclaredType, p: ProfileFacts, jsonb: boolean, out: TypeReading, warn: (code: string, message: string) => void): void {
  const set = (logical: LogicalType) => (out.type = { logical });
  const classes = [p.integers > 0, p.reals > 0, p.texts > 0, p.blobs > 0].filter(Boolean).length;
  const texts = p.texts;
  // JSON: numbers are JSON documents too (SQLAlchemy and Rails store the document 42 as an integer).
  if ((d.hint === 'json' || d.hint === 'jsonb') && p.blobs === 0 && (p.textJson ?? 0) === texts) {
    set(d.hint === 'jsonb' || jsonb ? 'jsonb' : 'json');
    return;
  }
  // A declared DECIMAL/NUMERIC never becomes double precision: every number is a numeric value.
  if (d.hint === 'decimal' && p.blobs === 0 && (texts === 0 || p.textNumeric === texts)) {
    set('numeric');
    return;
  }
  if (classes > 1) {
    if (p.integers > 0 && p.reals > 0 && classes === 2) return void set('numeric');
    const to = p.blobs > 0 ? 'bytes' : 'text';
    warn('MIXED_TYPES', `mixed storage classes (${describe(p)}); copied as ${to === 'bytes' ? 'bytea' : 'text'} so no value is lost.`);
    return void set(to);
  }
  if (p.blobs > 0) return void set('bytes');
  if (p.reals > 0) return void set('float64');
  if (p.integers > 0) return readIntegers(d, p, out, warn);
  readTexts(d, p, out, warn);
}

/** A column holding only integers: booleans, Unix times, or plain integers. */
function readIntegers(d: DeclaredType, p: ProfileFacts, out: TypeReading, warn: (code: string, message: string) => void): void {
  out.type = { logical: 'int64' };
  if (d.hint === 'boolean') {
    if (p.allZeroOne) {
      out.type = { logical: 'boolean' };
      return;
    }
    warn('BOOLEAN_AS_INTEGER', `declared ${d.text} but holds integers other than 0 and 1 (${p.minInteger}..${p.maxInteger}); copied as an integer.`);
    return;
  }
  if (d.hint === 'date' || d.hint === 'timestamp' || d.hint === 'timestamptz') {
    const unit = p.minInteger !== undefined ? plainEpochUnit(p.minInteger, p.maxInteger!) : undefined;
    if (unit) {
      out.type = { logical: 'timestamptz' };
      out.epoch = unit;
      warn(
        'TIMESTAMP_FROM_EPOCH',
        `declared ${d.text} and every value is a Unix time in ${unit} (years 1973 to 2286); copied as timestamptz. Set copy.tables.<table>.columns.<column>.type to "int64" to keep the numbers.`,
      );
      return;
    }
    warn(
      'TIMESTAMP_AS_INTEGER',
      `declared ${d.text} but holds integers that are not plainly Unix times; copied as an integer. If they are, set copy.tables.<table>.columns.<column>.epoch to "seconds" or "milliseconds".`,
    );
  }
}

/** A column holding only text: dates and times, UUIDs, or text. */
function readTexts(d: DeclaredType, p: ProfileFacts, out: TypeReading, warn: (code: string, message: string) => void): void {
  const texts = p.texts;
  const set = (logical: LogicalType) => (out.type = { logical });
  if (d.hint === 'date' || d.hint === 'timestamp' || d.hint === 'timestamptz' || d.hint === 'time') {
    if (p.textDates === undefined) return void set('text');
    const dates = p.textDates;
    const zoneless = p.textTimestamps ?? 0;
    const zoned = p.textTimestampsTz ?? 0;
    if (d.hint === 'time' && p.textTimes === texts) return void set('time');
    if (d.hint === 'date' && dates === texts) return void set('date');
    if (dates + zoneless + zoned === texts) {
      // Rails stores a time of day on the date 2000-01-01: a date-time, kept whole.
      if (d.hint === 'time')
        warn('TIME_AS_TIMESTAMP', `declared ${d.text} but holds date-times (Rails writes times on 2000-01-01); copied as a timestamp so no part is lost.`);
      if (zoned === 0) {
        // A DATETIME column mixing dates and date-times is a timestamp; so is one of dates only.
        set(d.hint === 'timestamptz' ? 'timestamptz' : 'timestamp');
        if (d.hint === 'timestamptz') {
          out.zonelessUtc = true;
          warn('TIMESTAMP_ZONE_ASSUMED', `declared ${d.text} but no value has a zone; they are read as UTC.`);
        }
      } else {
        set('timestamptz');
        if (dates + zoneless > 0) {
          out.zonelessUtc = true;
          warn(
            'TIMESTAMP_ZONE_ASSUMED',
            `${dates + zoneless} of ${texts} values have no zone (SQLite's own clock writes UTC without one); they are read as UTC.`,
          );
        }
      }
      return;
    }
    const known = dates + zoneless + zoned + (p.textTimes ?? 0);
    const why =
      known < texts
        ? `${texts - known} of ${texts} values are not ISO dates, date-times or times (YYYY-MM-DD[ HH:MM[:SS[.ffffff]]][zone], valid calendar dates, at most 6 fractional digits)`
        : `values mix kinds (${dates} dates, ${zoneless + zoned} date-times, ${p.textTimes ?? 0} times)`;
    warn('TIMESTAMP_AS_TEXT', `declared ${d.text} but ${why}; copied as text.`);
    return void set('text');
  }
  if (d.hint === 'uuid' && p.textUuids === texts) return void set('uuid');
  if (d.hint === 'uuid' && p.textUuids !== undefined)
    warn('UUID_AS_TEXT', `declared ${d.text} but ${texts - p.textUuids} of ${texts} values are not UUIDs; copied as text.`);
  if (d.hint === 'json' || d.hint === 'jsonb') {
    if (p.textJson !== undefined) warn('JSON_AS_TEXT', `declared ${d.text} but ${texts - p.textJson} of ${texts} values are not valid JSON; copied as text.`);
    return void set('text');
  }
  if (d.hint === 'boolean') warn('BOOLEAN_AS_TEXT', `declared ${d.text} but holds text; copied as text.`);
  set('text');
}

/** The text style of a timestamp column, from the forms profiling saw. */
function timestampStyle(p: ProfileFacts, zoned: boolean): TimestampStyle {
  const forms = p.timestampForms ?? { separators: 1, fractions: 0, zones: 1 };
  const style: TimestampStyle = { kind: 'timestamp', separator: forms.separators & 2 && !(forms.separators & 1) ? 'T' : ' ', fraction: 'trim', zone: '' };
  const counts = [0, 1, 2, 3, 4, 5, 6].filter((n) => forms.fractions & (1 << n));
  if (counts.length === 1) style.fraction = counts[0]!;
  else if (counts.length === 2 && counts[0] === 0) {
    style.fraction = counts[1]!;
    style.omitZeroFraction = true;
  }
  if (zoned) {
    style.zone = forms.zones & 4 ? '+00:00' : forms.zones & 2 ? 'Z' : forms.zones & 8 ? '+0000' : forms.zones & 16 ? '+00' : '+00:00';
    if (forms.zones & 32) style.zoneSpace = true;
  }
  return style;
}

function uuidStyle(forms: number): UuidStyle {
  return { kind: 'uuid', upper: (forms & 2) !== 0 && (forms & 1) === 0, compact: (forms & 8) !== 0 && (forms & 4) === 0 };
}

/** Adds what the declared type promises beyond the logical type, where the values allow it. */
function refine(out: TypeReading, d: DeclaredType, input: ReadTypeInput, warn: (code: string, message: string) => void): void {
  const t = out.type;
  const p = input.profile;
  if (t.logical === 'int64')
    t.intBits = (input.override !== undefined ? overrideIntBits(input.override) : undefined) ?? integerBits(d, p, input.integers, warn);
  if ((t.logical === 'timestamp' || t.logical === 'timestamptz' || t.logical === 'time') && !out.epoch && p?.timestampForms && p.texts > 0)
    out.style = timestampStyle(p, t.logical === 'timestamptz' && (p.textTimestampsTz ?? 0) > 0);
  if (t.logical === 'uuid' && p?.uuidForms) out.style = uuidStyle(p.uuidForms);
  if (t.logical === 'numeric') {
    const decimal = declaredDecimal(d);
    if (decimal) {
      const values = p ? nonNull(p) : 0;
      if (!p || values === 0 || p.decimalFits === values) {
        t.precision = decimal.precision;
        t.scale = decimal.scale;
      } else if (p.decimalFits !== undefined) {
        warn(
          'NUMERIC_NOT_FITTING',
          `declared ${d.text} but ${values - p.decimalFits} of ${values} values have more digits than it allows; copied as numeric without a limit so that none is rounded.`,
        );
      }
    }
  }
  if (t.logical === 'text') {
    if (d.maxLength !== undefined) {
      if (!p || p.maxTextLength === undefined || p.maxTextLength <= d.maxLength) t.maxLength = d.maxLength;
      else
        warn(
          'VARCHAR_LIMIT_EXCEEDED',
          `declared ${d.text} but holds text of up to ${p.maxTextLength} characters (SQLite does not enforce the limit); copied as text without a limit.`,
        );
    }
    const collation = input.collation?.toUpperCase();
    if (collation === 'NOCASE') t.caseInsensitive = true;
    else if (collation && collation !== 'BINARY')
      warn(
        'COLLATION_NOT_KEPT',
        `COLLATE ${input.collation} has no PostgreSQL equivalent ferry can create; the column compares case- and space-sensitively there.`,
      );
  } else if (input.collation && input.collation.toUpperCase() !== 'BINARY') {
    warn('COLLATION_NOT_KEPT', `COLLATE ${input.collation} is not kept: the column is copied as ${t.logical}, not text.`);
  }
}

/** The integer width: the declared type's, when the values fit it (policy 'fit'); else 64 bits. */
function integerBits(d: DeclaredType, p: ProfileFacts | undefined, policy: IntegerPolicy, warn: (code: string, message: string) => void): 16 | 32 | 64 {
  if (policy === 'bigint') return 64;
  const declared = d.intBits ?? 64;
  if (declared === 64) return 64;
  const fits = (range: [bigint, bigint]) => !p || p.minInteger === undefined || (p.minInteger >= range[0] && p.maxInteger! <= range[1]);
  if (declared === 16 && fits(INT16)) return 16;
  if (fits(INT32)) return 32;
  warn(
    'INTEGER_AS_BIGINT',
    `declared ${d.text || 'without a type'} but holds integers beyond 32 bits (${p!.minInteger}..${p!.maxInteger}); copied as bigint, which node-postgres reads as strings.`,
  );
  return 64;
}

/** Throws TYPE_OVERRIDE when the profiled values cannot all be held exactly by `logical`. */
function checkOverrideFits(where: string, name: string, logical: LogicalType, p: ProfileFacts): void {
  const only = (...allowed: ('integers' | 'reals' | 'texts' | 'blobs')[]) =>
    (['integers', 'reals', 'texts', 'blobs'] as const).every((k) => allowed.includes(k) || p[k] === 0);
  const datesAndTimes = (p.textDates ?? 0) + (p.textTimestamps ?? 0);
  let ok: boolean;
  switch (logical) {
    case 'int64':
      ok = only('integers');
      break;
    case 'float64':
      ok = only('integers', 'reals') && (p.integers === 0 || (p.minInteger! >= -MAX_SAFE && p.maxInteger! <= MAX_SAFE));
      break;
    case 'numeric':
      ok = only('integers', 'reals', 'texts') && (p.texts === 0 || p.textNumeric === p.texts);
      break;
    case 'boolean':
      ok = only('integers') && (p.integers === 0 || p.allZeroOne === true);
      break;
    case 'text':
      ok = only('integers', 'reals', 'texts');
      break;
    case 'bytes':
      ok = only('texts', 'blobs');
      break;
    case 'date':
      ok = only('texts') && (p.texts === 0 || p.textDates === p.texts);
      break;
    case 'timestamp':
      ok = only('texts') && (p.texts === 0 || datesAndTimes === p.texts);
      break;
    case 'timestamptz':
      ok = only('texts') && (p.texts === 0 || datesAndTimes + (p.textTimestampsTz ?? 0) === p.texts);
      break;
    case 'time':
      ok = only('texts') && (p.texts === 0 || p.textTimes === p.texts);
      break;
    case 'json':
    case 'jsonb':
      ok = only('integers', 'reals', 'texts') && (p.texts === 0 || p.textJson === p.texts);
      break;
    case 'uuid':
      ok = only('texts') && (p.texts === 0 || p.textUuids === p.texts);
      break;
    case 'pgtext':
      ok = false;
      break;
  }
  if (!ok) throw overrideError(where, name, describe(p) + extraFacts(p), logical);
}

function extraFacts(p: ProfileFacts): string {
  const out: string[] = [];
  if (p.integers > 0 && p.minInteger !== undefined) out.push(`integers ${p.minInteger}..${p.maxInteger}`);
  if (p.textDates !== undefined) out.push(`${p.textDates} ISO dates, ${p.textTimestamps} date-times, ${p.textTimestampsTz} zoned date-times`);
  if (p.textJson !== undefined) out.push(`${p.textJson} valid JSON texts`);
  if (p.textUuids !== undefined) out.push(`${p.textUuids} UUIDs`);
  return out.length ? ` (${out.join('; ')})` : '';
}
