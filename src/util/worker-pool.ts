/**
 * One worker-thread pool for every job ferry spreads over cores (digesting tables for verify, on
 * either engine). Tasks wait in one queue and each worker takes the next when it is free, so a
 * long task never holds up short ones queued behind it; a worker answers `{ id, result }` or
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
  id: number;
  task: T;
  worker: number;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

/** Worker threads running `module` (a file that calls `serveTasks`). */
export class WorkerPool<T, R> {
  private readonly workers: Worker[] = [];
  /** The task each worker is running (none: it is free). */
  private readonly running: (Pending<T, R> | null)[] = [];
  private readonly queue: Pending<T, R>[] = [];
  private readonly dead = new Set<number>();
  private nextId = 1;

  constructor(
    module: URL,
    private readonly options: WorkerPoolOptions<T>,
  ) {
    const limits = options.youngGenerationMb ? { resourceLimits: { maxYoungGenerationSizeMb: options.youngGenerationMb } } : {};
    for (let i = 0; i < Math.max(1, options.size); i++) {
      const w = new Worker(module, limits);
      w.on('message', (m: Reply<R>) => this.settle(i, m));
      w.on('error', (e) => this.failWorker(i, e));
      this.workers.push(w);
      this.running.push(null);
    }
  }

  /** Runs one task on the first worker that is free. */
  run(task: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, task, worker: -1, resolve, reject });
      this.dispatch();
    });
  }

  /** Hands queued tasks to free workers. */
  private dispatch(): void {
    for (let i = 0; i < this.workers.length && this.queue.length; i++) {
      if (this.running[i] || this.dead.has(i)) continue;
      const next = this.queue.shift()!;
      next.worker = i;
      this.running[i] = next;
      this.workers[i]!.postMessage({ id: next.id, task: next.task });
    }
  }

  /** Lets each worker close what it holds (up to 2 s), then terminates it. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => closeWorker(w)));
  }

  private settle(worker: number, m: Reply<R>): void {
    if (m === 'closed') return;
    const p = this.running[worker];
    if (!p || p.id !== m.id) return;
    this.running[worker] = null;
    if ('error' in m) p.reject(this.options.toError ? this.options.toError(m.error, p.task) : Object.assign(new Error(m.error.message), m.error));
    else p.resolve(m.result);
    this.dispatch();
  }

  /** A worker that died fails its task and takes no more; with none left, the queue fails too. */
  private failWorker(worker: number, e: unknown): void {
    this.dead.add(worker);
    const p = this.running[worker];
    this.running[worker] = null;
    p?.reject(e);
    // Queued tasks would otherwise wait for a worker that will never be free.
    if (this.dead.size === this.workers.length) for (const q of this.queue.splice(0)) q.reject(e);
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
