/** The neutral types every value moves through, and the facts profiling finds about a column. */

/**
 * The logical types ferry moves values through. Every column of a copy gets exactly one; it says
 * how a source value is converted (`convert-value.ts`), how it is written on the target engine and
 * how verify normalises both sides, so the copy and its proof use one definition.
 *
 * - `int64`: integers, exact (bigint).
 * - `float64`: IEEE doubles, bit for bit (PostgreSQL `double precision`, never `real`).
 * - `numeric`: exact decimals as text (PostgreSQL `numeric`).
 * - `boolean`: true/false (SQLite 0/1).
 * - `text`: strings; mixed-class SQLite columns land here (integers and reals spelt exactly).
 * - `bytes`: blobs (PostgreSQL `bytea`); mixed columns holding blobs land here.
 * - `date`: `YYYY-MM-DD`.
 * - `timestamp`: date and time without zone, microsecond precision.
 * - `timestamptz`: an instant, microsecond precision, stored in UTC.
 * - `json`: JSON kept as its exact text (PostgreSQL `json`).
 * - `jsonb`: JSON as PostgreSQL `jsonb` (keys reordered, duplicates dropped by PostgreSQL).
 * - `uuid`: a UUID, canonically lower-case `8-4-4-4-12` hex (PostgreSQL `uuid`).
 * - `time`: a time of day without zone, microseconds since midnight (PostgreSQL `time`).
 * - `pgtext`: any other PostgreSQL type (interval, arrays, ...) moved as PostgreSQL's text form.
 */
export type LogicalType =
  'int64' | 'float64' | 'numeric' | 'boolean' | 'text' | 'bytes' | 'date' | 'timestamp' | 'timestamptz' | 'json' | 'jsonb' | 'uuid' | 'time' | 'pgtext';

export const LOGICAL_TYPES: readonly LogicalType[] = [
  'int64',
  'float64',
  'numeric',
  'boolean',
  'text',
  'bytes',
  'date',
  'timestamp',
  'timestamptz',
  'json',
  'jsonb',
  'uuid',
  'time',
  'pgtext',
];

/**
 * A column's type in engine-neutral terms: the logical type values move as, plus what the declared
 * type promises the app (a width, a scale, a limit, case-insensitive comparison). Each engine's type
 * mapper reads its own declared types into this and writes this back as its own DDL, so a copy in
 * either direction is "source mapper reads, target mapper writes" with nothing direction-specific.
 */
export interface ColumnType {
  logical: LogicalType;
  /** int64: the width the declared type promises and every value fits (16, 32 or 64 bits). */
  intBits?: 16 | 32 | 64;
  /** numeric: declared precision and scale, kept only when every value fits them exactly. */
  precision?: number;
  scale?: number;
  /** text: the declared character limit, kept only when every value fits. */
  maxLength?: number;
  /** text: compared without regard to case (SQLite COLLATE NOCASE, PostgreSQL citext). */
  caseInsensitive?: boolean;
  /**
   * numeric: some value has more significant digits than a double holds (15), so a SQLite column
   * of NUMERIC affinity would round it; SQLite targets then keep it as text.
   */
  beyondDouble?: boolean;
  /** The declaration alone does not fix the kind of value (SQLite: no declared type, or NUMERIC affinity without a hint). */
  loose?: boolean;
}

/**
 * How date-times are written as text in a SQLite column, found by profiling, so that the way back
 * writes values the way the app wrote them (`2024-01-01 21:00:00.438 +00:00`, `...T...Z`).
 */
export interface TimestampStyle {
  kind: 'timestamp';
  /** Between the date and the time. */
  separator: ' ' | 'T';
  /** Fractional digits written (0-6; more when a value needs them), or 'trim': only those needed. */
  fraction: number | 'trim';
  /** The fraction is left out when it is zero (Python's isoformat writes `...:05` or `...:05.123000`). */
  omitZeroFraction?: boolean;
  /** How UTC is written after the time ('' for no zone). */
  zone: '' | 'Z' | '+00:00' | '+0000' | '+00';
  /** A space comes before the zone (`... +00:00`). */
  zoneSpace?: boolean;
}

/** How UUIDs are written as text in a SQLite column. */
export interface UuidStyle {
  kind: 'uuid';
  upper: boolean;
  /** Written as 32 hex digits without hyphens (SQLAlchemy's CHAR(32)). */
  compact: boolean;
}

/** A column's stored text form on the SQLite side. */
export type ValueStyle = TimestampStyle | UuidStyle;

/** What profiling found in one source column (SQLite: storage classes per value). */
export interface ColumnProfile {
  nulls: number;
  integers: number;
  reals: number;
  texts: number;
  blobs: number;
  minInteger?: bigint;
  maxInteger?: bigint;
  /** Integers that are all 0 or 1. */
  allZeroOne?: boolean;
  /** Text values that are all ISO dates (`YYYY-MM-DD`). */
  textDates?: number;
  /** Text values that are ISO date-times without a zone, at most microsecond precision. */
  textTimestamps?: number;
  /** Text values that are ISO date-times with a zone (`Z` or `+hh:mm`), at most microsecond precision. */
  textTimestampsTz?: number;
  /** Text values that are valid JSON (only counted when JSON is asked for or declared). */
  textJson?: number;
  /** Text values holding a NUL character, which PostgreSQL text cannot store. */
  textWithNul?: number;
  /** Text values that are times of day (`HH:MM[:SS[.ffffff]]`); counted with the timestamps. */
  textTimes?: number;
  /** Text values that are UUIDs (36 characters with hyphens, or 32 hex digits). */
  textUuids?: number;
  /** The longest text value, in characters (only counted when asked). */
  maxTextLength?: number;
  /** Values (integers, reals, decimal texts) that fit the declared precision and scale exactly. */
  decimalFits?: number;
  /**
   * Which text forms the date-times use, as bit sets: separators (1 space, 2 `T`, 4 date only),
   * fractional digit counts (bit n: n digits) and zones (1 none, 2 `Z`, 4 `+hh:mm`, 8 `+hhmm`,
   * 16 `+hh`, 32 a space before the zone).
   */
  timestampForms?: { separators: number; fractions: number; zones: number };
  /** Which forms the UUIDs use: 1 lower case, 2 upper case, 4 with hyphens, 8 without. */
  uuidForms?: number;
  /** PostgreSQL numeric columns: values with more significant digits than a double keeps (15). */
  beyondDouble?: number;
}
