/**
 * Worker thread body: digests PostgreSQL tables (see postgres-digest.ts) on a connection of its
 * own, so verify hashes two PostgreSQL tables on two cores while SQLite's side runs in C.
 */
import { parentPort } from 'node:worker_threads';
import type { LogicalType } from '../../values/column-type.js';
import { digestPostgresTable } from './postgres-digest.js';
import { connectPostgres, type PostgresEngine } from './postgres-engine.js';
import type { PostgresTarget } from './postgres-errors.js';

interface Task {
  id: number;
  target: PostgresTarget;
  table: string;
  columns: string[];
  logicals: LogicalType[];
  types: string[];
}

let current: { url: string; engine: PostgresEngine } | null = null;

parentPort!.on('message', (m: Task | 'close') => {
  void (async () => {
    if (m === 'close') {
      await current?.engine.close();
      current = null;
      parentPort!.postMessage('closed');
      return;
    }
    try {
      if (current?.url !== m.target.url) {
        await current?.engine.close();
        current = { url: m.target.url, engine: await connectPostgres(m.target) };
      }
      const acc = await digestPostgresTable(current.engine, m.table, m.columns, m.logicals, m.types);
      parentPort!.postMessage({ id: m.id, digest: acc.digest() });
    } catch (e) {
      const err = e as { code?: string; message?: string; hint?: string; subject?: string };
      parentPort!.postMessage({ id: m.id, error: { code: err.code, message: err.message ?? String(e), hint: err.hint, subject: err.subject } });
    }
  })();
});
