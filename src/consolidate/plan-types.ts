import type { ConflictPolicy, RowObject } from '../config/types.js';
import type { ConsolidationIndex, ConsolidationPiece, ConsolidationTable } from '../engine/consolidation-role.js';
import type { ErrorCode } from '../errors.js';
import type { EventSink } from './events.js';

/** A source file found (or expected) in sourceDir. */
export interface PlannedSource {
  /** File name as written in the config. */
  name: string;
  path: string;
  /** Bytes on disk, counting the -wal file. */
  bytes: number;
  /** Tables in the file. */
  tables: string[];
  /** Source tables the mapping leaves behind. */
  tablesLeft: string[];
  /** Result of PRAGMA quick_check (dry-run only). */
  check?: string;
}

/** One source table feeding one target table (what the engine copies, plus where it comes from). */
export interface PlannedPiece extends ConsolidationPiece {
  sourcePath: string;
  /** A row function from a TS/JS config (rows go through JS then). */
  rowFn?: (row: RowObject) => RowObject;
}

/** A CREATE INDEX statement for the target. */
export type PlannedIndex = ConsolidationIndex;

/** One table of a target file. */
export interface PlannedTable extends ConsolidationTable {
  /** Indexes to create, rewritten for the target table (see build-target for when). */
  indexes: PlannedIndex[];
  pieces: PlannedPiece[];
  autoincrement: boolean;
  /** What the plan changed or left out, said aloud. */
  notes: string[];
}

/** One target file. */
export interface PlannedTarget {
  file: string;
  path: string;
  tables: PlannedTable[];
  /** Triggers and views to create after the data. */
  postSql: { name: string; sql: string }[];
  /** Whether the sources feeding it used WAL; the target keeps that journal mode. */
  wal: boolean;
}

/** Something wrong or worth knowing, found while planning. */
export interface Problem {
  severity: 'error' | 'warning';
  code: ErrorCode;
  message: string;
  subject?: string;
  hint?: string;
}

/** Keys that appear in more than one source of one target table. */
export interface DuplicateKeys {
  target: string;
  table: string;
  sources: [string, string];
  count: number;
  examples: string[];
  policy: ConflictPolicy;
  /** Whole rows of a table without a key (rows holding NULLs are not counted). */
  wholeRow?: boolean;
}

/** The whole plan: what `ferry consolidate --dry-run` prints and what the run executes. */
export interface ConsolidatePlan {
  configFile: string | null;
  sourceDir: string;
  targetDir: string;
  backupDir: string;
  sources: PlannedSource[];
  /** Mapped files not found in sourceDir. */
  missing: string[];
  /** SQLite files in sourceDir the config does not mention. */
  unmapped: string[];
  targets: PlannedTarget[];
  duplicates: DuplicateKeys[];
  problems: Problem[];
  space: { sourceBytes: number; neededBytes: number; freeBytes: number; dir: string };
  totalRows: number;
  /** Hash of the mapping; a resumed run must have the same one. */
  fingerprint: string;
}

/** What building one target needs. */
export interface BuildTargetInput {
  target: PlannedTarget;
  targetDir: string;
  fingerprint: string;
  backupSet: string;
  /** Source file name -> the backup copy rows are read from. */
  backupFiles: Map<string, string>;
  onEvent: EventSink;
  busyTimeoutMs?: number;
}
