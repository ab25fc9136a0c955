/**
 * Worker thread body: opens a SQLite file read-only and answers checksum queries, so the two
 * sides of a verification (and several tables) are read on separate cores.
 */
import { parentPort } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { checksumOnConnection, type ChecksumQuery } from './sqlite-checksum.js';

interface Task {
  id: number;
  file: string;
  query: ChecksumQuery;
  busyTimeoutMs: number;
}

// One connection at a time: keeping every file open would hold a page cache per file per worker.
let current: { file: string; db: Database.Database } | null = null;

parentPort!.on('message', (task: Task | 'close') => {
  if (task === 'close') {
    current?.db.close();
    current = null;
    parentPort!.postMessage('closed');
    return;
  }
  try {
    if (current?.file !== task.file) {
      current?.db.close();
      const db = new Database(task.file, { readonly: true, fileMustExist: true, timeout: task.busyTimeoutMs });
      db.defaultSafeIntegers(true);
      current = { file: task.file, db };
    }
    const digest = checksumOnConnection(current.db, task.query).digest();
    parentPort!.postMessage({ id: task.id, digest });
  } catch (e) {
    const err = e as { code?: string; message?: string };
    parentPort!.postMessage({ id: task.id, error: { code: err.code, message: err.message ?? String(e) } });
  }
});
