/** PostgreSQL's digest pool: worker threads (postgres-digest-worker.ts), each with its own connection. */
import type { DigestPool, DigestTask } from '../../engine/verify-roles.js';
import type { Engine } from '../../engine/types.js';
import { FerryError, type ErrorCode } from '../../errors.js';
import { ChecksumAccumulator } from '../../values/checksum.js';
import { WorkerPool } from '../../util/worker-pool.js';
import type { PostgresDigestJob } from './postgres-digest-worker.js';
import type { PostgresEngine } from './postgres-engine.js';
import { columnsOnly } from './postgres-digest.js';

export function postgresDigestPool(threads: number): DigestPool {
  const pool = new WorkerPool<PostgresDigestJob, string>(new URL('./postgres-digest-worker.js', import.meta.url), {
    size: threads,
    // Rows are hashed straight from wire buffers.
    youngGenerationMb: 4,
    toError: (reply) => new FerryError((reply.code as ErrorCode) ?? 'QUERY', reply.message, { subject: reply.subject, hint: reply.hint }),
  });
  return {
    async digest(engine: Engine, task: DigestTask) {
      columnsOnly(task);
      return ChecksumAccumulator.fromDigest(await pool.run({ target: (engine as PostgresEngine).target, task }));
    },
    close: () => pool.close(),
  };
}
