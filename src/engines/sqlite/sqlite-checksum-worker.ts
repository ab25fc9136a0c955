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

const connections = new Map<string, Database.Database>();

parentPort!.on('message', (task: Task | 'close') => {
  if (task === 'close') {
    for (const db of connections.values()) db.close();
    connections.clear();
    parentPort!.postMessage('closed');
    return;
  }
  try {
    let db = connections.get(task.file);
    if (!db) {
      db = new Database(task.file, { readonly: true, fileMustExist: true, timeout: task.busyTimeoutMs });
      db.defaultSafeIntegers(true);
      connections.set(task.file, db);
    }
    const digest = checksumOnConnection(db, task.query).digest();
    parentPort!.postMessage({ id: task.id, digest });
  } catch (e) {
    const err = e as { code?: string; message?: string };
    parentPort!.postMessage({ id: task.id, error: { code: err.code, message: err.message ?? String(e) } });
  }
});
