import type { Dialect } from '../engine/types.js';
import type { PlanWarning, TablePlan } from '../engine/table-plan.js';
import type { RecordedOrigin } from './copy-origin.js';

/** Which way a copy goes (only the pieces not yet behind an engine role still ask). */
export type CopyDirection = 'sqlite-to-postgres' | 'postgres-to-sqlite';

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
