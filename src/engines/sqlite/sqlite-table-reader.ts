/** How `ferry copy` reads a SQLite source table: in rowid or primary-key order, on a connection of its own. */
import type { TablePlan } from '../../engine/table-plan.js';
import type { TableReader } from '../../engine/table-reader.js';
import type { Row } from '../../values/value.js';
import { openSqlite, type SqliteEngine } from './sqlite-engine.js';
import { sqliteError } from './sqlite-errors.js';
import { keyWidth, readSqliteRows } from './sqlite-read-rows.js';

/**
 * Opens a reader of one planned table. It has its own connection, so tables can be read side by
 * side (a better-sqlite3 connection runs one statement at a time) without opening the writer's file
 * for writing. With `oneInstant`, that connection holds one read transaction until it closes: in
 * WAL mode the app's writes go on, and every chunk sees the table as it was at the first read.
 */
export function openSqliteTableReader(source: SqliteEngine, plan: TablePlan, oneInstant: boolean): TableReader {
  const columns = plan.columns.map((c) => c.source);
  const reader = openSqlite(source.file, { readonly: true, mustExist: true });
  if (oneInstant) reader.db.exec('BEGIN');
  return {
    keyWidth: keyWidth(plan.chunkKey),
    connection: reader,
    read: (after, upTo) => guardSqlite(readSqliteRows(reader.db, reader.file, plan.source, columns, plan.chunkKey, after, upTo), reader.file, plan.source),
    close: () => {
      if (reader.db.inTransaction) reader.db.exec('COMMIT');
      reader.close();
    },
  };
}

/** A corrupt page found while reading becomes a FerryError naming the file and table. */
function* guardSqlite(rows: IterableIterator<Row>, file: string, table: string): Generator<Row> {
  try {
    yield* rows;
  } catch (e) {
    throw sqliteError(e, file, `reading table "${table}" of`);
  }
}
