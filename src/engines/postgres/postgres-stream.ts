import type pg from 'pg';
import type { Row } from '../../values/value.js';

/** Sends one statement on a connection; `array` returns rows as arrays in column order. */
export type Send = (sql: string, rowMode?: 'array') => Promise<pg.QueryResult>;
import { quoteIdent } from './postgres-quote.js';

/** Rows per FETCH when the caller gives no batch size. */
export const DEFAULT_STREAM_BATCH = 1000;

/** Builds the SELECT that streamRows reads: the chosen columns in order, optionally sorted. */
export function selectSql(quotedTable: string, columns?: string[], orderBy?: string[]): string {
  const list = columns ? columns.map(quoteIdent).join(', ') : '*';
  const order = orderBy && orderBy.length > 0 ? ` ORDER BY ${orderBy.map(quoteIdent).join(', ')}` : '';
  return `SELECT ${list} FROM ${quotedTable}${order}`;
}

/**
 * Yields the rows of `sql` in batches through a server-side cursor, so only one batch is ever in
 * memory however big the table. A cursor only lives inside a transaction: with `ownTransaction`
 * this opens (and always ends) a read-only one, otherwise it uses the caller's. The cursor is
 * closed even when the consumer stops early.
 */
export async function* fetchInBatches(send: Send, sql: string, cursorName: string, batchSize: number, ownTransaction: boolean): AsyncGenerator<Row[]> {
  const cursor = quoteIdent(cursorName);
  if (ownTransaction) await send('BEGIN READ ONLY');
  let declared = false;
  try {
    await send(`DECLARE ${cursor} NO SCROLL CURSOR FOR ${sql}`);
    declared = true;
    for (;;) {
      const result = await send(`FETCH FORWARD ${batchSize} FROM ${cursor}`, 'array');
      if (result.rows.length > 0) yield result.rows as Row[];
      if (result.rows.length < batchSize) break;
    }
  } finally {
    // Ending the transaction drops the cursor too; inside the caller's transaction it must be
    // closed explicitly. Failures here only mean the transaction is already gone.
    if (ownTransaction) await send('ROLLBACK').catch(() => undefined);
    else if (declared) await send(`CLOSE ${cursor}`).catch(() => undefined);
  }
}
