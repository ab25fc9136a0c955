/**
 * The role `ferry watch` asks of an engine: what a live database is doing while a migration runs
 * (who waits for whom, long and idle-in-transaction sessions, index builds, ferry's pending steps,
 * dead tuples on the tables being changed), read as plain data, and ending sessions that block a
 * ferry run. Only a server engine can have it: a SQLite file has no sessions to look at.
 */
import type { Engine } from './types.js';

/** A session as the server names it: a pid alone may be reused by a later connection. */
export interface SessionRef {
  pid: number;
  /** When its connection started (ISO 8601, UTC). */
  backendStart: string;
}

/** One server session. */
export interface ActivitySession extends SessionRef {
  user: string | null;
  application: string;
  /** `active`, `idle in transaction`, `idle in transaction (aborted)`, `idle`, ... */
  state: string | null;
  /** `Lock: relation`, `IO: DataFileRead`; null when it is not waiting. */
  waitEvent: string | null;
  /** How long its transaction has run, null outside one. */
  transactionMs: number | null;
  /** How long its query has run (when idle: since its last query started). */
  queryMs: number | null;
  /** The query on one line, shortened to about 100 characters. */
  query: string;
  /** The lock it waits for (`AccessShareLock on relation t`), null when it waits for none. */
  waitingFor: string | null;
  /** The sessions it waits for, directly. */
  blockedBy: number[];
  /** A ferry run: its application name starts with `ferry`, or it holds ferry's run lock. */
  ferry: boolean;
}

/** An index being built. */
export interface IndexBuild {
  pid: number;
  table: string;
  /** Null until the index exists (a plain CREATE INDEX names it only when it is done). */
  index: string | null;
  /** `CREATE INDEX CONCURRENTLY`, `REINDEX`, ... */
  command: string;
  /** `building index: scanning table`, `waiting for old snapshots`, ... */
  phase: string;
  blocksDone: number;
  blocksTotal: number;
  tuplesDone: number;
  tuplesTotal: number;
  /** Blocks done of the total when the phase counts blocks, else tuples; null when it counts neither. */
  percent: number | null;
  /** The session the build waits for in a waiting phase. */
  waitingForPid: number | null;
}

/** A ferry after-commit step (a backfill, a VALIDATE, a concurrent index build) not done yet. */
export interface PendingStep {
  revision: string;
  direction: string;
  position: number;
  kind: string;
  label: string;
  /** A backfill's table. */
  table: string | null;
  rowsDone: number;
  rowsTotal: number | null;
}

/** Why a table is watched. */
export type TableReason = 'backfill' | 'index build' | 'locked';

/** Dead tuples of a table being changed. */
export interface TableHealth {
  table: string;
  live: number;
  dead: number;
  /** ISO 8601, null when autovacuum never ran on it. */
  lastAutovacuum: string | null;
  reasons: TableReason[];
}

/** One look at the database, as plain data. */
export interface ActivitySnapshot {
  /** The server's clock when it was taken (ISO 8601, UTC). */
  at: string;
  /** The watching session itself, which lists nowhere. */
  self: number;
  /**
   * Every other session of the database that waits for a lock, blocks one, belongs to ferry, has a
   * query or transaction older than `longMs`, or is idle in a transaction.
   */
  sessions: ActivitySession[];
  indexBuilds: IndexBuild[];
  steps: PendingStep[];
  tables: TableHealth[];
}

/** What a termination did. */
export interface Termination {
  pid: number;
  terminated: boolean;
  /** Why not, when it was not. */
  reason?: string;
}

export interface ActivityReader {
  /** Reads what the database is doing now. */
  snapshot(engine: Engine, options: { longMs: number; stepsTable: string }): Promise<ActivitySnapshot>;
  /**
   * Ends these sessions. A session that has since gone, or was replaced under the same pid, or now
   * belongs to ferry, is left alone and reported as not terminated.
   */
  terminate(engine: Engine, sessions: readonly SessionRef[]): Promise<Termination[]>;
}

export interface ActivityRoles {
  activity: ActivityReader;
}
