import type { Engine } from '../../engine/types.js';
import { pollForLock, releaseOnce, type RunLock } from '../../engine/run-lock.js';

/** The advisory lock key every ferry run on a PostgreSQL database takes ("ferry" in ASCII). */
export const ADVISORY_KEY = 0x6665727279n;

/**
 * A session-level advisory lock: the server drops it when the connection goes, so a killed
 * process never leaves one behind.
 */
export async function postgresLock(engine: Engine, timeoutMs: number): Promise<RunLock> {
  // A killed client's backend keeps running its statement (and holding the lock) until it next
  // talks to the client; PostgreSQL 14+ can look for a vanished client while a statement runs.
  await engine.exec("SET client_connection_check_interval = '1s'").catch(() => undefined);
  await pollForLock(engine.displayUrl, timeoutMs, async () => {
    const [row] = await engine.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(${ADVISORY_KEY}) AS ok`);
    return !!row?.ok;
  });
  return releaseOnce(async () => {
    await engine.query(`SELECT pg_advisory_unlock(${ADVISORY_KEY})`).catch(() => undefined);
  });
}
