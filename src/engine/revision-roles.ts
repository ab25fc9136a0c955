/**
 * Roles the revision commands (upgrade, downgrade, stamp, check, autogenerate, --sql) ask of an
 * engine. The revision code itself is engine-neutral: where two engines do a job two ways (lock a
 * run, set the connection up for it, run or render a schema operation, make a scratch database),
 * the caller asks the engine's role and each way lives in its engine's folder.
 */
import type { Schema } from '../schema/model.js';
import type { SchemaOp } from '../schema/operations.js';
import type { RunLock } from './run-lock.js';
import type { Engine } from './types.js';

/** Roles the revision commands ask of an engine. */
export interface RevisionRoles {
  /** Takes the run lock on the database, waiting up to `timeoutMs` (LOCKED after); it dies with the process. */
  runLock: (engine: Engine, timeoutMs: number) => Promise<RunLock>;
  /** What ferry's version and history tables need of the engine's SQL. */
  versionTables: VersionTablesSql;
  /** Hooks around a run of revisions: connection settings, per-revision steps, round-trip batching. */
  revisionRun: RevisionRunHooks;
  /** Runs schema operations (`ctx.ops`) on a live database, and renders them as a revision (autogenerate). */
  schemaOps: SchemaOpsRole;
  /** Scratch databases: an empty one (check, autogenerate, --sql), or a copy of the live one (--sql). */
  scratch: ScratchDatabases;
  /** How the engine's SQL text splits into statements. */
  statementSyntax: StatementSyntax;
  /** Fills in what introspection leaves out and schema operations need; engines whose introspection is complete have none. */
  schemaNormaliser: (schema: Schema) => Promise<Schema>;
}

/** The engine-specific SQL of ferry's version and history tables. */
export interface VersionTablesSql {
  /** A query that returns a row when table `name` exists in the current schema (one catalog lookup). */
  existsQuery(name: string): string;
  /** The type of the history table's integer key `seq`. */
  historyKeyType: string;
  /** Text that follows the version table's column list (table options), or ''. */
  versionTableOptions: string;
}

/** Steps of a revision run that differ by engine; every hook but `prepare` is optional. */
export interface RevisionRunHooks {
  /** Sets the connection up for a run, outside any transaction; returns what restores it. */
  prepare(engine: Engine): Promise<() => void>;
  /** Inside a revision's transaction, before its statements; `last` is the plan's last revision. */
  beforeRevision?(engine: Engine, revision: { transactional: boolean; last: boolean }): Promise<void>;
  /** Inside the transaction, after the revision ran: rows left pointing at missing parents, or null. */
  danglingReferences?(engine: Engine): Promise<DanglingReferences | null>;
  /** Sends runs of plain-SQL revisions in one round trip. */
  batch?: RevisionBatching;
  /** Lock-safe runs: each revision waits for its locks only so long, and is retried when it times out. */
  lockWaits?: LockWaits;
}

/** How an engine bounds a revision's waits for locks, and tells a lock wait that timed out. */
export interface LockWaits {
  /** Sets how long statements wait for a lock and run at most (`local`: for the current transaction only). */
  limit(engine: Engine, limits: { lockMs: number; statementMs: number | null; local: boolean }): Promise<void>;
  /** Lifts session-level limits set by `limit` (a no-transaction revision). */
  reset(engine: Engine): Promise<void>;
  /** Whether an error (or its cause) is a lock wait that timed out or a deadlock: worth retrying. */
  isLockWait(error: unknown): boolean;
  /**
   * Before a no-transaction revision's first statement runs (again): removes what an earlier failed
   * run of it left half done (PostgreSQL: the INVALID index of a CREATE INDEX CONCURRENTLY).
   */
  cleanUpBefore?(engine: Engine, statement: string): Promise<void>;
}

/** Rows a revision left pointing at missing parents. */
export interface DanglingReferences {
  count: number;
  /** A few of them, described (`table rowid 3 -> parent`). */
  sample: string[];
  /** How the user lists them all. */
  listedBy: string;
}

/** Round-trip batching of plain-SQL revisions. */
export interface RevisionBatching {
  /** Revisions sent in one round trip at most. */
  limit: number;
  /**
   * Sends the revisions in one round trip, each in its own transaction with its record; true when
   * all committed, false when one failed (its transaction rolled back, the ones before committed).
   * `flushLast`: the batch ends the plan, so its last commit is durable before the call returns.
   */
  send(engine: Engine, revisions: BatchedRevision[], options: { flushLast: boolean; lockTimeoutMs?: number }): Promise<boolean>;
}

/** One revision of a batch, as the engine sends it. */
export interface BatchedRevision {
  /** Its statements, in order. */
  statements: string[];
  /** An SQL expression of the applied_at text recorded by the revision before it in the batch; null for the first. */
  previousAppliedAt: string | null;
  /** The statements recording it in ferry's tables, given SQL expressions for its end (ISO text) and its duration (ms). */
  record(clock: { appliedAt: string; durationMs: string }): string;
}

