/**
 * The SQLite -> PostgreSQL fast path: rowid tables whose columns the native encoder knows are read
 * through the ferry_copy_rows aggregate, which hands out PostgreSQL COPY BINARY tuples, so rows
 * reach the server without a JavaScript value in between. Light: the encoder loads when a table
 * asks for it.
 */
import type { CopyAccelerator } from '../../engine/table-reader.js';
import type { SqliteEngine } from './sqlite-engine.js';

export const sqliteToPostgresAccelerator: CopyAccelerator = {
  async encodedReader(reader, plan) {
    if (plan.chunkKey.kind !== 'rowid') return null;
    const { nativeEncodedReader } = await import('./sqlite-copy-native.js');
    return nativeEncodedReader(reader.connection as SqliteEngine, plan);
  },
};
