import type { Value } from './value.js';
import type { LogicalType } from './column-type.js';
import { canonicalDecimal, isPlainInteger, numberToDecimal, parseDecimal } from './decimal-text.js';
import { canonicalJson, jsonProblem } from './json-canonical.js';
import { epochToMicros, parseIsoDate, parseIsoTimestamp, parseTimeOfDay } from './time-text.js';
import { canonicalUuid } from './uuid-text.js';

/**
 * Converts values into the canonical form of each logical type (see copy-types.ts), refusing any
 * value that cannot be held exactly. Canonical forms: int64 bigint; float64 number (bit-exact,
 * -0, NaN and ±Infinity kept); numeric decimal text PostgreSQL reads (plain or exponent form, NaN,
 * Infinity, -Infinity); boolean boolean; text string (a real spelt as its shortest round-trip
 * text, '-0' kept); bytes Buffer; date 'YYYY-MM-DD'; timestamp
 * and timestamptz bigint microseconds since 1970-01-01 (UTC for timestamptz); json, jsonb and
 * pgtext string. Each converter is a closure chosen once per column: the common cases (bigint
 * into int64, number into float64, string into text) cost one typeof test.
 */

/** A value that cannot be held exactly by its column's logical type; `reason` says why. */
export class ConversionError extends Error {
  /** Why, phrased to stand alone in a reject record (e.g. "text 'abc' in an integer column"). */
  readonly reason: string;
  /** The value's index in its row, when a row encoder (e.g. binary COPY) refused it. */
  column?: number;
  constructor(reason: string, column?: number) {
    super(reason);
    this.name = 'ConversionError';
    this.reason = reason;
    if (column !== undefined) this.column = column;
  }
}

/** How values reach a converter. */
export interface ConvertOptions {
  /** Integers in timestamp columns are epoch counts in this unit (only when configured). */
  epoch?: 'seconds' | 'milliseconds';
  /**
   * Strings are PostgreSQL's text output for the column (COPY TO or pg's text results): int8,
   * float8 and bool text are read as numbers and booleans, and bytes columns read `\x` hex.
   * Without it, text in an integer, float or boolean column is refused and text in a bytes
   * column is taken as its UTF-8 bytes.
   */
  pgText?: boolean;
  /** timestamptz: a value without a zone is read as UTC (else it is refused). */
  zonelessUtc?: boolean;
  /** numeric: the target's precision and scale; a value that would be rounded is refused. */
  precision?: number;
  scale?: number;
  /** text: the target's character limit; a longer value is refused, never cut. */
  maxLength?: number;
  /** int64: the target's integer width when narrower (16 or 32 bits); a value beyond it is refused. */
  intBits?: 16 | 32;
}

/**
 * The convert options a planned column implies: its reading rules, and its target's limits when
 * they were not proven by profiling (a target column that already existed).
 */
export function convertOptionsOf(
  c: {
    epoch?: 'seconds' | 'milliseconds';
    zonelessUtc?: boolean;
    checkLimits?: boolean;
    type?: { precision?: number; scale?: number; maxLength?: number; intBits?: 16 | 32 | 64 };
  },
  pgText = false,
): ConvertOptions {
  const o: ConvertOptions = {};
  if (pgText) o.pgText = true;
  if (c.epoch) o.epoch = c.epoch;
  if (c.zonelessUtc) o.zonelessUtc = true;
  if (!c.checkLimits) return o;
  if (c.type?.precision !== undefined) {
    o.precision = c.type.precision;
    o.scale = c.type.scale ?? 0;
  }
  if (c.type?.maxLength !== undefined) o.maxLength = c.type.maxLength;
  if (c.type?.intBits === 16 || c.type?.intBits === 32) o.intBits = c.type.intBits;
  return o;
}

/** Turns a source value into the logical type's canonical value. */
export type Converter = (v: Value) => Value;

