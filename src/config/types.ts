import type { ConflictPolicy } from '../engine/consolidation-role.js';
import type { Value } from '../values/value.js';

/** The words `integers` takes, in the config and as `--integers`. */
export const INTEGER_POLICIES = ['fit', 'bigint'] as const;
/** The words `virtualTables` takes, in the config and as `--virtual-tables`. */
export const VIRTUAL_TABLE_MODES = ['fail', 'skip'] as const;

/** What happens when a row from a later source collides with a row already in the target table (declared with the engine contract). */
export type { ConflictPolicy };

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

/** A per-column override of `ferry copy`. */
export interface CopyColumnConfig {
  /**
   * The logical type to use instead of the profiled one (`int64`, `float64`, `numeric`, `boolean`,
   * `text`, `bytes`, `date`, `time`, `timestamp`, `timestamptz`, `json`, `jsonb`, `uuid`). Refused
   * before anything is written when the column's values do not fit it.
   */
  type?: string;
  /** Integers in this column are Unix epoch times in these units, copied as timestamptz. */
  epoch?: 'seconds' | 'milliseconds';
  /** Target column name (default: the source's, case kept). */
  as?: string;
}

/** A per-table override of `ferry copy`. */
export interface CopyTableConfig {
  /** Target table name (default: the source's, case kept). */
  as?: string;
  /** Rows per committed chunk for this table. */
  batchSize?: number;
  /** Column name -> override. */
  columns?: Record<string, CopyColumnConfig>;
}

/** The `copy` section of the config: defaults for `ferry copy` / `ferry verify`. */
export interface CopyConfig {
  /** Source URL or SQLite path (the command line's `<from>` wins). */
  from?: string;
  /** Target URL or SQLite path (the command line's `<to>` wins). */
  to?: string;
  /** Copy only these tables. */
  include?: string[];
  /** Leave these tables out. */
  exclude?: string[];
  /** Rows per committed chunk. */
  batchSize?: number;
  /** Tables loaded at once. */
  parallel?: number;
  /** What to do with a target table that already holds rows. */
  ifExists?: 'fail' | 'truncate' | 'append';
  /** Refused rows tolerated before the run fails (default 0). */
  maxRejects?: number;
  /** Columns declared JSON become jsonb (when every value parses) instead of json. */
  jsonb?: boolean;
  /**
   * Integer columns: `fit` (default) keeps the declared width when every value fits (INTEGER is
   * PostgreSQL integer, read by node-postgres as a number); `bigint` makes every integer bigint.
   */
  integers?: (typeof INTEGER_POLICIES)[number];
  /**
   * SQLite virtual tables (FTS, R*Tree) have no PostgreSQL table equivalent: `fail` (default) stops
   * before anything is written and names them; `skip` leaves them out with a warning.
   */
  virtualTables?: (typeof VIRTUAL_TABLE_MODES)[number];
  /** Where refused rows are written (default `ferry-rejects-<time>.jsonl` in the working folder). */
  rejectFile?: string;
  /** Table name -> override. */
  tables?: Record<string, CopyTableConfig>;
}

/** The `revisions` section: where schema revisions live and which database they version. */
export interface RevisionsConfig {
  /** The revisions folder (default `migrations`). */
  dir?: string;
  /** The database URL or SQLite path (`--url` and DATABASE_URL win). */
  url?: string;
  /** For autogenerate: the declared schema (`schema.sql`). */
  schema?: string;
  /**
   * PostgreSQL: the longest one attempt of a revision waits for a lock, as `--lock-timeout` (`'5s'`,
   * or milliseconds); a revision's own `-- ferry:lock-timeout` wins.
   */
  lockTimeout?: string | number;
}

/** A table an app requires, by name, or with the columns it reads. */
export type RequiredTable = string | { table: string; columns?: string[] };

/** One database the app uses, in the `databases` section (`ferry status`, `ferry serve`, the health checks). */
export interface DatabaseConfig {
  /** Its URL or SQLite path. */
  url?: string;
  /** The environment variable holding its URL (read when the check runs; `url` is the fallback). */
  urlEnv?: string;
  /** Its revisions folder: revision state (current, pending, edited files) is checked against it. */
  revisions?: string;
  /** Tables (and columns) the app needs: a missing one makes the database invalid. */
  requiredTables?: RequiredTable[];
  /** Whether `/readyz` waits for it (default true). */
  required?: boolean;
  /** Where its backup sets are (default: `backup/` beside a SQLite file). */
  backups?: string;
  /** How long one check of it may take (default '2s'). */
  timeout?: string | number;
}

/** The whole config file. */
export interface FerryConfig {
  revisions?: RevisionsConfig;
  /** The databases the app uses, by name. */
  databases?: Record<string, DatabaseConfig>;
  consolidate?: ConsolidateConfig;
  backup?: BackupConfig;
  copy?: CopyConfig;
}

/** A loaded config: the values plus where they came from (paths resolve against `dir`). */
export interface LoadedConfig {
  config: FerryConfig;
  /** Absolute path of the config file, or null when none was found. */
  file: string | null;
  /** Folder relative paths in the config are resolved against. */
  dir: string;
  /** A config found in the working folder that could not be used, set aside because the command does not need one. */
  ignored?: { file: string; error: Error };
}
