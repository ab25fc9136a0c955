/**
 * PostgreSQL's verify roles: its digester (COPY BINARY hashed on worker threads, each with its own
 * connection) and its row reader (key order with text keys in byte order, COLLATE "C").
 */
import type { Digester, DigestPool, DigestTask, KeyOrderedRead, RowReader, VerifyRoles } from '../../engine/verify-roles.js';
import type { Engine } from '../../engine/types.js';
import { FerryError, type ErrorCode } from '../../errors.js';
import { ChecksumAccumulator } from '../../values/checksum.js';
import type { Row } from '../../values/value.js';
import { WorkerPool } from '../../util/worker-pool.js';
import type { PostgresEngine } from './postgres-engine.js';
import type { PostgresDigestJob } from './postgres-digest-worker.js';

/** PostgreSQL reads no SQLite-style expressions in place of columns (only consolidate asks for them). */
function columnsOnly(task: DigestTask): void {
  if (task.expressions)
    throw new FerryError('NOT_SUPPORTED', `PostgreSQL tables are digested by column, not through expressions (table "${task.table}").`, {
      subject: task.table,
    });
}

const digester: Digester = {
  inline: false,
  async digest(engine, task) {
    columnsOnly(task);
    const { digestPostgresTable } = await import('./postgres-digest.js');
    return digestPostgresTable(
      engine as PostgresEngine,
      task.table,
      task.columns,
      task.logicals.map((l) => l ?? 'text'),
      task.types,
    );
  },
  pool(threads) {
    return digestPool(threads);
  },
  async rowEstimates(engine, tables) {
    const rows = await engine.query<{ relname: string; n: number }>(
      `SELECT c.relname, c.reltuples::float8 AS n FROM pg_class c WHERE c.relnamespace = $1::regnamespace AND c.relkind = 'r'`,
      [(engine as PostgresEngine).schema],
    );
    const byName = new Map(rows.map((r) => [r.relname, Number(r.n)]));
    return tables.map((t) => byName.get(t) ?? 0);
  },
};

function digestPool(threads: number): DigestPool {
  const pool = new WorkerPool<PostgresDigestJob, string>(new URL('./postgres-digest-worker.js', import.meta.url), {
    size: threads,
    // Rows are hashed straight from wire buffers.
    youngGenerationMb: 4,
    toError: (reply) => new FerryError((reply.code as ErrorCode) ?? 'QUERY', reply.message, { subject: reply.subject, hint: reply.hint }),
  });
  return {
    async digest(engine: Engine, task: DigestTask) {
      columnsOnly(task);
      return ChecksumAccumulator.fromDigest(await pool.run({ target: (engine as PostgresEngine).target, task }));
    },
    close: () => pool.close(),
  };
}

const rowReader: RowReader = {
  valueForms: { pgText: true },
  async *rowsInKeyOrder(engine: Engine, read: KeyOrderedRead): AsyncIterable<Row> {
    if (read.expressions) throw new FerryError('NOT_SUPPORTED', `PostgreSQL rows are read by column, not through expressions (table "${read.table}").`);
    const { byteOrderedSelectSql } = await import('./postgres-read-rows.js');
    const e = engine as PostgresEngine;
    const textKeys = read.keyLogicals.map((l) => l === null || l === 'text' || l === 'pgtext' || l === 'json');
    const keyColumns = read.key.map((i) => read.columns[i]!);
    for await (const batch of e.copyOut(byteOrderedSelectSql(read.table, e.schema, keyColumns, textKeys, read.columns))) yield* batch;
  },
};

export const postgresVerifyRoles: VerifyRoles = { digester, rowReader };
