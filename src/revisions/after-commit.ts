/**
 * Runs a revision's after-commit steps (see AfterCommitStep): each in order, each lock-safe on its
 * own (its lock waits bounded and retried), each marked done as it finishes, so a killed run
 * resumes at the step, and a backfill at the batch, where it stopped.
 */
import type { AfterCommitStep, LockWaits } from '../engine/revision-roles.js';
import type { Engine } from '../engine/types.js';
import { FerryError } from '../errors.js';
import { runBackfill } from './backfill.js';
import { stopIfAsked } from './stop-signal.js';
import { withLockRetries } from './lock-retries.js';
import type { Revision } from './revision-types.js';
import type { StepStore, StoredStep } from './step-store.js';

/** The line `--sql` prints (and the lint splits on) between a revision's statements and its after-commit steps. */
export const AFTER_COMMIT_MARKER = '-- after the revision commits, each step on its own (kept in ferry_steps, resumed if killed):';

/** What the steps report as they go. */
export type StepEvent =
  | { type: 'step-start'; revision: Revision; label: string; resumed: boolean }
  | { type: 'step-done'; revision: Revision; label: string; ms: number }
  | { type: 'backfill-progress'; revision: Revision; label: string; rowsDone: number; rowsTotal: number; batchSize: number };

export interface AfterCommitRun {
  engine: Engine;
  store: StepStore;
  revision: Revision;
  steps: StoredStep[];
  /** The engine's lock-safe hooks; none on engines whose writers simply queue (SQLite). */
  waits: LockWaits | undefined;
  /** Lock waits per attempt (lockWaitSchedule). */
  schedule: number[];
  onEvent?: (e: StepEvent) => void;
  /** `--sql`: told each statement a step sends (a backfill's batch statement once). */
  onStatement?: (sql: string) => void;
  /** Told each timed-out lock wait (recorded in ferry_history by the caller). */
  onLockWait?: (waitedMs: number) => Promise<void>;
  /** Asked to stop: the run ends before its next step or batch (stopIfAsked). */
  signal?: AbortSignal;
}

/** Runs every step not yet done. */
export async function runAfterCommitSteps(run: AfterCommitRun): Promise<void> {
  for (const stored of run.steps) {
    if (stored.done) continue;
    stopIfAsked(run.signal, `before the step "${stored.step.label}" of revision ${run.revision.id}`);
    const t0 = performance.now();
    run.onEvent?.({ type: 'step-start', revision: run.revision, label: stored.step.label, resumed: stored.cursor !== null });
    await runStep(run, stored);
    run.onEvent?.({ type: 'step-done', revision: run.revision, label: stored.step.label, ms: Math.round(performance.now() - t0) });
  }
}

async function runStep(run: AfterCommitRun, stored: StoredStep): Promise<void> {
  const step: AfterCommitStep = stored.step;
  const { engine, store } = run;
  if (step.kind === 'backfill') {
    await runBackfill({
      engine,
      step,
      cursor: stored.cursor,
      rowsDone: stored.rowsDone,
      rowsTotal: stored.rowsTotal,
      inTransaction: (body) => lockSafe(run, step.label, true, body),
      saveCursor: (cursor, rowsDone, rowsTotal, done) => store.saveCursor(stored, cursor, rowsDone, rowsTotal, done),
      onProgress: (p) => run.onEvent?.({ type: 'backfill-progress', revision: run.revision, label: step.label, ...p }),
      onStatement: run.onStatement,
      signal: run.signal,
      where: `revision ${run.revision.id}`,
    });
    return;
  }
  if (step.transactional) {
    await lockSafe(run, step.label, true, async () => {
      for (const sql of step.statements) await execTold(run, sql);
      await store.markDone(stored);
    });
    return;
  }
  // Without a transaction (CREATE INDEX CONCURRENTLY): each statement is idempotent (IF NOT EXISTS,
  // IF EXISTS), and an INVALID index a killed build left is dropped before it runs again.
  for (const sql of step.statements)
    await lockSafe(run, step.label, false, async () => {
      await run.waits?.cleanUpBefore?.(engine, sql);
      await execTold(run, sql);
    });
  await store.markDone(stored);
}

/** One part of a step with bounded lock waits, retried on a lock timeout; in a transaction or with session limits lifted after. */
async function lockSafe(run: AfterCommitRun, label: string, transactional: boolean, body: () => Promise<void>): Promise<void> {
  const { engine, waits } = run;
  await withLockRetries({
    schedule: waits ? run.schedule : [0],
    isLockWait: (e) => waits?.isLockWait(e) ?? false,
    attempt: async (lockMs) => {
      // A VALIDATE or an index build scans the whole table under a lock the app's reads and writes pass: no statement limit.
      const limited = async () => {
        if (waits) await waits.limit(engine, { lockMs, statementMs: null, local: transactional });
        await body();
      };
      if (transactional) return engine.transaction(limited);
      try {
        await limited();
      } finally {
        await waits?.reset(engine);
      }
    },
    onWait: (_attempt, waitedMs) => run.onLockWait?.(waitedMs),
    failed: (attempts, lastMs, cause) =>
      new FerryError(
        'LOCKED',
        `Revision ${run.revision.id}: its step "${label}" could not get its locks: ${attempts} attempt(s), the last waiting ${lastMs} ms. The revision's DDL is committed; its remaining steps run when the command runs again.`,
        {
          subject: run.revision.file,
          hint: 'Find what holds the lock (ferry watch shows blocking chains), end it, and run the command again.',
          data: { revision: run.revision.id, attempts },
          cause,
        },
      ),
  });
}

async function execTold(run: AfterCommitRun, sql: string): Promise<void> {
  run.onStatement?.(sql);
  await run.engine.exec(sql);
}
