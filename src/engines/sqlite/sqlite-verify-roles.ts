/**
 * SQLite's verify roles: its digester (the checksum aggregate in C, run on the calling thread, or
 * on worker threads that open the files read-only) and its row reader.
 */
import type { Digester, DigestPool, DigestTask, KeyOrderedRead, RowReader, VerifyRoles } from '../../engine/verify-roles.js';
import type { Engine } from '../../engine/types.js';
import { ChecksumAccumulator } from '../../values/checksum.js';
import type { Row } from '../../values/value.js';
import { WorkerPool } from '../../util/worker-pool.js';
import type { SqliteEngine } from './sqlite-engine.js';
import { sqliteError } from './sqlite-errors.js';
import { quoteSqliteIdent as q } from './sqlite-tokens.js';
import type { SqliteDigestJob } from './sqlite-digest-worker.js';

const digester: Digester = {
  inline: true,
  async digest(engine, task) {
    const { digestSqliteTable } = await import('./sqlite-digest.js');
    const e = engine as SqliteEngine;
    return e.run('verifying', () => digestSqliteTable(e.db, task));
  },
  pool(threads, options = {}) {
    return digestPool(threads, options.busyTimeoutMs ?? 5000);
  },
};

function digestPool(threads: number, busyTimeoutMs: number): DigestPool {
  const pool = new WorkerPool<SqliteDigestJob, string>(new URL('./sqlite-digest-worker.js', import.meta.url), {
    size: threads,
    youngGenerationMb: 8,
    toError: (reply, job) => sqliteError(Object.assign(new Error(reply.message), { code: reply.code }), job.file, 'verifying'),
  });
  return {
    async digest(engine: Engine, task: DigestTask) {
      const file = (engine as SqliteEngine).file;
      return ChecksumAccumulator.fromDigest(await pool.run({ file, busyTimeoutMs, task }));
    },
    close: () => pool.close(),
  };
}

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
