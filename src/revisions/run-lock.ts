import type { RunLock } from '../engine/run-lock.js';
import type { Engine } from '../engine/types.js';
import { roleOf } from '../engines/registry.js';

export type { RunLock } from '../engine/run-lock.js';

/**
 * Takes the run lock, waiting up to `timeoutMs`, through the engine's runLock role (PostgreSQL: a
 * session-level advisory lock; SQLite: a lock file held in an exclusive transaction). Each dies
 * with the process, so a killed run never leaves a lock behind. Held past the timeout by someone
 * else: LOCKED, naming the database.
 */
export async function acquireRunLock(engine: Engine, timeoutMs: number): Promise<RunLock> {
  return roleOf(engine, 'runLock')(engine, timeoutMs);
}
