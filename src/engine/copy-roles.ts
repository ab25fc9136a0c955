/**
 * Roles `ferry copy` asks of its source and target engines. The copy plans, creates, loads and
 * links tables the same way whatever the engines are; what one engine does its own way (how it
 * profiles and reads a table, writes rows, spells its DDL, checks it can take a copy) is one of
 * these roles, implemented in the engine's folder. Pair-specific fast paths are accelerators
 * (table-reader.ts), not roles.
 */
import type { CopyPlan } from './copy-plan.js';
import type { ExpressionTranslator } from './sql-translation.js';
import type { TableOrigin } from './table-origin.js';
import type { ChunkKey, ColumnPlan, PlanWarning, TablePlan } from './table-plan.js';
import type { TableReader } from './table-reader.js';
import type { TableSink } from './table-sink.js';
import type { ProfileFacts } from './type-mapper.js';
import type { ConnectionTarget, Dialect, Engine } from './types.js';
import type { Table } from '../schema/model.js';

/** What was read from a source table before planning it. */
export interface TableFacts {
  rows: number;
  /** Column name -> what its values hold (profiled sources, and numeric columns' digits). */
  profiles?: Map<string, ProfileFacts>;
  /** The column that becomes the target's identity / rowid alias, if any. */
  identityColumn?: string;
  /** The identity's next value must be above this. */
  sequenceFloor?: bigint;
}

/** Per-column settings of the copy config that change what is read about a table (a configured type). */
export type ColumnSettings = Record<string, { type?: string }>;

/** Reads a source table for the plan: its row count, what its columns hold, its identity's sequence. */
export type TableFactsRole = (engine: Engine, table: Table, columns: ColumnSettings) => Promise<TableFacts>;

/** How a source engine's tables are read in chunks. */
export interface TableReaderRole {
  /** The key a table is read by, so a resumed copy continues after its last committed chunk. */
  chunkKey(table: Table): ChunkKey;
  /**
   * Opens a reader of one planned table of `engine` (it may open a connection of its own). With
   * `oneInstant`, every chunk it reads sees the table as it was at its first read, though the app
   * goes on writing (ferry sync's snapshot): a row moved meanwhile is never read twice.
   */
  open(engine: Engine, plan: TablePlan, options?: { oneInstant?: boolean }): Promise<TableReader>;
}

/** How a target engine takes rows. */
export interface TableSinkRole {
  /** Opens the sink that writes one planned table through `engine`. */
  open(engine: Engine, plan: TablePlan): Promise<TableSink>;
  /** Several connections may write tables at once (else the copy loads one table at a time). */
  readonly parallelWriters: boolean;
  /** An existing column's declared type decides how its values are stored, so rows copied into it are converted to that type. */
  readonly bindsDeclaredTypes: boolean;
}

/** The DDL a copy plans and runs on its target. */
export interface CopyDdl {
  /** The longest name, in bytes, the engine holds; longer generated names are shortened (none: no limit). */
  readonly maxNameBytes?: number;
  /** A generated name made to fit maxNameBytes, still distinct from others that share its prefix. */
  fitName(name: string): string;
  /** Primary-key and unique constraint names share one namespace with tables and indexes (they name an index). */
  readonly keyNamesAreRelations: boolean;
  /** A CHECK expression that keeps a column's length limit its type cannot hold (citext), or null. */
  lengthCheck(column: ColumnPlan): string | null;
  /** A CREATE [UNIQUE] INDEX from translated key parts and an optional translated WHERE. */
  createIndexSql(table: string, name: string, unique: boolean, keys: string[], where?: string): string;
  /** Completes a table's plan the engine's way once it is planned (SQLite: its full CREATE TABLE, keys inline). */
  finishPlan(plan: TablePlan): void;
  /** The statements that create a planned table before its rows arrive. */
  createTableSql(plan: TablePlan): string[];
  /** Drops a table (with whatever depends on it). */
  dropTableSql(engine: Engine, table: string): string;
  /** Empties tables, together where the engine needs it (tables that reference each other). */
  emptyTablesSql(engine: Engine, tables: string[]): string[];
  /** Creates an extension the schema needs, unless it is there (engines with extensions). */
  createExtensionSql?(name: string): string;
}

