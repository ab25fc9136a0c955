/**
 * How `ferry copy` reads a source table: in key order (its plan's ChunkKey), after the last key a
 * committed chunk recorded, so an interrupted copy resumes where it stopped. A pair of engines may
 * add an accelerator that reads the same rows already encoded in the target's wire format.
 */
import type { Engine } from './types.js';
import type { TablePlan } from './table-plan.js';
import type { TableSink } from './table-sink.js';
import type { Row, Value } from '../values/value.js';

/** Reads one table's rows in key order: each row is the key values, then the plan's columns. */
export interface TableReader {
  /** How many leading values of each row are the key. */
  readonly keyWidth: number;
  /** Values arrive as PostgreSQL's text output (COPY TO), not as typed values. */
  readonly pgText?: boolean;
  /** The connection the rows are read through (an accelerator reading the same table shares it). */
  readonly connection: Engine;
  /** Rows after `after` (all when null) and up to `upTo` when given. */
  read(after: Value[] | null, upTo?: Value[] | null): Iterable<Row> | AsyncIterable<Row>;
  /** Lets go of a connection the reader opened for itself. */
  close(): void;
}

/** One run of rows read and encoded by the source engine (null `encoded`: some value needs JavaScript). */
export interface EncodedRun {
  encoded: Buffer | null;
  rows: number;
  /** The key of the run's last row (the `after` given when the run is empty). */
  lastKey: Value[] | null;
}

/** Reads a table's rows already encoded in a sink's wire format. */
export interface EncodedReader {
  /** The wire format; a sink whose `encodedFormat` is the same takes the runs as they are. */
  readonly format: NonNullable<TableSink['encodedFormat']>;
  /** The next `limit` rows after `after` (from the start when null). */
  read(after: Value[] | null, limit: number): EncodedRun;
}

/**
 * A fast path for one pair of engines (registered in engines/accelerators.ts), used where it
 * applies; the generic reader -> sink path is always the fallback.
 */
export interface CopyAccelerator {
  /** An encoded reader for the table, through the reader's connection, or null when the table does not qualify. */
  encodedReader(reader: TableReader, plan: TablePlan): Promise<EncodedReader | null>;
}
