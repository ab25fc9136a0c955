import type { Value } from '../engine/types.js';

/** What happens when a row from a later source collides with a row already in the target table. */
export type ConflictPolicy = 'error' | 'skip' | 'replace';

/** A row as a TS/JS transform sees it: column name -> value. */
export type RowObject = Record<string, Value>;

/**
 * A per-table transform: SQL expressions per target column (JSON/YAML/TS), evaluated by SQLite
 * over the source row, or a function (TS/JS config only) that maps one row to one row.
 */
export type TableTransform = Record<string, string> | ((row: RowObject) => RowObject);

/** How one source table moves. */
export interface TableMapping {
  /** Target table name (default: the source table's name). */
  as?: string;
  /** Columns to keep, in order (default: all). */
  columns?: string[];
  /** Column expressions or a row function applied on the way. */
  transform?: TableTransform;
  /** Conflict policy for this table (default: the source's, then the config's, then 'error'). */
  onConflict?: ConflictPolicy;
}

/** How one source file moves. */
export interface SourceMapping {
  /** Target file name inside targetDir. */
  target: string;
  /** Tables to move (default: all, under their own names, all columns). */
  tables?: Record<string, TableMapping>;
  /** Default conflict policy for this source's tables. */
  onConflict?: ConflictPolicy;
}

/** The `consolidate` section of the config. */
export interface ConsolidateConfig {
  /** Folder holding the legacy SQLite files. */
  sourceDir: string;
  /** Folder the consolidated files are written to. */
  targetDir: string;
  /** Folder for timestamped backups (default `<sourceDir>/backup`). */
  backupDir?: string;
  /** Source file name (relative to sourceDir) -> mapping. */
  sources: Record<string, SourceMapping>;
  /** Default conflict policy for every table. */
  onConflict?: ConflictPolicy;
}

/** The `backup` section of the config. */
export interface BackupConfig {
  /** Default folder for `ferry backup` sets. */
  dir?: string;
}

/** The whole config file. */
export interface FerryConfig {
  consolidate?: ConsolidateConfig;
  backup?: BackupConfig;
}

/** A loaded config: the values plus where they came from (paths resolve against `dir`). */
export interface LoadedConfig {
  config: FerryConfig;
  /** Absolute path of the config file, or null when none was found. */
  file: string | null;
  /** Folder relative paths in the config are resolved against. */
  dir: string;
}
