/** SQLite's digest pool: worker threads (sqlite-digest-worker.ts) that open the files read-only. */
import type { DigestPool, DigestTask } from '../../engine/verify-roles.js';
import type { Engine } from '../../engine/types.js';
import { ChecksumAccumulator } from '../../values/checksum.js';
import { WorkerPool } from '../../util/worker-pool.js';
import type { SqliteDigestJob } from './sqlite-digest-worker.js';
import type { SqliteEngine } from './sqlite-engine.js';
import { sqliteError } from './sqlite-errors.js';

export function sqliteDigestPool(threads: number, busyTimeoutMs: number): DigestPool {
  const pool = new WorkerPool<SqliteDigestJob, string>(new URL('./sqlite-digest-worker.js', import.meta.url), {
    size: threads,
    youngGenerationMb: 8,
    toError: (reply, job) => sqliteError(Object.assign(new Error(reply.message), { code: reply.code }), job.file, 'verifying'),
  });
  return {
    async digest(engine: Engine, task: DigestTask) {
      const file = (engine as SqliteEngine).file;
      return ChecksumAccumulator.fromDigest(await pool.run({ file, busyTimeoutMs, task }));
    },
    close: () => pool.close(),
  };
}
