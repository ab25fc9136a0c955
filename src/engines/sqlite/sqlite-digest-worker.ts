/**
 * Worker thread body: digests tables of SQLite files (see sqlite-digest.ts), read-only, so verify
 * and consolidate --verify read several tables, or both sides, on separate cores.
 */
import Database from 'better-sqlite3';
import type { DigestTask } from '../../engine/verify-roles.js';
import { serveTasks } from '../../util/worker-pool.js';
import { digestSqliteTable } from './sqlite-digest.js';

/** One table of one file; the worker keeps the last file open for the next task. */
export interface SqliteDigestJob {
  file: string;
  busyTimeoutMs: number;
  task: DigestTask;
}

// One connection at a time: keeping every file open would hold a page cache per file per worker.
let current: { file: string; db: Database.Database } | null = null;

function connectionTo(job: SqliteDigestJob): Database.Database {
  if (current?.file === job.file) return current.db;
  current?.db.close();
  const db = new Database(job.file, { readonly: true, fileMustExist: true, timeout: job.busyTimeoutMs });
  db.defaultSafeIntegers(true);
  db.pragma('cache_size = -8192');
  current = { file: job.file, db };
  return db;
}

serveTasks(
  (job: SqliteDigestJob) => digestSqliteTable(connectionTo(job), job.task).digest(),
  () => {
    current?.db.close();
    current = null;
  },
);
