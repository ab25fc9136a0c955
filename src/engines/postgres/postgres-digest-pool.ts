import { Worker } from 'node:worker_threads';
import { FerryError, type ErrorCode } from '../../errors.js';
import { ChecksumAccumulator } from '../../values/checksum.js';
import type { LogicalType } from '../../values/column-type.js';
import type { PostgresTarget } from './postgres-errors.js';

interface Reply {
  id: number;
  digest?: string;
  error?: { code?: string; message: string; hint?: string; subject?: string };
}

/** Worker threads that digest PostgreSQL tables, each with its own connection; tasks go to the least busy. */
export class PostgresDigestPool {
  private readonly workers: Worker[] = [];
  private readonly load: number[] = [];
  private readonly pending = new Map<number, { resolve: (a: ChecksumAccumulator) => void; reject: (e: unknown) => void; worker: number }>();
  private nextId = 1;

  constructor(size: number) {
    for (let i = 0; i < size; i++) {
      // Rows are hashed straight from wire buffers; a small young generation keeps memory flat.
      const w = new Worker(new URL('./postgres-digest-worker.js', import.meta.url), { resourceLimits: { maxYoungGenerationSizeMb: 4 } });
      w.on('message', (m: Reply | 'closed') => {
        if (m === 'closed') return;
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        this.load[p.worker]!--;
        if (m.error) p.reject(new FerryError((m.error.code as ErrorCode) ?? 'QUERY', m.error.message, { subject: m.error.subject, hint: m.error.hint }));
        else p.resolve(ChecksumAccumulator.fromDigest(m.digest!));
      });
      w.on('error', (e) => {
        for (const [id, p] of this.pending)
          if (p.worker === i) {
            this.pending.delete(id);
            p.reject(e);
          }
      });
      this.workers.push(w);
      this.load.push(0);
    }
  }

  /** The digest of one table (see digestPostgresTable). */
  digest(target: PostgresTarget, table: string, columns: string[], logicals: LogicalType[], types: string[]): Promise<ChecksumAccumulator> {
    let idx = 0;
    for (let i = 1; i < this.workers.length; i++) if (this.load[i]! < this.load[idx]!) idx = i;
    this.load[idx]!++;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker: idx });
      this.workers[idx]!.postMessage({ id, target, table, columns, logicals, types });
    });
  }

  /** Closes the workers' connections, then the workers. */
  async close(): Promise<void> {
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            const done = () =>
              void w.terminate().then(
                () => resolve(),
                () => resolve(),
              );
            const timer = setTimeout(done, 2000);
            w.once('message', (m) => {
              if (m === 'closed') {
                clearTimeout(timer);
                done();
              }
            });
            w.postMessage('close');
          }),
      ),
    );
  }
}