/** Prefix of what normalizerFor returns for a value that does not convert, so verify shows it. */
export const INVALID_MARKER = '\u0000invalid:';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const FLOAT_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const HEX_BYTEA = /^\\x(?:[0-9a-fA-F]{2})*$/;

/** The converter for one column; throws ConversionError for values the type cannot hold exactly. */
export function converterFor(logical: LogicalType, options: ConvertOptions = {}): Converter {
  const pgText = options.pgText === true;
  switch (logical) {
    case 'int64': {
      const bits = options.intBits;
      if (bits === undefined) return (v) => (typeof v === 'bigint' || v === null ? v : toInt64(v, pgText));
      const [min, max] = [-(2n ** BigInt(bits - 1)), 2n ** BigInt(bits - 1) - 1n];
      return (v) => {
        if (v === null) return null;
        const n = typeof v === 'bigint' ? v : toInt64(v, pgText);
        if (n < min || n > max) fail(v, `is beyond the ${bits}-bit integer column`);
        return n;
      };
    }
    case 'float64':
      return (v) => (typeof v === 'number' || v === null ? v : toFloat64(v, pgText));
    case 'numeric': {
      const { precision, scale } = options;
      if (precision === undefined) return (v) => (v === null ? null : toNumeric(v));
      return (v) => (v === null ? null : fitNumeric(v, toNumeric(v), precision, scale ?? 0));
    }
    case 'boolean':
      return (v) => (typeof v === 'boolean' || v === null ? v : toBoolean(v, pgText));
    case 'text':
    case 'pgtext': {
      const limit = options.maxLength;
      if (limit === undefined) return (v) => (typeof v === 'string' || v === null ? v : toText(v));
      return (v) => (v === null ? null : fitLength(typeof v === 'string' ? v : toText(v), limit));
    }
    case 'bytes':
      return (v) => (v === null ? null : toBytes(v, pgText));
    case 'date':
      return (v) => (v === null ? null : toDate(v));
    case 'timestamp':
    case 'timestamptz': {
      const withZone = logical === 'timestamptz';
      const { epoch, zonelessUtc } = options;
      return (v) => (v === null ? null : toTimestamp(v, withZone, epoch, zonelessUtc === true));
    }
    case 'uuid':
      return (v) => (v === null ? null : toUuid(v));
    case 'time':
      return (v) => (v === null ? null : toTime(v));
    case 'json':
    case 'jsonb':
      return (v) => (v === null ? null : toJson(v));
  }
}

/**
 * The converter followed by canonicalisation, for verify: equal values on both engines become
 * identical JS values (numeric '12.50' and 12.5 both '12.5'; jsonb with sorted keys and canonical
 * numbers; timestamps as microseconds). A value that does not convert becomes INVALID_MARKER +
 * its text, so the difference shows in the checksum instead of stopping verify.
 */
export function normalizerFor(logical: LogicalType, options: ConvertOptions = {}): Converter {
  const convert = converterFor(logical, options);
  const canonical = logical === 'numeric' ? canonicalNumeric : logical === 'jsonb' ? canonicalJsonb : logical === 'float64' ? canonicalFloat : null;
  return (v) => {
    try {
      const c = convert(v);
      return canonical && c !== null ? canonical(c) : c;
    } catch (e) {
      if (e instanceof ConversionError) return INVALID_MARKER + textOf(v);
      throw e;
    }
  };
}

/** Readable text of any value, for reject reasons and invalid markers. */
function textOf(v: Value): string {
  if (v === null) return 'NULL';
  if (typeof v === 'number') return numberText(v);
  if (v instanceof Uint8Array) return `\\x${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}`;
  return String(v);
}

/** How a value is named in a reason: "text 'abc'", "integer 5", "real 1.5", "blob of 3 bytes". */
function describe(v: Value): string {
  if (typeof v === 'string') return `text '${v.length > 40 ? `${v.slice(0, 40)}…` : v}'`;
  if (typeof v === 'bigint') return `integer ${v}`;
  if (typeof v === 'number') return `real ${numberText(v)}`;
  if (typeof v === 'boolean') return `boolean ${v}`;
  if (v instanceof Uint8Array) return `blob of ${v.byteLength} bytes`;
  return 'NULL';
}

