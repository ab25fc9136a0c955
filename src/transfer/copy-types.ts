import type { Dialect } from '../engine/types.js';
import type { ForeignKeyAction } from '../schema/model.js';
import type { RecordedOrigin } from './copy-origin.js';

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
export type LogicalType = 'int64' | 'float64' | 'numeric' | 'boolean' | 'text' | 'bytes' | 'date' | 'timestamp' | 'timestamptz' | 'json' | 'jsonb' | 'uuid' | 'time' | 'pgtext';

export const LOGICAL_TYPES: readonly LogicalType[] = ['int64', 'float64', 'numeric', 'boolean', 'text', 'bytes', 'date', 'timestamp', 'timestamptz', 'json', 'jsonb', 'uuid', 'time', 'pgtext'];

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

/** Which way a copy goes (only the pieces not yet behind an engine role still ask). */
export type CopyDirection = 'sqlite-to-postgres' | 'postgres-to-sqlite';

/** A message about the plan the user should read (a type widened, a default or index not translated). */
export interface PlanWarning {
  /** Stable code, e.g. MIXED_TYPES, TIMESTAMP_AS_TEXT, DEFAULT_DROPPED, INDEX_SKIPPED, CHECK_SKIPPED. */
  code: string;
  table: string;
  column?: string;
  /** The constraint or index concerned, when there is one. */
  object?: string;
  message: string;
}

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

/** One column of a table copy. */
export interface ColumnPlan {
  /** Column name in the source (case kept). */
  source: string;
  /** Column name in the target (case kept; the same unless configured). */
  target: string;
  /** The source's declared type text ('' when none). */
  sourceType: string;
  logical: LogicalType;
  /** The neutral type (logical plus width, scale, limit, case) the target's DDL was written from. */
  type: ColumnType;
  /** The type as written in the target's DDL, e.g. `numeric(10,2)`, `integer`, `DATETIME`. */
  targetType: string;
  nullable: boolean;
  /** Default as an expression in the target's dialect, or null (also when it could not be translated: see warnings). */
  default: string | null;
  /** The default is a translated expression the target is asked about before anything is written. */
  defaultExpression?: boolean;
  /** The target column is an identity column (PostgreSQL) / rowid alias (SQLite). */
  identity?: boolean;
  /** Epoch values (integers) in this column are converted to timestamps (configured, or plain from the values). */
  epoch?: 'seconds' | 'milliseconds';
  /** Date-times without a zone in a timestamptz column are read as UTC (SQLite's clock writes UTC without a zone). */
  zonelessUtc?: boolean;
  /** How the SQLite side writes the values as text (profiled on the way in, kept for the way back). */
  style?: ValueStyle;
  /** The target column existed before the copy: each value is checked against its limits (scale, length). */
  checkLimits?: boolean;
  /** The type or reading was configured (copy.tables.<t>.columns.<c>.type or .epoch): the user's choice. */
  configured?: boolean;
  profile?: ColumnProfile;
}

export interface IndexPlan {
  name: string;
  unique: boolean;
  /** The complete CREATE INDEX statement in the target's dialect. */
  sql: string;
}

export interface ForeignKeyPlan {
  name: string;
  columns: string[];
  refTable: string;
  refColumns: string[];
  onDelete: ForeignKeyAction;
  onUpdate: ForeignKeyAction;
}

export interface CheckPlan {
  name: string;
  /** The boolean expression in the target's dialect. */
  expression: string;
}

/** How a table is read in key order, so a resumed run continues after the last committed chunk. */
export type ChunkKey =
  /** SQLite rowid tables: `WHERE rowid > ? ORDER BY rowid`. */
  | { kind: 'rowid' }
  /** Ordered by the primary key columns (text keys in byte order on both engines). */
  | { kind: 'primary-key'; columns: string[] }
  /** No usable key: a partial table is emptied and copied again on resume. */
  | { kind: 'none' };

/** One table of a copy: the source, the target's shape and the steps after loading. */
export interface TablePlan {
  source: string;
  target: string;
  columns: ColumnPlan[];
  primaryKey: { name: string; columns: string[] } | null;
  uniques: { name: string; columns: string[] }[];
  indexes: IndexPlan[];
  foreignKeys: ForeignKeyPlan[];
  checks: CheckPlan[];
  chunkKey: ChunkKey;
  /** Rows in the source when planned. */
  rowEstimate: number;
  /** For identity columns: the next value must be above this (AUTOINCREMENT's sqlite_sequence, a PostgreSQL sequence). */
  sequenceFloor?: bigint;
  /** SQLite targets: the full CREATE TABLE (keys and foreign keys are declared inline there). */
  createSql?: string;
  /** SQLite targets: the table's own CREATE TRIGGER statements, run once every table is loaded. */
  triggers?: string[];
}

/** The whole plan of `ferry copy`, plain data: dry runs, `--json` and progress all read it. */
export interface CopyPlan {
  from: { dialect: Dialect; displayUrl: string };
  to: { dialect: Dialect; displayUrl: string };
  tables: TablePlan[];
  warnings: PlanWarning[];
  /** What the copy records about where its tables came from (SQLite sources; see copy-origin.ts). */
  origin?: RecordedOrigin;
  /** SQLite targets: the original database's CREATE VIEW statements, run last. */
  views?: string[];
  /** PostgreSQL targets: extensions the schema needs that the copy creates (citext). */
  extensions?: string[];
}

/** One refused row, as written (one JSON object per line) to the reject file. */
export interface RejectRecord {
  table: string;
  /** The row's key in the source (rowid or primary key values), as JSON-safe values. */
  key: unknown;
  column?: string;
  value?: unknown;
  reason: string;
}
