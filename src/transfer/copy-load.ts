/**
 * The load step of a copy: a pool of workers, each with its own target connection, loads the
 * tables; a worker builds a table's keys and indexes as soon as its rows are in, while the other
 * workers are still loading theirs.
 */
import type { Engine } from '../engine/types.js';
import type { TablePlan } from '../engine/table-plan.js';
import { openTableEnds } from './copy-endpoints.js';
import type { CopyTableReport } from './copy-events.js';
import type { CopySettings } from './copy-settings.js';
import { CopyState, type TableState } from './copy-state.js';
import type { CopyPlan } from './copy-types.js';
import { loadTable } from './load-table.js';
import { finishTable, type PostLoadJob } from './post-load.js';
import type { RejectLog } from './reject-log.js';

/** What the load step works with. */
export interface LoadJob {
  run: CopySettings;
  source: Engine;
  plan: CopyPlan;
  states: Map<string, TableState>;
  rejects: RejectLog;
  /** The post-load steps' job (its main connection is the first worker's). */
  post: PostLoadJob;
}

/**
 * Loads every table and builds its keys. Biggest tables go first: the last table to finish bounds
 * the load, and small ones fill the gaps. Tables that existed before keep their foreign keys, which
 * check every row as it arrives: then parents go first, one table at a time (the plan lists parents
 * before children). When one worker fails, the others stop after their current chunk (their
 * progress is committed and resumable) and the first error is thrown.
 */
export async function loadTables(job: LoadJob): Promise<Map<string, CopyTableReport>> {
  const { plan, states, run } = job;
  const intoExisting = [...states.values()].some((s) => s.existing);
  const queue = intoExisting ? [...plan.tables] : [...plan.tables].sort((a, b) => b.rowEstimate * b.columns.length - a.rowEstimate * a.columns.length);
  const loaders = intoExisting ? 1 : run.parallel;
  run.emit({
    type: 'phase',
    phase: 'load',
    message: run.options.schemaOnly ? 'building keys and indexes' : `loading ${queue.length} table(s); keys and indexes are built as each one finishes`,
  });
  const reports = new Map<string, CopyTableReport>();
  let failed = false;
  const stopped = () => failed;
  const workers = Array.from({ length: Math.min(loaders, Math.max(1, queue.length)) }, async (_, w) => {
    const engine = w === 0 ? job.post.main : await job.post.openWorker();
    const workerState = new CopyState(engine);
    for (let t = queue.shift(); t && !failed; t = queue.shift()) {
      const report = await loadOneTable(job, engine, workerState, t, stopped);
      if (!report) return;
      reports.set(t.target, report);
      await finishTable(engine, t, states.get(t.target)!, job.post);
    }
  });
  const settled = await Promise.allSettled(workers.map((p) => p.catch((e: unknown) => ((failed = true), Promise.reject(e)))));
  const firstError = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (firstError) throw firstError.reason;
  return reports;
}

/** Loads one table's rows (unless an earlier run did, or --schema-only); null when the run is stopping. */
async function loadOneTable(job: LoadJob, engine: Engine, workerState: CopyState, t: TablePlan, stopped: () => boolean): Promise<CopyTableReport | null> {
  const { run } = job;
  const schemaOnly = !!run.options.schemaOnly;
  const ts = job.states.get(t.target)!;
  const t0 = Date.now();
  const startRows = ts.rowsCopied;
  const alreadyDone = ts.phase !== 'created' && ts.phase !== 'loading';
  if (!schemaOnly) run.emit({ type: 'table-start', table: t.target, rows: t.rowEstimate, done: ts.rowsCopied });
  let bytes = 0;
  if (!alreadyDone && !schemaOnly) {
    // A live source (ferry sync) is read at one instant per table, so a row moved meanwhile is read once.
    const ends = await openTableEnds(job.source, engine, t, { oneInstant: !!run.options.liveSource });
    try {
      await loadTable({
        plan: t,
        ...ends,
        target: engine,
        state: workerState,
        tableState: ts,
        batchSize: run.options.batchSize ?? run.config.tables?.[t.source]?.batchSize ?? run.batchSize,
        rejects: job.rejects,
        stop: stopped,
        onProgress: (rows, b) => {
          bytes = b;
          run.emit({ type: 'table-progress', table: t.target, rows: t.rowEstimate, done: startRows + rows, bytes: b });
        },
      });
    } finally {
      try {
        ends.reader.close();
      } catch {
        // A reader stopped mid-table may still hold a statement; the connection goes anyway.
      }
    }
    if (stopped()) return null;
  }
  const r = { table: t.source, target: t.target, rows: ts.rowsCopied, bytes, ms: Date.now() - t0, rejects: ts.rejects };
  if (!schemaOnly) run.emit({ type: 'table-done', table: t.target, rows: r.rows, bytes, ms: r.ms, rejects: r.rejects, alreadyDone });
  if (schemaOnly && ts.phase === 'created') {
    ts.phase = 'loaded';
    await workerState.save(ts);
  }
  return r;
}
