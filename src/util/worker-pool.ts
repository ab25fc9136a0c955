/**
 * One worker-thread pool for every job ferry spreads over cores (digesting tables for verify, on
 * either engine). A task goes to the least busy worker; a worker answers `{ id, result }` or
 * `{ id, error }`; closing asks each worker to release what it holds (connections) before it is
 * terminated. The worker side is `serveTasks`, so both ends of the protocol live here.
 */
import { parentPort, Worker } from 'node:worker_threads';

/** An error as it crosses the thread boundary: the fields ferry's errors carry. */
export interface WorkerErrorReply {
  code?: string;
  message: string;
  hint?: string;
  subject?: string;
}

type Reply<R> = { id: number; result: R } | { id: number; error: WorkerErrorReply } | 'closed';

export interface WorkerPoolOptions<T> {
  /** Worker threads to start (at least one). */
  size: number;
  /**
   * V8's young generation per worker, in MB. Rows are short-lived arrays: a small one collects
   * them often and keeps each worker's memory flat whatever the table size.
   */
  youngGenerationMb?: number;
  /** Turns a worker's error reply for `task` into the error the caller sees. */
  toError?: (reply: WorkerErrorReply, task: T) => unknown;
}

interface Pending<T, R> {
  task: T;
  worker: number;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

/** Worker threads running `module` (a file that calls `serveTasks`). */
export class WorkerPool<T, R> {
  private readonly workers: Worker[] = [];
  private readonly load: number[] = [];
  private readonly pending = new Map<number, Pending<T, R>>();
  private nextId = 1;

  constructor(
    module: URL,
    private readonly options: WorkerPoolOptions<T>,
  ) {
    const limits = options.youngGenerationMb ? { resourceLimits: { maxYoungGenerationSizeMb: options.youngGenerationMb } } : {};
    for (let i = 0; i < Math.max(1, options.size); i++) {
      const w = new Worker(module, limits);
      w.on('message', (m: Reply<R>) => this.settle(m));
      w.on('error', (e) => this.failWorker(i, e));
      this.workers.push(w);
      this.load.push(0);
    }
  }

  /** Runs one task on the least busy worker. */
  run(task: T): Promise<R> {
    let idx = 0;
    for (let i = 1; i < this.workers.length; i++) if (this.load[i]! < this.load[idx]!) idx = i;
    this.load[idx]!++;
    const id = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      this.pending.set(id, { task, worker: idx, resolve, reject });
      this.workers[idx]!.postMessage({ id, task });
    });
  }

  /** Lets each worker close what it holds (up to 2 s), then terminates it. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => closeWorker(w)));
  }

  private settle(m: Reply<R>): void {
    if (m === 'closed') return;
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    this.load[p.worker]!--;
    if ('error' in m) p.reject(this.options.toError ? this.options.toError(m.error, p.task) : Object.assign(new Error(m.error.message), m.error));
    else p.resolve(m.result);
  }

  private failWorker(worker: number, e: unknown): void {
    for (const [id, p] of this.pending) {
      if (p.worker !== worker) continue;
      this.pending.delete(id);
      p.reject(e);
    }
  }
}

function closeWorker(w: Worker): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () =>
      void w.terminate().then(
        () => resolve(),
        () => resolve(),
      );
    const timer = setTimeout(done, 2000);
    w.on('message', (m) => {
      if (m !== 'closed') return;
      clearTimeout(timer);
      done();
    });
    w.postMessage('close');
  });
}

/**
 * The worker side: answers each task with `handle`'s result or its error, and on 'close' runs
 * `release` (closing connections) before saying so.
 */
export function serveTasks<T, R>(handle: (task: T) => R | Promise<R>, release: () => void | Promise<void> = () => undefined): void {
  const port = parentPort!;
  port.on('message', (m: { id: number; task: T } | 'close') => {
    void (async () => {
      if (m === 'close') {
        await release();
        port.postMessage('closed');
        return;
      }
      try {
        port.postMessage({ id: m.id, result: await handle(m.task) });
      } catch (e) {
        const err = e as { code?: unknown; message?: string; hint?: string; subject?: string };
        const reply: WorkerErrorReply = { message: err.message ?? String(e) };
        if (typeof err.code === 'string') reply.code = err.code;
        if (err.hint) reply.hint = err.hint;
        if (err.subject) reply.subject = err.subject;
        port.postMessage({ id: m.id, error: reply });
      }
    })();
  });
}
