import { Worker } from 'node:worker_threads';
import { ChecksumAccumulator } from '../../values/checksum.js';
import type { DigestTask } from './sqlite-digest.js';
import { sqliteError } from './sqlite-errors.js';

/** One worker thread that digests SQLite tables in order, off the main thread. */
export class SqliteDigestWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (a: ChecksumAccumulator) => void; reject: (e: unknown) => void; file: string }>();
  private nextId = 1;

  constructor() {
    // Rows are short-lived arrays; a small young generation keeps the worker's memory flat.
    this.worker = new Worker(new URL('./sqlite-digest-worker.js', import.meta.url), { resourceLimits: { maxYoungGenerationSizeMb: 8 } });
    this.worker.on('message', (m: { id: number; digest?: string; error?: { code?: string; message: string } }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.error) p.reject(sqliteError(Object.assign(new Error(m.error.message), { code: m.error.code }), p.file, 'verifying'));
      else p.resolve(ChecksumAccumulator.fromDigest(m.digest!));
    });
    this.worker.on('error', (e) => {
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    });
  }

  /** Digests one table of `file` (read-only). */
  digest(file: string, task: DigestTask): Promise<ChecksumAccumulator> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, file });
      this.worker.postMessage({ id, file, task });
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