function fail(v: Value, why: string): never {
  throw new ConversionError(`${describe(v)} ${why}`);
}

/**
 * How a real is spelt in a text column (a mixed SQLite column): JavaScript's shortest round-trip
 * text, so reading it back as a double gives the same bits, with '-0' for negative zero (String
 * gives '0') and NaN/Infinity/-Infinity as PostgreSQL spells them. Exponents are JavaScript's
 * ('1e-7', '1e+21'), where PostgreSQL's float8 output would print '1e-07'.
 */
function numberText(n: number): string {
  return Object.is(n, -0) ? '-0' : String(n);
}

function toInt64(v: Value, pgText: boolean): bigint {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) fail(v, 'is not a whole number, so an integer column cannot hold it');
    const b = BigInt(v);
    if (b < INT64_MIN || b > INT64_MAX) fail(v, 'is outside the 64-bit integer range');
    return b;
  }
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (typeof v === 'string' && pgText && isPlainInteger(v)) {
    const b = BigInt(v);
    if (b >= INT64_MIN && b <= INT64_MAX) return b;
  }
  if (v instanceof Uint8Array) fail(v, 'in an integer column');
  return fail(v, 'in an integer column is not a 64-bit integer');
}

function toFloat64(v: Value, pgText: boolean): number {
  if (typeof v === 'bigint') {
    const n = Number(v);
    if (BigInt(n) === v) return n;
    fail(v, 'cannot be held exactly by a double (float64)');
  }
  if (typeof v === 'string') {
    // SQLite cannot store a NaN real (it becomes NULL), so ferry writes NaN there as text.
    if (v === 'NaN' || v === 'Infinity' || v === '-Infinity') return Number(v);
    if (pgText && FLOAT_TEXT.test(v)) return Number(v);
  }
  return fail(v, 'in a float column is not a number');
}

function toNumeric(v: Value): string {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return numberToDecimal(v);
  if (typeof v === 'string') {
    const d = parseDecimal(v);
    if (d === null) fail(v, 'is not a decimal number PostgreSQL numeric can hold');
    return typeof d === 'string' ? d : v;
  }
  return fail(v, 'in a numeric column is not a number');
}

/** Text spellings of a boolean apps write (besides 0/1 integers), and PostgreSQL's t/f. */
const BOOLEAN_TEXT: Record<string, boolean> = {
  '0': false,
  '1': true,
  true: true,
  false: false,
  t: true,
  f: false,
  TRUE: true,
  FALSE: false,
  True: true,
  False: false,
};

function toBoolean(v: Value, pgText: boolean): boolean {
  if (v === 0n || v === 0) return false;
  if (v === 1n || v === 1) return true;
  if (typeof v === 'string') {
    const b = BOOLEAN_TEXT[v];
    if (b !== undefined && (pgText || (v !== 't' && v !== 'f'))) return b;
  }
  return fail(v, 'in a boolean column is not 0 or 1 (or true/false)');
}

