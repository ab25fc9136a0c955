import type { Dialect, Engine } from '../engine/types.js';
import { roleOf } from '../engines/registry.js';

/**
 * Runs `fn` on an empty database of the given engine, for replaying revisions (`ferry check`) or
 * loading a declared schema (autogenerate), through the engine's scratch role: SQLite makes an
 * in-memory database, PostgreSQL a temporary database on the server of `url`, dropped afterwards
 * even on failure. `purpose` says, in a failure message, why ferry wanted one.
 */
export async function withScratchDatabase<T>(dialect: Dialect, url: string | undefined, purpose: string, fn: (scratch: Engine) => Promise<T>): Promise<T> {
  return roleOf(dialect, 'scratch').withEmpty(url, purpose, fn);
}
