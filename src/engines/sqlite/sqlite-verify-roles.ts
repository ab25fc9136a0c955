/**
 * SQLite's verify roles: its digester (the checksum aggregate in C, run on the calling thread, or
 * on worker threads that open the files read-only) and its row reader.
 */
import { deferredPool, type Digester, type KeyOrderedRead, type RowReader, type VerifyRoles } from '../../engine/verify-roles.js';
import type { Engine } from '../../engine/types.js';
import type { Row } from '../../values/value.js';
import type { SqliteEngine } from './sqlite-engine.js';
import { quoteSqliteIdent as q } from './sqlite-tokens.js';

const digester: Digester = {
  inline: true,
  async digest(engine, task) {
    const { digestSqliteTable } = await import('./sqlite-digest.js');
    const e = engine as SqliteEngine;
    return e.run('verifying', () => digestSqliteTable(e.db, task));
  },
  pool(threads, options = {}) {
    return deferredPool(import('./sqlite-digest-pool.js').then((m) => m.sqliteDigestPool(threads, options.busyTimeoutMs ?? 5000)));
  },
};

const rowReader: RowReader = {
  valueForms: {},
  async *rowsInKeyOrder(engine: Engine, read: KeyOrderedRead): AsyncIterable<Row> {
    const e = engine as SqliteEngine;
    const exprs = read.expressions ?? read.columns.map(q);
    const keys = read.key.map((i) => exprs[i]!);
    // BINARY: text keys in byte order whatever the column's collation (NOCASE sorts otherwise).
    const order = keys.map((k) => `${k} COLLATE BINARY`).join(', ');
    const sql = `SELECT ${[...keys, ...exprs].join(', ') || 'NULL'} FROM ${q(read.table)}${order ? ` ORDER BY ${order}` : ''}`;
    const rows = e.run(`reading table "${read.table}" of`, () => e.db.prepare(sql).raw(true).iterate() as IterableIterator<Row>);
    yield* rows;
  },
};

export const sqliteVerifyRoles: VerifyRoles = { digester, rowReader };
