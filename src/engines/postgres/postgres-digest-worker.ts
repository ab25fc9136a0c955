/**
 * Worker thread body: digests PostgreSQL tables (see postgres-digest.ts) on a connection of its
 * own, so verify hashes two PostgreSQL tables on two cores while SQLite's side runs in C.
 */
import type { DigestTask } from '../../engine/verify-roles.js';
import { serveTasks } from '../../util/worker-pool.js';
import { digestPostgresTable } from './postgres-digest.js';
import { connectPostgres, type PostgresEngine } from './postgres-engine.js';
import type { PostgresTarget } from './postgres-errors.js';

/** One table of one database; the worker keeps its connection for the next task. */
export interface PostgresDigestJob {
  target: PostgresTarget;
  task: DigestTask;
}

let current: { url: string; engine: PostgresEngine } | null = null;

async function connectionTo(target: PostgresTarget): Promise<PostgresEngine> {
  if (current?.url === target.url) return current.engine;
  await current?.engine.close();
  current = { url: target.url, engine: await connectPostgres(target) };
  return current.engine;
}

serveTasks(
  async ({ target, task }: PostgresDigestJob) => {
    const engine = await connectionTo(target);
    const acc = await digestPostgresTable(
      engine,
      task.table,
      task.columns,
      task.logicals.map((l) => l ?? 'text'),
      task.types,
    );
    return acc.digest();
  },
  async () => {
    await current?.engine.close();
    current = null;
  },
);
