/**
 * Roles `ferry verify`, the verify step of `ferry copy` and `ferry consolidate --verify` ask of an
 * engine: a digester (the order-independent checksum of a table's normalised values, the same
 * accumulator on every engine, so digests compare across engines) and a row reader (rows in one
 * key order every engine agrees on, to line up the first differing rows).
 */
import type { ChecksumAccumulator } from '../values/checksum.js';
import type { LogicalType } from '../values/column-type.js';
import type { ConvertOptions } from '../values/convert-value.js';
import type { Row } from '../values/value.js';
import type { Engine } from './types.js';

/** How a column's stored values are read before they are compared (Unix-time units, zone-less UTC). */
export interface ValueReading {
  epoch?: 'seconds' | 'milliseconds';
  zonelessUtc?: boolean;
}

/** What to digest: a table's columns, each compared as a logical type (null: as stored, exactly). */
export interface DigestTask {
  table: string;
  columns: string[];
  /**
   * The engine's own SQL expressions over a row, one per column, read in place of the columns
   * (consolidate's configured transforms).
   */
  expressions?: string[];
  logicals: (LogicalType | null)[];
  reading?: (ValueReading | undefined)[];
  /** The columns' declared types (an engine may pick a faster exact path by them). */
  types?: string[];
}

/** Worker threads digesting tables of one engine's databases, each with connections of its own. */
export interface DigestPool {
  digest(engine: Engine, task: DigestTask): Promise<ChecksumAccumulator>;
  close(): Promise<void>;
}

/** An engine's digester. */
export interface Digester {
  /**
   * Digesting on the calling thread leaves it free enough for the other side's I/O (SQLite hashes
   * in C): verify keeps one such side on the main thread and saves a worker's memory.
   */
  readonly inline: boolean;
  /** One table's digest, on the calling thread. */
  digest(engine: Engine, task: DigestTask): Promise<ChecksumAccumulator>;
  /** Starts `threads` workers digesting tables in parallel; `busyTimeoutMs` is how long they wait on a lock. */
  pool(threads: number, options?: { busyTimeoutMs?: number }): DigestPool;
  /** Row counts from the engine's statistics, to start the biggest tables first; without it tables are counted. */
  rowEstimates?(engine: Engine, tables: string[]): Promise<number[]>;
}

/** Rows read in key order, to walk two sides side by side. */
export interface KeyOrderedRead {
  table: string;
  /** The columns (or, with `expressions`, their names). */
  columns: string[];
  /** The engine's own SQL expressions over a row in place of the columns (consolidate's transforms). */
  expressions?: string[];
  /** The key, as indexes into `columns`. */
  key: number[];
  /** The key columns' logical types: text keys are ordered byte by byte. */
  keyLogicals: (LogicalType | null)[];
}

/** An engine's row reader for lining up differing rows. */
export interface RowReader {
  /**
   * The rows, each as its key values then its column values, ordered as every engine's reader
   * orders them: NULL first, then numbers by value, then text and blobs byte by byte.
   */
  rowsInKeyOrder(engine: Engine, read: KeyOrderedRead): AsyncIterable<Row>;
  /** How its values are normalised for comparison (PostgreSQL's text forms, say). */
  readonly valueForms: ConvertOptions;
}

export interface VerifyRoles {
  digester: Digester;
  rowReader: RowReader;
}

/**
 * A pool that is still starting (its module loading, its workers spawning), usable at once: the
 * worker code loads only when a verification starts, yet the workers start before the first table
 * is asked for, so their start-up overlaps the caller's own preparation.
 */
export function deferredPool(starting: Promise<DigestPool>): DigestPool {
  // Settled here too, so a failed start is reported by the first digest rather than as unhandled.
  starting.catch(() => undefined);
  return {
    digest: async (engine, task) => (await starting).digest(engine, task),
    close: async () => (await starting.catch(() => null))?.close(),
  };
}
