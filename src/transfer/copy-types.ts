import type { Dialect } from '../engine/types.js';
import type { ForeignKeyAction } from '../schema/model.js';

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
 * - `pgtext`: any other PostgreSQL type (uuid, interval, arrays, ...) moved as PostgreSQL's text form.
 */
export type LogicalType = 'int64' | 'float64' | 'numeric' | 'boolean' | 'text' | 'bytes' | 'date' | 'timestamp' | 'timestamptz' | 'json' | 'jsonb' | 'pgtext';

export const LOGICAL_TYPES: readonly LogicalType[] = ['int64', 'float64', 'numeric', 'boolean', 'text', 'bytes', 'date', 'timestamp', 'timestamptz', 'json', 'jsonb', 'pgtext'];

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
  /** The type as written in the target's DDL, e.g. `double precision`, `bigint`, `INTEGER`. */
  targetType: string;
  nullable: boolean;
  /** Default as an expression in the target's dialect, or null (also when it could not be translated: see warnings). */
  default: string | null;
  /** The target column is an identity column (PostgreSQL) / rowid alias (SQLite). */
  identity?: boolean;
  /** Epoch values (integers) in this column are converted to timestamps: only when configured. */
  epoch?: 'seconds' | 'milliseconds';
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
}

/** The whole plan of `ferry copy`, plain data: dry runs, `--json` and progress all read it. */
export interface CopyPlan {
  from: { dialect: Dialect; displayUrl: string };
  to: { dialect: Dialect; displayUrl: string };
  tables: TablePlan[];
  warnings: PlanWarning[];
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