/** Schema operations on one engine. */
export interface SchemaOpsRole {
  /** Performs one op on a live connection (inside the caller's transaction, if open); returns the statements that ran. */
  run(engine: Engine, op: SchemaOp): Promise<string[]>;
  /**
   * The op's lock-light form for a live database, on engines that have one: what runs now, in the
   * revision's transaction (brief locks only), and the steps that finish it after that transaction
   * commits (a VALIDATE, a concurrent index build). Undefined when the op has no such form, or
   * needs none (SQLite, whose writers queue on one database lock anyway): the op then runs plainly.
   */
  online?(engine: Engine, op: SchemaOp): Promise<OnlineForm | undefined>;
  /** Expand: a new column kept in step with an old one by a trigger, and backfilled (engines that have one). */
  expand?(engine: Engine, expansion: ColumnExpansion): Promise<OnlineForm>;
  /**
   * Contract: drops the old column of an expansion and its trigger; the new column takes its default
   * and NOT NULL. With `revert`, the down of the expand: the new column and the trigger go instead.
   */
  contract?(engine: Engine, table: string, column: string, revert?: boolean): Promise<OnlineForm>;
  /**
   * Renders ops offline for a revision file, `before` and `after` being the schemas around them:
   * each step is SQL text, or the op itself when only a live run can perform it (a table rebuild).
   */
  render(ops: SchemaOp[], before: Schema, after: Schema): Promise<(string | SchemaOp)[]>;
}

/**
 * A column renamed or retyped while two versions of the app run: `to` is added beside `from`, and
 * writes to either are copied to the other until `contract` drops `from`.
 */
export interface ColumnExpansion {
  table: string;
  from: string;
  to: string;
  /** The new column's type (default: the old column's). */
  type?: string;
  /** The new column's value as an SQL expression of the old value's expression `v` (default: a cast). */
  convert?: (v: string) => string;
  /** The old column's value from the new one's (default: a cast back). */
  revert?: (v: string) => string;
}

/** An op in two halves: statements for the revision's transaction, and steps for after it commits. */
export interface OnlineForm {
  now: string[];
  after: AfterCommitStep[];
}

/**
 * Work of a revision that runs after its transaction commits, in order, each step on its own: plain
 * data, kept in ferry's steps table so that a killed run resumes at the step (and, for a backfill,
 * the batch) where it stopped. The revision counts as applied only when all of them are done.
 */
export type AfterCommitStep = SqlStep | BackfillStep;

/** Statements run together: in one transaction (marked done in it), or without one (each idempotent, so a rerun is safe). */
export interface SqlStep {
  kind: 'sql';
  /** What the step does, for progress lines (`validate orders_customer_fk`). */
  label: string;
  statements: string[];
  transactional: boolean;
}

/** An UPDATE run in key order, a batch per transaction (see revisions/backfill.ts). */
export interface BackfillStep {
  kind: 'backfill';
  label: string;
  table: string;
  /** `column = SQL expression` pairs. */
  set: Record<string, string>;
  /** Only rows matching this SQL condition are updated (every key range is still walked). */
  where?: string;
  /** First batch size (rows); later batches adapt to `batchMs`. */
  batchSize: number;
  /** The time one batch should take; sizes grow or shrink toward it. */
  batchMs: number;
  /** Pause between batches, so the app's own writes get the table between them. */
  pauseMs: number;
  /** Statements run first in each batch's transaction (an expand trigger's "this is ferry" flag). */
  setup?: string[];
}

/** Scratch databases of one engine. */
export interface ScratchDatabases {
  /**
   * Runs `fn` on a new, empty database, removed afterwards even on failure. `url` is the live
   * database (an engine with a server makes the scratch one there); `purpose` says, in a failure
   * message, why ferry wanted one.
   */
  withEmpty<T>(url: string | undefined, purpose: string, fn: (scratch: Engine) => Promise<T>): Promise<T>;
  /** How `--sql` describes an empty scratch database once the live one's revisions are replayed on it. */
  replayedDescription: string;
  /** Whether `withCopy` can copy this live database. */
  canCopy(live: Engine): boolean;
  /** Runs `fn` on a copy of the live database (same schema and rows), deleted afterwards. */
  withCopy<T>(live: Engine, fn: (copy: Engine) => Promise<T>): Promise<T>;
}

/** What `splitStatements` must know of an engine's SQL to find the `;` that end statements. */
export interface StatementSyntax {
  /** `$tag$ ... $tag$` quoted strings. */
  dollarQuotes: boolean;
  /** Block comments nest. */
  nestedComments: boolean;
  /** `E'...'` strings, in which a backslash escapes. */
  escapeStrings: boolean;
  /** `[name]` and `` `name` `` quote identifiers. */
  bracketIdentifiers: boolean;
  /**
   * Statements that hold a `;`-separated body: CREATE, optionally one of `modifiers` (word runs),
   * then one of `objects`; the body opens with BEGIN (BEGIN ATOMIC when `beginAtomic`) and closes
   * at its END (CASE ... END nests).
   */
  compoundBodies: { modifiers: string[][]; objects: string[]; beginAtomic: boolean };
}
