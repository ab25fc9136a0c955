/**
 * The `consolidation` role: what ferry consolidate asks of the engine its files belong to. The
 * plan (src/consolidate) decides what moves where; the engine reads facts of a source, counts keys
 * two sources share, and builds a target file from pieces of backup copies, resumably.
 */
import type { FerryError } from '../errors.js';
import type { ChecksumAccumulator } from '../values/checksum.js';
import type { Engine } from './types.js';

/** What happens when a row from a later source collides with a row already in the target table. */
export type ConflictPolicy = 'error' | 'skip' | 'replace';

/** A CREATE INDEX statement for a target table. */
export interface ConsolidationIndex {
  name: string;
  sql: string;
  /** Unique indexes must exist before a second source is merged in: conflicts are found with them. */
  unique: boolean;
}

/** One source table feeding one target table, as the engine copies it. */
export interface ConsolidationPiece {
  /** Stable id used for resume: `<source file>/<source table>`. */
  id: string;
  /** The source file's name (in reject records and messages). */
  source: string;
  sourceTable: string;
  /** Target column names, in insert order. */
  columns: string[];
  /** SQL expression over the source row per column (quoted column, or a configured transform). */
  exprs: string[];
  /** Source columns a row transform receives (rows then go through JavaScript). */
  fnInputColumns?: string[];
  onConflict: ConflictPolicy;
  rows: number;
  /** The source table has a rowid, so it can be copied in key-range chunks. */
  hasRowid: boolean;
  /**
   * Every column, unchanged and in the source's order: the first piece into an empty table can be
   * a plain `INSERT ... SELECT *`, which SQLite runs as a page-level transfer.
   */
  wholeTable: boolean;
}

/** One table of a target file, as the engine builds it. */
export interface ConsolidationTable {
  name: string;
  createSql: string;
  indexes: ConsolidationIndex[];
  /** Unique keys (primary key, UNIQUE constraints, unique indexes) used to find conflicts. */
  keys: string[][];
  /** A keyless table merged from several sources: its whole row (NULL-safe) is its only key. */
  wholeRowKey?: string[];
  /** Declared types of the target columns (for staging rows that pass through JavaScript). */
  columnTypes: Record<string, string>;
  pieces: readonly ConsolidationPiece[];
  withoutRowid: boolean;
}

/** One side of a shared-key count: a source connection, its table and the key's expressions. */
export interface KeySide {
  db: Engine;
  table: string;
  exprs: string[];
}

/** Keys found on both sides, with up to five of them as people read them. */
export interface SharedKeys {
  count: number;
  examples: string[];
}

/** Progress of one piece, as the run reports it (the caller adds which piece it is). */
export type PieceEvent =
  | { type: 'piece-start'; rows: number; done: number }
  | { type: 'piece-progress'; done: number; rows: number }
  | { type: 'piece-done'; inserted: number; skipped: number; replaced: number; ms: number; alreadyDone?: boolean };

/** How one piece is copied. */
export interface PieceCopyOptions {
  /** The backup copy of the piece's source file, which rows are read from. */
  backupFile: string;
  /** The target file's name (in conflict messages). */
  targetFile: string;
  /** A row transform: source values (of `fnInputColumns`) in, insert values (of `columns`) out. */
  transform?: (raw: unknown[]) => unknown[];
  onEvent: (event: PieceEvent) => void;
}

/** An AUTOINCREMENT target table and the source tables whose highest issued ids it keeps. */
export interface SequenceSource {
  table: string;
  sources: { file: string; table: string }[];
}

/** What a finished build holds, read before ferry's progress records are dropped. */
export interface BuildSummary {
  /** Per table (in the order asked): rows now in it, per piece what it wrote, and the removed rows' digest. */
  tables: { rows: number; removedDigest: string | null; pieces: { inserted: number; skipped: number; replaced: number }[] }[];
  /** Rows whose foreign key points nowhere, per table. */
  foreignKeyProblems: { table: string; count: number }[];
}

