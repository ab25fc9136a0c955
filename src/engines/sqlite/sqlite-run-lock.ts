import Database from 'better-sqlite3';
import { FerryError } from '../../errors.js';
import { LOCK_POLL_MS, lockedError, sleep, type RunLock } from '../../revisions/run-lock-types.js';
import type { SqliteEngine } from './sqlite-engine.js';

/**
 * An exclusive transaction on a companion lock file `<db>.ferry-lock`, which the operating system
 * releases when the process dies.
 */
export async function sqliteLock(engine: SqliteEngine, timeoutMs: number): Promise<RunLock> {
  if (engine.file === ':memory:') return { release: async () => undefined };
  const lockFile = `${engine.file}.ferry-lock`;
  // A SQLite file as the lock: BEGIN EXCLUSIVE holds an OS-level lock that dies with the process,
  // and busy_timeout gives the waiting for free, across processes.
  const db = new Database(lockFile, { timeout: 0 });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      db.exec('BEGIN EXCLUSIVE');
      break;
    } catch (e) {
      const code = (e as { code?: string }).code ?? '';
      if (!code.startsWith('SQLITE_BUSY') && !code.startsWith('SQLITE_LOCKED')) {
        db.close();
        throw new FerryError('UNWRITABLE', `Cannot create the lock file ${lockFile}: ${(e as Error).message}`, { subject: lockFile, hint: 'ferry keeps its run lock beside the database; the folder must be writable.' });
      }
      if (Date.now() >= deadline) {
        db.close();
        throw lockedError(engine.displayUrl, timeoutMs);
      }
      await sleep(Math.min(LOCK_POLL_MS, Math.max(1, deadline - Date.now())));
    }
  }
  let held = true;
  return {
    release: async () => {
      if (!held) return;
      held = false;
      try {
        db.exec('COMMIT');
      } finally {
        db.close();
      }
    },
  };
}

