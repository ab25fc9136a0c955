/**
 * Roles `ferry sync` asks of an engine (issue 12): change capture. The one place ferry writes to a
 * source: only its own log table and triggers, all named `_ferry…`, which `remove` takes away again.
 * Changes are logged by key, in commit order, so a sync re-reads the current row for each logged
 * key and applies it, which is idempotent: a change applied twice, or a row copied by the snapshot
 * and then changed, ends the same.
 */
import type { Row } from '../values/value.js';
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
  /** Installs the log and one trigger per table and operation, in one transaction; again: no-op. */
  install(engine: Engine, tables: CapturedTable[]): Promise<void>;
  /** What is installed, or null when nothing is. */
  state(engine: Engine): Promise<CaptureState | null>;
  /** The position of the last logged change (0 when none has been). */
  position(engine: Engine): Promise<number>;
  /** Up to `limit` changes after `after`, in commit order. */
  changesAfter(engine: Engine, after: number, limit: number): Promise<CapturedChange[]>;
  /** The current rows for these keys (key then columns); a key with no row was deleted. */
  rowsByKey(engine: Engine, table: CapturedTable, columns: string[], keys: string[]): Promise<Map<string, Row>>;
  /** Drops logged changes up to `upTo` (they are applied and recorded on the other side). */
  forget(engine: Engine, upTo: number): Promise<void>;
  /** Refuses every write to these tables with `message` (the app sees it), in one transaction. */
  fence(engine: Engine, tables: string[], message: string): Promise<void>;
  /** Lifts the fences. */
  unfence(engine: Engine): Promise<void>;
  /** Removes the log, the triggers and any fence, leaving the database as it was. */
  remove(engine: Engine): Promise<void>;
}

export interface SyncRoles {
  changeCapture: ChangeCapture;
}