/** One statement run after a table is loaded, and what its failure means. */
export interface PostLoadStep {
  kind: 'primary-key' | 'unique' | 'index' | 'foreign-key' | 'check' | 'validate' | 'identity' | 'analyze' | 'trigger';
  /** The constraint or index name, when the step has one. */
  name?: string;
  sql: string;
}

/** What a target engine builds once rows are in. */
export interface PostLoad {
  /** A table's steps once its rows are in (`keys`: keys, indexes, sequence) and once every table has its keys (`links`). */
  steps(plan: TablePlan): { keys: PostLoadStep[]; links: PostLoadStep[] };
  /** What the links phase does, for the progress line. */
  readonly linksMessage: string;
  /**
   * Deletes all but one row per primary-key value, before the key is built: a resumed copy of a
   * source the app writes (ferry sync) can hold a row twice, read before and after the app moved it.
   * The sync's change log then writes each such row's current version.
   */
  keepOneRowPerKeySql?(engine: Engine, plan: TablePlan): string | null;
  /** After a table's links: rows that break its foreign keys, reported as a warning (rows are kept), or null. */
  checkLinks?(engine: Engine, plan: TablePlan): Promise<PlanWarning | null>;
}

/** The target, opened, and what the pre-flight checked (for --dry-run and --verbose). */
export interface Preflight {
  /** The target engine; null only for a dry run into a database that does not exist yet. */
  engine: Engine | null;
  checks: string[];
  /** Removes the database the pre-flight created, for a run that fails before its schema is committed. */
  discard?: () => void;
}

/** How the pre-flight runs. */
export interface PreflightOptions {
  /** About how many bytes the source's rows take. */
  sourceBytes: number;
  /** Write nothing: a file target is opened read-only, and not at all when it does not exist. */
  dryRun?: boolean;
  busyTimeoutMs?: number;
}

/** Checks a target can take a copy before anything is written. */
export interface CopyPreflight {
  /** Opens the target and checks it (connection, rights, room); may settle the plan (extensions, defaults the server refuses). */
  check(target: ConnectionTarget, plan: CopyPlan, options: PreflightOptions): Promise<Preflight>;
  /** Bytes the copy still needs on the target's disk (file targets), for the DISK_FULL hint a resume agrees with. */
  remainingBytes?(target: ConnectionTarget, plan: CopyPlan, sourceBytes: number): Promise<number>;
}

/** An engine whose own DDL is recorded when its tables are copied away and recreated when they come back. */
export interface OriginRecord {
  /** Rewrites a planned table to recreate its recorded origin; false (with a warning) when the table changed too much. */
  restore(plan: TablePlan, origin: TableOrigin, warnings: PlanWarning[]): boolean;
}

/** How a target engine reads other engines' SQL expressions. */
export interface ExpressionTranslation {
  /** The translator from the `source` engine's SQL into this engine's, or null when there is none. */
  from(source: Dialect): Promise<ExpressionTranslator | null>;
}

/** Roles `ferry copy` asks of its source and target engines. */
export interface CopyRoles {
  /** Source: reads a table's facts for the plan (SQLite: a profile of every column; PostgreSQL: row counts, sequence positions). */
  tableFacts: TableFactsRole;
  /** Source: reads a table's rows in chunks by its ChunkKey, resumably. */
  tableReader: TableReaderRole;
  /** Source: about how many bytes the database takes (the free-space check of a file target). */
  databaseSize: (engine: Engine) => Promise<number>;
  /** Target: writes rows into a table and says which rows it refused. */
  tableSink: TableSinkRole;
  /** Target: the plan's DDL (tables, indexes, names, drop, empty, extensions). */
  copyDdl: CopyDdl;
  /** Target: keys, indexes and sequences after the load, then the links (foreign keys NOT VALID + VALIDATE, or triggers). */
  postLoad: PostLoad;
  /** Target: the checks before anything is written (PostgreSQL: version, rights, citext, defaults; SQLite: disk space). */
  copyPreflight: CopyPreflight;
  /** Source and target: the engine's own DDL travels with the copy (`_ferry_origin`) and comes back on the way back. */
  originRecord: OriginRecord;
  /** Target: translates a source engine's defaults, CHECKs and index expressions. */
  expressionTranslation: ExpressionTranslation;
}
