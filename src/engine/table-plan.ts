/**
 * A table copy's plan as engines receive it: the columns with their neutral and target types, keys,
 * indexes and how to read the table in chunks. Table readers, sinks and DDL writers take these.
 */
import type { ForeignKeyAction } from '../schema/model.js';
import type { ColumnProfile, ColumnType, LogicalType, ValueStyle } from '../values/column-type.js';

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
