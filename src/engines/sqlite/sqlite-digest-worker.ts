/**
 * Worker thread body: digests SQLite tables (see sqlite-digest.ts) so verify reads the SQLite side
 * on one core while the main thread reads the other engine's side.
 */
import { parentPort } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { digestSqliteTable, type DigestTask } from './sqlite-digest.js';

interface Message {
  id: number;
  file: string;
  task: DigestTask;
}

let current: { file: string; db: Database.Database } | null = null;

parentPort!.on('message', (m: Message) => {
  try {
    if (current?.file !== m.file) {
      current?.db.close();
      const db = new Database(m.file, { readonly: true, fileMustExist: true, timeout: 5000 });
      db.defaultSafeIntegers(true);
      db.pragma('cache_size = -8192');
      current = { file: m.file, db };
    }
    parentPort!.postMessage({ id: m.id, digest: digestSqliteTable(current.db, m.task).digest() });
  } catch (e) {
    const err = e as { code?: string; message?: string };
    parentPort!.postMessage({ id: m.id, error: { code: err.code, message: err.message ?? String(e) } });
  }
});
