import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { ChecksumAccumulator } from '../../values/checksum.js';
import type { ChecksumQuery } from './sqlite-checksum.js';
import { sqliteError } from './sqlite-errors.js';

interface Pending {
  resolve: (acc: ChecksumAccumulator) => void;
  reject: (e: unknown) => void;
  file: string;
}

/**
 * A few worker threads computing SQLite checksums in parallel. Tasks for the same file go to the
 * same worker when possible so its read-only connection is reused.
 */
export class SqliteChecksumPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly load: number[] = [];
  private nextId = 1;

  constructor(
    size = Math.max(1, Math.min(4, os.availableParallelism?.() ?? os.cpus().length)),
    private readonly busyTimeoutMs = 5000,
  ) {
    for (let i = 0; i < size; i++) {
      // Each row's values arrive as a short-lived array; a small young generation collects them
      // often and keeps the worker's memory flat whatever the table size.
      const w = new Worker(new URL('./sqlite-checksum-worker.js', import.meta.url), { resourceLimits: { maxYoungGenerationSizeMb: 8 } });
      w.on('message', (m: { id: number; digest?: string; error?: { code?: string; message: string } } | 'closed') => {
        if (m === 'closed') return;
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        this.load[i]!--;
        if (m.error) p.reject(sqliteError(Object.assign(new Error(m.error.message), { code: m.error.code }), p.file, 'checksumming'));
        else p.resolve(ChecksumAccumulator.fromDigest(m.digest!));
      });
      w.on('error', (e) => {
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
      });
      this.workers.push(w);
      this.load.push(0);
    }
  }

  /** Computes one checksum on the least busy worker. */
  checksum(file: string, query: ChecksumQuery): Promise<ChecksumAccumulator> {
    const id = this.nextId++;
    let idx = 0;
    for (let i = 1; i < this.workers.length; i++) if (this.load[i]! < this.load[idx]!) idx = i;
    this.load[idx]!++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, file });
      this.workers[idx]!.postMessage({ id, file, query, busyTimeoutMs: this.busyTimeoutMs });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
