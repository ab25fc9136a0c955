/**
 * PostgreSQL's verify roles: its digester (COPY BINARY hashed on worker threads, each with its own
 * connection) and its row reader (key order with text keys in byte order, COLLATE "C").
 */
import { deferredPool, type Digester, type KeyOrderedRead, type RowReader, type VerifyRoles } from '../../engine/verify-roles.js';
import type { Engine } from '../../engine/types.js';
import { FerryError } from '../../errors.js';
import type { Row } from '../../values/value.js';
import type { PostgresEngine } from './postgres-engine.js';

const digester: Digester = {
  inline: false,
  async digest(engine, task) {
    const { columnsOnly, digestPostgresTable } = await import('./postgres-digest.js');
    columnsOnly(task);
    return digestPostgresTable(
      engine as PostgresEngine,
      task.table,
      task.columns,
      task.logicals.map((l) => l ?? 'text'),
      task.types,
    );
  },
  pool(threads) {
    return deferredPool(import('./postgres-digest-pool.js').then((m) => m.postgresDigestPool(threads)));
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
