import type { Row, Value } from '../values/value.js';

/** One row on its way into the target: its source key, source values and converted values. */
export interface SinkRow {
  /** The row's key in the source (rowid or primary-key values); empty for keyless tables. */
  key: Value[];
  /** The values as read from the source, in plan column order (for reject records). */
  source: Row;
  /** The values converted to each column's logical type (convert-value's canonical forms). */
  values: Row;
}

/**
 * Rows already encoded in the target's wire format by the source engine (SQLite's native COPY
 * encoder), passed through as they are.
 */
export interface EncodedRows {
  encoded: Buffer;
  rows: number;
}

/** What a sink is given: rows to convert and encode, or rows already encoded. */
export type SinkItem = SinkRow | EncodedRows;

/** A row the target cannot take, found before it was sent (e.g. text with a NUL for PostgreSQL). */
export type RefuseRow = (row: SinkRow, column: string | undefined, reason: string) => void;

/** Why the target refused a row it was sent, when the failure is about the row and not the run. */
export interface RowRefusal {
  reason: string;
  column?: string;
}

/**
 * Where a table's rows go. Each engine writes its own way (PostgreSQL: binary COPY in chunks of
 * tens of KB; SQLite: a prepared INSERT), always inside the caller's transaction, so the caller can
 * commit a chunk together with the progress that records it.
 */
export interface TableSink {
  /** Writes the rows; rows refused before sending go to `refuse` and are left out. */
  write(rows: Iterable<SinkItem> | AsyncIterable<SinkItem>, refuse: RefuseRow): Promise<{ rows: number; bytes: number }>;
  /** The wire format EncodedRows must be in for this sink, or null when it takes none. */
  readonly encodedFormat: 'postgres-binary' | null;
  /**
   * When `error` (thrown by `write`) was caused by the data of some row rather than by the
   * connection or the schema, says why, so the caller can narrow it down to the row; else null.
   */
  refusal(error: unknown): RowRefusal | null;
  /** True when a failed write may have left rows behind that the caller must isolate row by row. */
  readonly wholeChunkFails: boolean;
}