function toText(v: Value): string {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return numberText(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return fail(v, 'in a text column: only a bytes (bytea) column can hold blobs');
}

function toBytes(v: Value, pgText: boolean): Buffer {
  if (v instanceof Uint8Array) return Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (typeof v === 'string') {
    if (!pgText) return Buffer.from(v, 'utf8');
    if (HEX_BYTEA.test(v)) return Buffer.from(v.slice(2), 'hex');
    fail(v, 'is not PostgreSQL bytea hex output (\\x...)');
  }
  if (typeof v === 'bigint' || typeof v === 'number') return Buffer.from(toText(v), 'utf8');
  return fail(v, 'in a bytes column');
}

function toDate(v: Value): string {
  if (typeof v !== 'string') return fail(v, 'in a date column is not an ISO date (YYYY-MM-DD)');
  const days = parseIsoDate(v);
  if (typeof days === 'number') return v;
  // A date-time at midnight is a date exactly (an app's DATETIME column moved into a date column).
  const micros = v.length > 10 ? parseIsoTimestamp(v, false) : null;
  if (typeof micros === 'bigint' && micros % 86_400_000_000n === 0n) return v.slice(0, 10);
  return fail(v, typeof micros === 'bigint' ? 'has a time of day, which a date column would drop' : days);
}

function toTimestamp(v: Value, withZone: boolean, epoch: 'seconds' | 'milliseconds' | undefined, zonelessUtc: boolean): bigint {
  let r: bigint | string;
  if (typeof v === 'string') r = parseIsoTimestamp(v, withZone, zonelessUtc);
  else if ((typeof v === 'bigint' || typeof v === 'number') && epoch) r = epochToMicros(v, epoch);
  else if (typeof v === 'bigint' || typeof v === 'number') r = 'is a number; configure epoch seconds or milliseconds for this column to read it as a time';
  else r = 'in a timestamp column is not an ISO date-time';
  return typeof r === 'bigint' ? r : fail(v, r);
}

function toUuid(v: Value): string {
  if (typeof v !== 'string') return fail(v, 'in a uuid column is not a UUID');
  return canonicalUuid(v) ?? fail(v, 'is not a UUID (8-4-4-4-12 hex digits, or 32 hex digits)');
}

function toTime(v: Value): bigint {
  if (typeof v !== 'string') return fail(v, 'in a time column is not a time of day');
  const r = parseTimeOfDay(v);
  return typeof r === 'bigint' ? r : fail(v, r);
}

/** The canonical decimal when it fits numeric(precision, scale) without rounding; else refused. */
function fitNumeric(v: Value, canonical: string, precision: number, scale: number): string {
  const d = parseDecimal(canonical);
  if (d === null || typeof d === 'string') return fail(v, `cannot be held by numeric(${precision},${scale})`);
  // Trailing zeros do not count: 12.50 fits numeric(4,1) as 12.5 exactly.
  const trimmed = d.digits.replace(/0+$/, '');
  const exponent = d.exponent + (d.digits.length - trimmed.length);
  const fractionDigits = Math.max(0, -exponent);
  const integerDigits = Math.max(0, trimmed.length + exponent);
  if (fractionDigits > scale) return fail(v, `has ${fractionDigits} digits after the point; numeric(${precision},${scale}) would round it`);
  if (integerDigits > precision - scale)
    return fail(v, `has ${integerDigits} digits before the point; numeric(${precision},${scale}) holds ${precision - scale}`);
  return canonical;
}

function fitLength(text: string, limit: number): string {
  // PostgreSQL counts characters (code points), not UTF-16 units.
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) n++;
  }
  return n <= limit ? text : fail(text, `has ${n} characters; the column holds at most ${limit}`);
}

function toJson(v: Value): string {
  // Not validated here: profiling already proved every value of a JSON column parses (else the
  // column is text), and PostgreSQL checks json/jsonb input itself, refusing a bad row on its own.
  // Parsing each document again cost more than encoding the whole row.
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'boolean') return String(v);
  return fail(v, 'in a JSON column is not JSON');
}

function canonicalNumeric(v: Value): Value {
  // parseDecimal cannot fail here: the converter only lets valid decimals through.
  return canonicalDecimal(parseDecimal(v as string)!);
}

function canonicalJsonb(v: Value): Value {
  // The converter no longer validates, so a document that does not parse is a difference to show.
  return jsonProblem(v as string, true) === null ? canonicalJson(v as string) : INVALID_MARKER + (v as string);
}

function canonicalFloat(v: Value): Value {
  // One NaN bit pattern, whatever payload the source carried. -0 compares as 0: a SQLite REAL
  // column cannot hold -0.0 (it stores 0), so a copy back into one would otherwise never verify.
  return Number.isNaN(v) ? NaN : v === 0 ? 0 : v;
}
