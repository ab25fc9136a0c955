import type { Row, Value } from '../../values/value.js';
import { FerryError } from '../../errors.js';

/** The protocol's limit on parameters in one statement (a 16-bit count). */
export const MAX_PARAMS = 65535;
/** Rows per INSERT when the caller gives no batch size. */
export const DEFAULT_WRITE_BATCH = 1000;

/** Rows per INSERT: the requested batch size, lowered so the statement stays under MAX_PARAMS. */
export function rowsPerInsert(columnCount: number, requested?: number): number {
  // With no columns each row is its own `INSERT ... DEFAULT VALUES`.
  if (columnCount === 0) return 1;
  const wanted = requested && requested > 0 ? Math.floor(requested) : DEFAULT_WRITE_BATCH;
  return Math.max(1, Math.min(wanted, Math.floor(MAX_PARAMS / columnCount)));
}

/** `INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)` for `rowCount` rows. */
export function insertSql(quotedTable: string, quotedColumns: string[], rowCount: number): string {
  if (quotedColumns.length === 0) return `INSERT INTO ${quotedTable} DEFAULT VALUES`;
  const width = quotedColumns.length;
  const tuples: string[] = [];
  for (let r = 0; r < rowCount; r++) {
    const params: string[] = [];
    for (let c = 1; c <= width; c++) params.push(`$${r * width + c}`);
    tuples.push(`(${params.join(', ')})`);
  }
  return `INSERT INTO ${quotedTable} (${quotedColumns.join(', ')}) VALUES ${tuples.join(', ')}`;
}

/** Flattens rows into one parameter list, checking each row has one value per column. */
export function flattenRows(rows: Row[], columnCount: number, table: string): unknown[] {
  const params: unknown[] = [];
  for (const row of rows) {
    if (row.length !== columnCount) {
      throw new FerryError('INCOMPATIBLE_COLUMNS', `A row for "${table}" has ${row.length} values but ${columnCount} columns were given.`, { subject: table });
    }
    for (const value of row) params.push(toParam(value));
  }
  return params;
}

/**
 * Converts a ferry Value to what pg sends. Numbers go as text (the server parses them with exact
 * rounding); -0 needs its sign spelt out because String(-0) is '0'.
 */
export function toParam(value: Value): unknown {
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array && !Buffer.isBuffer(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return value;
}

/** Splits a batch into slices of at most `size` rows without copying when it already fits. */
export function* slices(rows: Row[], size: number): Generator<Row[]> {
  if (rows.length <= size) {
    if (rows.length > 0) yield rows;
    return;
  }
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
}