/** A row left out on purpose (skipped, or replaced by a later source's row). */
export interface RejectRecord {
  table: string;
  source: string;
  sourceTable: string;
  action: 'skipped' | 'replaced';
  /** The row's key values. */
  key: unknown;
}

/** What a half-built target file is: resumable for this job, finished but not renamed, or stale. */
export type PartialBuildState = 'resume' | 'finalized' | 'discard';

/**
 * A target file being built. Each step records its progress in the file, in the same
 * transaction as its rows, so a killed build resumes where it stopped without duplicating a row.
 */
export interface TargetBuild {
  /** Sets the connection up; a fresh build (not a resume) also records the fingerprint and creates the tables, in one transaction. */
  start(fresh: { fingerprint: string; targetFile: string; tables: ConsolidationTable[] } | null): Promise<void>;
  /** Creates these indexes once, as the step `stepId`; `where` names the table in errors. */
  createIndexes(stepId: string, indexes: ConsolidationIndex[], where: string): Promise<void>;
  /** Copies one piece in chunks under its conflict policy, continuing a killed run's progress. */
  copyPiece(table: ConsolidationTable, piece: ConsolidationPiece, options: PieceCopyOptions): Promise<void>;
  /** Once: creates the triggers and views (failures are returned, not thrown) and carries AUTOINCREMENT sequences. */
  finishObjects(postSql: { name: string; sql: string }[], sequences: SequenceSource[]): Promise<string[]>;
  /** What the build wrote. */
  summary(tables: ConsolidationTable[]): Promise<BuildSummary>;
  /** The rows left out on purpose, in the order they were met. */
  rejects(): Promise<RejectRecord[]>;
  /** Drops ferry's progress records, leaves the file in its final journal mode (`wal`: a write-ahead log) and closes it. */
  seal(options: { wal: boolean }): Promise<void>;
  /** Closes the file if it is still open. */
  close(): Promise<void>;
}

/** Consolidation (ferry consolidate): many file databases merged into a few, inside the engine. */
export interface ConsolidationRole {
  /** Whether a source keeps a write-ahead log (its target then keeps that journal mode). */
  usesWriteAheadLog(source: Engine): Promise<boolean>;
  /** 'ok', or up to `limit` problems (joined by '; ') a quick integrity check of a source finds. */
  quickCheck(source: Engine, limit: number): Promise<string>;
  /** Null when `expr` is a valid expression over a row of `table`, else the engine's reason. */
  expressionProblem(source: Engine, table: string, expr: string): Promise<string | null>;
  /** A CREATE TABLE rewritten for the target: new name, only `keepColumns`, REFERENCES renamed; constraints left out are named. */
  rewriteCreateTable(sql: string, options: { newName: string; keepColumns?: string[]; renames?: Map<string, string> }): { sql: string; dropped: string[] };
  /** A CREATE INDEX with a new index name on a new table name, the rest as written. */
  rewriteCreateIndex(sql: string, indexName: string, tableName: string): string;
  /** Keys of `b` also in `a` (whole rows NULL-safely when `wholeRow`); `subject` names both in errors. */
  countSharedKeys(a: KeySide, b: KeySide, options: { wholeRow: boolean; subject: string }): Promise<SharedKeys>;
  /** What an existing half-built target file is, for a job with this fingerprint. */
  partialState(file: string, fingerprint: string): Promise<PartialBuildState>;
  /** Opens (creating it if need be) a target file to build from pieces. */
  openTargetBuild(file: string, options: { busyTimeoutMs?: number }): Promise<TargetBuild>;
  /** An error of this engine as a FerryError naming `subject` and what was being done (a FerryError is kept). */
  explainError(error: unknown, subject: string, doing: string): FerryError;
  /**
   * The digest of the rows a piece with a row transform writes: read from `sourceFile`, passed
   * through `transform` and staged with the target's column types, as a build stages them (the
   * column types decide each value's storage class), then digested as stored.
   */
  digestTransformed(
    sourceFile: string,
    table: ConsolidationTable,
    piece: ConsolidationPiece,
    transform: (raw: unknown[]) => unknown[],
  ): Promise<ChecksumAccumulator>;
}
