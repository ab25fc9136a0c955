import type { Engine } from '../engine/types.js';
import type { SqliteEngine } from '../engines/sqlite/sqlite-engine.js';
import type { RunLock } from '../engine/run-lock.js';

export type { RunLock } from '../engine/run-lock.js';

/**
 * Takes the run lock, waiting up to `timeoutMs`: a session-level advisory lock on PostgreSQL, a
 * lock file held in an exclusive transaction on SQLite. Both die with the process, so a killed run
 * never leaves a lock behind. Held past the timeout by someone else: LOCKED, naming the database.
 */
export async function acquireRunLock(engine: Engine, timeoutMs: number): Promise<RunLock> {
  // Each engine's lock loads with it: a PostgreSQL run never loads the SQLite driver.
  if (engine.dialect === 'postgres') return (await import('../engines/postgres/postgres-run-lock.js')).postgresLock(engine, timeoutMs);
  return (await import('../engines/sqlite/sqlite-run-lock.js')).sqliteLock(engine as SqliteEngine, timeoutMs);
}
