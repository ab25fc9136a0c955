/**
 * Roles `ferry sync` asks of an engine (issue 12): change capture. The one place ferry writes to a
 * source: only its own log table and triggers, all named `_ferry…`, which `remove` takes away again.
 * Changes are logged by key, in commit order, so a sync re-reads the current row for each logged
 * key and applies it, which is idempotent: a change applied twice, or a row copied by the snapshot
 * and then changed, ends the same.
 */
import type { Row, Value } from '../values/value.js';
import type { CopyPlan } from './copy-plan.js';
import type { TablePlan } from './table-plan.js';
import type { RunLock } from './run-lock.js';
import type { Engine } from './types.js';

/** A table whose changes are captured, and the columns that identify its rows (none: the rowid). */
export interface CapturedTable {
  table: string;
  key: string[];
}

/** One logged change: where it stands in commit order, its table and operation, and the row's key. */
export interface CapturedChange {
  position: number;
  table: string;
  op: 'insert' | 'update' | 'delete';
  /** The key as the engine writes it (an opaque token the same role reads rows by). */
  key: string;
}

/** What capture is installed on a database. */
export interface CaptureState {
  tables: CapturedTable[];
  /** Tables whose writes are refused (fenced) at the moment. */
  fenced: string[];
}

export interface ChangeCapture {
  /** Whether writes can be captured on this database now, or why not (journal mode, say). */
  captureProblem(engine: Engine): Promise<string | null>;
  /** Tables whose rows the other side could not key (NULLs in a primary key, a hidden rowid), each with why; read before anything is installed. */
  keyProblems(engine: Engine, tables: CapturedTable[]): Promise<{ table: string; problem: string }[]>;
  /** Installs the log and one trigger per table and operation, in one transaction; again: no-op. */
  install(engine: Engine, tables: CapturedTable[]): Promise<void>;
  /** What is installed, or null when nothing is. */
  state(engine: Engine): Promise<CaptureState | null>;
  /** The position of the last logged change (0 when none has been). */
  position(engine: Engine): Promise<number>;
  /** How long ago the oldest change after `after` was logged, in ms (null: none pending). */
  pendingAge(engine: Engine, after: number): Promise<number | null>;
  /** Up to `limit` changes after `after`, in commit order. */
  changesAfter(engine: Engine, after: number, limit: number): Promise<CapturedChange[]>;
  /** The current rows for these keys (key then columns); a key with no row was deleted. */
  rowsByKey(engine: Engine, table: CapturedTable, columns: string[], keys: string[]): Promise<Map<string, Row>>;
  /** A fingerprint of these tables' definitions (ferry's own triggers left out): it changes when their schema does. */
  schemaFingerprint(engine: Engine, tables: string[]): Promise<string>;
  /** The key values a key token stands for (to delete a row that is gone). */
  keyValues(key: string): Value[];
  /** Drops logged changes up to `upTo` (they are applied and recorded on the other side). */
  forget(engine: Engine, upTo: number): Promise<void>;
  /** Refuses every write to these tables with `message` (the app sees it), in one transaction. */
  fence(engine: Engine, tables: string[], message: string): Promise<void>;
  /** Lifts the fences. */
  unfence(engine: Engine): Promise<void>;
  /** Removes the log, the triggers and any fence, leaving the database as it was. */
  remove(engine: Engine): Promise<void>;
  /**
   * Runs `fn` with every read of this connection seeing one instant of the database (the log and the
   * rows alike), while the app goes on writing; `fn` must not write through this connection. An
   * engine whose digester reads on the same connection offers it: cutover then compares both sides
   * before its fence, and only the rows changed since while writes are paused.
   */
  oneInstant?<T>(engine: Engine, fn: () => Promise<T>): Promise<T>;
  /** The highest key the table ever handed out (SQLite's AUTOINCREMENT counter), kept from reuse on the other side; null: none kept. */
  highestIssuedKey?(engine: Engine, table: string): Promise<bigint | null>;
}

/** Where a sync stands, kept on the target and written with every applied batch. */
export interface SyncState {
  /** The source, as its URL (masked), so one target can tell its syncs apart. */
  source: string;
  phase: 'snapshot' | 'catch-up' | 'cut-over' | 'rolled-back';
  /** The source's change-log position applied up to. */
  position: number;
  /** The copy's plan, once the snapshot is copied: how each source value becomes a target value. */
  plan?: CopyPlan;
  /** Changes per second in the last batch. */
  rate?: number;
  /** The source tables' schema when capture began, and the target tables' once the snapshot was copied: a sync stops when either changes. */
  schema?: string;
  targetSchema?: string;
  /** Where refused rows are written, chosen by the first run; and how many were refused so far. */
  rejectFile?: string;
  rejected?: number;
  /** When the cutover switched writes to the target, and how long writes were paused. */
  cutoverAt?: string;
  pauseMs?: number;
  /** Changes applied so far, and when the last batch was. */
  applied: number;
  updatedAt: string;
}

/** One table's share of a batch: rows to write (target values, in the plan's column order) and keys to delete. */
export interface TableChanges {
  table: TablePlan;
  upserts: Row[];
  deletes: Value[][];
}

/** The target side of a sync: applies changes by key, with the sync's state in the same transaction. */
export interface ChangeSink {
  /** The sync's own lock on the target, or null while another run of this sync holds it (a killed run never keeps it). */
  tryLock(engine: Engine, source: string): Promise<RunLock | null>;
  readState(engine: Engine, source: string): Promise<SyncState | null>;
  /** Every sync this database receives (for `ferry status`); empty when none. */
  readStates(engine: Engine): Promise<SyncState[]>;
  /** Writes the state alone (a phase change), creating its table when needed. */
  writeState(engine: Engine, state: SyncState): Promise<void>;
  /** Applies one batch and records `state` in one transaction: a kill leaves the batch whole or not at all. */
  apply(engine: Engine, changes: TableChanges[], state: SyncState): Promise<void>;
  /**
   * The rows with these keys (target values, in the plan's key order), each as its key values then
   * the plan's columns, in the forms the engine's row reader gives (`valueForms`); a key with no row
   * is left out.
   */
  rowsByKey(engine: Engine, table: TablePlan, keys: Value[][]): Promise<Row[]>;
  /**
   * Moves each table's own key numbering (an identity sequence) past every key the sync wrote and
   * past `floors` (by target table), so the app's first insert after the switch takes a new key.
   */
  settleKeys(engine: Engine, tables: TablePlan[], floors: Map<string, bigint>): Promise<void>;
  /** Drops the rowid key column (ROWID_KEY_COLUMN) the snapshot's copy gave these tables. */
  removeRowidKeys(engine: Engine, tables: string[]): Promise<void>;
  /** Forgets a sync (its state; the table goes with the last one). */
  dropState(engine: Engine, source: string): Promise<void>;
}

export interface SyncRoles {
  changeCapture: ChangeCapture;
  changeSink: ChangeSink;
}
