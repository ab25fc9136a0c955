/** The options of `ferry copy`, and their checking: the first step of a copy, before anything is opened. */
import type { CopyPlan } from '../engine/copy-plan.js';
import path from 'node:path';
import type { CopyConfig } from '../config/types.js';
import type { ConnectionTarget } from '../engine/types.js';
import { engineLabel, parseUrl, resolveDatabaseArgument, roleOf } from '../engines/registry.js';
import { FerryError } from '../errors.js';
import { timestampName } from '../util/fs-atomic.js';
import type { CopyEvent } from './copy-events.js';

/** Options of `ferry copy`; the CLI and the library call the same function with these. */
export interface CopyOptions {
  /** Source URL or SQLite path. */
  from: string;
  /** Target URL or SQLite path. */
  to: string;
  /** Copy only these tables. */
  include?: string[];
  /** Leave these tables out. */
  exclude?: string[];
  /** Rows per committed chunk (default 50,000). */
  batchSize?: number;
  /** Tables loaded at once (default 2; SQLite targets take one writer). */
  parallel?: number;
  /** Create the schema (tables, keys, indexes) and copy no rows. */
  schemaOnly?: boolean;
  /** Copy rows into tables that already exist; create nothing. */
  dataOnly?: boolean;
  /** A target table that already holds rows: stop (default), empty it first, or add to it. */
  ifExists?: IfExists;
  /** Continue a copy that was interrupted (its progress is kept in the target). */
  resume?: boolean;
  /** Refused rows tolerated (default 0). */
  maxRejects?: number;
  /** Run verify at the end (default true). */
  verify?: boolean;
  /** JSON-declared columns become jsonb. */
  jsonb?: boolean;
  /** Integer widths: fit the declared type and values (default), or always bigint. */
  integers?: 'fit' | 'bigint';
  /** Tables without a primary key carry their rowid as a key column `_ferry_rowid` (ferry sync). */
  rowidKeys?: boolean;
  /** SQLite virtual tables (FTS, R*Tree): stop before writing (default) or leave them out. */
  virtualTables?: 'fail' | 'skip';
  /** The reject file (default `ferry-rejects-<time>.jsonl` in `cwd`). */
  rejectFile?: string;
  /** The config file's `copy` section. */
  config?: CopyConfig;
  /** Folder relative paths resolve against (default process.cwd()). */
  cwd?: string;
  /** Plan and run the pre-flight checks, and write nothing (the report holds the plan). */
  dryRun?: boolean;
  /** How long to wait for a locked database (SQLite busy timeout, PostgreSQL lock_timeout). */
  lockTimeoutMs?: number;
  /** Progress events. */
  onEvent?: (e: CopyEvent) => void;
  /** Called with the plan once it is made (ferry sync keeps it to convert later changes alike). */
  onPlan?: (plan: CopyPlan) => void | Promise<void>;
  /**
   * The app goes on writing the source (ferry sync): each table is read at one instant, and a
   * resumed copy (whose tables were partly read at another) keeps one row per key, the later one.
   */
  liveSource?: boolean;
}

/** What to do with a target table that already holds rows. */
export type IfExists = 'fail' | 'truncate' | 'append';

export const DEFAULT_BATCH_SIZE = 50_000;
export const DEFAULT_PARALLEL = 2;

/** A copy's options, checked, with the config's values and the defaults filled in. */
export interface CopySettings {
  options: CopyOptions;
  config: CopyConfig;
  from: ConnectionTarget;
  to: ConnectionTarget;
  batchSize: number;
  /** Tables loaded at once (1 where the target takes one writer). */
  parallel: number;
  maxRejects: number;
  ifExists: IfExists;
  /** The reject file of a new run (a resumed one keeps the interrupted run's). */
  rejectFile: string;
  emit: (e: CopyEvent) => void;
}

/** Checks the options of a copy and settles every value it runs with. */
export function copySettings(options: CopyOptions): CopySettings {
  const cwd = options.cwd ?? process.cwd();
  const config = options.config ?? {};
  const from = parseUrl(resolveDatabaseArgument(options.from, cwd));
  const to = parseUrl(resolveDatabaseArgument(options.to, cwd));
  if (from.dialect === to.dialect) {
    throw new FerryError('USAGE', `ferry copy moves data between two engines; ${from.displayUrl} and ${to.displayUrl} are both ${engineLabel(from)}.`, {
      hint: 'To merge SQLite files use ferry consolidate; to copy a file database use ferry backup.',
    });
  }
  if (options.schemaOnly && options.dataOnly) throw new FerryError('USAGE', 'Choose one of --schema-only and --data-only.');
  const batchSize = positive(options.batchSize ?? config.batchSize ?? DEFAULT_BATCH_SIZE, '--batch-size');
  const parallel = roleOf(to, 'tableSink').parallelWriters ? positive(options.parallel ?? config.parallel ?? DEFAULT_PARALLEL, '--parallel') : 1;
  return {
    options,
    config,
    from,
    to,
    batchSize,
    parallel,
    maxRejects: options.maxRejects ?? config.maxRejects ?? 0,
    ifExists: options.ifExists ?? config.ifExists ?? 'fail',
    rejectFile: path.resolve(cwd, options.rejectFile ?? config.rejectFile ?? `ferry-rejects-${timestampName()}.jsonl`),
    emit: options.onEvent ?? (() => undefined),
  };
}

function positive(n: number, flag: string): number {
  if (!Number.isInteger(n) || n < 1) throw new FerryError('USAGE', `${flag} must be a whole number above 0, not ${n}.`);
  return n;
}
