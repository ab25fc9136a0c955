import Database from 'better-sqlite3';
import { FerryError } from '../../errors.js';
import { pollForLock, releaseOnce, type RunLock } from '../../engine/run-lock.js';
import type { SqliteEngine } from './sqlite-engine.js';

/**
 * An exclusive transaction on a companion lock file `<db>.ferry-lock`, which the operating system
 * releases when the process dies.
 */
export async function sqliteLock(engine: SqliteEngine, timeoutMs: number): Promise<RunLock> {
  if (engine.file === ':memory:') return { release: async () => undefined };
  const lockFile = `${engine.file}.ferry-lock`;
  // A SQLite file as the lock: BEGIN EXCLUSIVE holds an OS-level lock that dies with the process.
  // busy_timeout stays 0 so the shared polling decides how long to wait.
  const db = new Database(lockFile, { timeout: 0 });
  try {
    await pollForLock(engine.displayUrl, timeoutMs, () => {
      try {
        db.exec('BEGIN EXCLUSIVE');
        return true;
      } catch (e) {
        const code = (e as { code?: string }).code ?? '';
        if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return false;
        throw new FerryError('UNWRITABLE', `Cannot create the lock file ${lockFile}: ${(e as Error).message}`, {
          subject: lockFile,
          hint: 'ferry keeps its run lock beside the database; the folder must be writable.',
        });
      }
    });
  } catch (e) {
    db.close();
    throw e;
  }
  return releaseOnce(() => {
    try {
      db.exec('COMMIT');
    } finally {
      db.close();
    }
  });
}
