/**
 * `ferry sync start|status|stop`: a SQLite database copied into PostgreSQL while the app keeps
 * writing. Start installs change capture on the source (the one write ferry makes to a source: its
 * `_ferry` log and triggers), copies a snapshot with `ferry copy`, then applies the logged changes
 * in commit order, each batch committed on the target with the log position it reached. Changes are
 * applied by key from the source's current row, so applying one twice, or one the snapshot already
 * holds, ends the same: a kill at any instant, then the same command, continues exactly.
 * Cutover and rollback are in sync-cutover.ts.
 */
import type { CapturedTable, SyncState } from '../engine/sync-roles.js';
import type { Engine } from '../engine/types.js';
import { driverOf, roleOf } from '../engines/registry.js';
import { FerryError } from '../errors.js';
import { ROWID_KEY_COLUMN } from '../schema/own-tables.js';
import { STATE_TABLE } from '../transfer/copy-state.js';
import { RejectLog } from '../transfer/reject-log.js';
import { selectCopyTables } from '../transfer/build-copy-plan.js';
import { runCopy } from '../transfer/run-copy.js';
import {
  catchUp,
  ends,
  lockSync,
  writingToSource,
  rejectFileFor,
  report,
  syncedTables,
  withBoth,
  type Ends,
  type SyncOptions,
  type SyncReport,
} from './sync-steps.js';

export type { SyncEvent, SyncOptions, SyncReport } from './sync-steps.js';
export { syncCutover, syncRollback, type CutoverReport, type RollbackReport } from './sync-cutover.js';

/** `ferry sync start`: capture, snapshot, then catch up (and keep up until stopped). */
export async function syncStart(options: SyncOptions): Promise<SyncReport> {
  const started = Date.now();
  const e = ends(options);
  const emit = options.onEvent ?? (() => undefined);
  return withBoth(e, options, async (source, target) => {
    const lock = await lockSync(e, source, target, 'start');
    try {
      let state = await e.sink.readState(target, source.displayUrl);
      if (state?.phase === 'cut-over')
        throw new FerryError('SYNC_NOT_READY', `${source.displayUrl} was cut over to ${target.displayUrl} at ${state.cutoverAt}; the app writes there now.`, {
          hint: 'ferry sync rollback brings the rows back to SQLite; ferry sync stop ends the sync.',
        });
      if (state?.phase === 'rolled-back')
        throw new FerryError('SYNC_NOT_READY', `The sync of ${source.displayUrl} was rolled back; ${target.displayUrl} is fenced.`, {
          hint: 'Run ferry sync stop, then ferry sync start to sync anew.',
        });
      if (!state) state = await beginCapture(e, source, target, options);
      if (state.phase === 'snapshot') state = await copySnapshot(e, target, state, options);
      emit({ type: 'phase', phase: 'catch-up', message: 'applying the changes logged since the snapshot' });
      // Refused changes are listed and counted, and the sync goes on: the cutover's check refuses to switch while any row differs.
      const rejects = new RejectLog(rejectFileFor(options, state), Number.MAX_SAFE_INTEGER);
      try {
        const applied = await catchUp(e, source, target, state, options, { tables: await syncedTables(e.capture, source, state), rejects });
        return await report(e, source, target, applied.state, { rejected: applied.rejected, rejectFile: rejects.file }, started);
      } finally {
        rejects.close();
      }
    } finally {
      await lock.release();
    }
  });
}

/** Capture first, so no write made while the snapshot is copied is missed. */
async function beginCapture(e: Ends, source: Engine, target: Engine, options: SyncOptions): Promise<SyncState> {
  const problem = await e.capture.captureProblem(source);
  if (problem) throw new FerryError('NOT_WAL', `${source.displayUrl} cannot be synced: ${problem}`, { subject: source.displayUrl });
  const tables = await capturedTables(source, options);
  const unkeyed = await e.capture.keyProblems(source, tables);
  if (unkeyed.length)
    throw new FerryError(
      'NOT_SUPPORTED',
      `ferry sync cannot follow ${unkeyed.map((u) => `"${u.table}" (${u.problem})`).join('; ')}: PostgreSQL could not key its rows on the way back. Nothing was changed.`,
      {
        subject: unkeyed[0]!.table,
        hint: 'Fix the rows (give each a key), or leave the tables out with --exclude and copy them once the app is stopped.',
        data: { tables: unkeyed },
      },
    );
  // The way back needs PostgreSQL's capture too: asked for now, so a target without it is named before anything is written.
  roleOf(e.to, 'changeCapture', 'capturing changes for the way back (ferry sync cutover)');
  options.onEvent?.({ type: 'phase', phase: 'capture', message: `capturing changes to ${tables.length} table(s)` });
  await writingToSource(source, 'install its change capture', options, () => e.capture.install(source, tables));
  const state: SyncState = {
    source: source.displayUrl,
    phase: 'snapshot',
    position: await e.capture.position(source),
    applied: 0,
    schema: await e.capture.schemaFingerprint(
      source,
      tables.map((t) => t.table),
    ),
    rejectFile: rejectFileFor(options),
    updatedAt: new Date().toISOString(),
  };
  await e.sink.writeState(target, state);
  return state;
}

/**
 * The tables to follow: the ones the snapshot's copy takes (its selection, so what it would refuse
 * from the schema alone, a virtual table or an unknown name, is refused before the capture is
 * installed), each by its primary key; a table without one by its rowid (the capture resolves the
 * empty key; the copy carries it as a key column).
 */
async function capturedTables(source: Engine, options: SyncOptions): Promise<CapturedTable[]> {
  const selection = { include: options.include, exclude: options.exclude, config: options.config, virtualTables: options.virtualTables };
  return selectCopyTables(await source.introspect(), selection, []).map((t) => ({ table: t.name, key: t.primaryKey?.columns ?? [] }));
}

/**
 * The snapshot, copied (or resumed) by ferry copy. Its plan is recorded before the copy writes
 * anything, and kept to convert later changes alike: a sync killed once the copy has finished (its
 * progress table gone) goes straight on to catching up.
 */
async function copySnapshot(e: Ends, target: Engine, state: SyncState, options: SyncOptions): Promise<SyncState> {
  const present = new Set((await target.introspect()).tables.map((t) => t.name));
  const resume = present.has(STATE_TABLE);
  let current = state;
  // The copy drops its progress table only once it has finished: a recorded plan, no progress table
  // and the plan's tables in place mean a run killed after the copy. Without the tables, the copy
  // had not begun writing when the run was killed, and starts again.
  const copied = !resume && current.plan !== undefined && current.plan.tables.every((t) => present.has(t.target));
  if (!copied) {
    options.onEvent?.({ type: 'phase', phase: 'snapshot', message: 'copying a snapshot (ferry copy)' });
    await runCopy({
      from: e.from.url,
      to: e.to.url,
      include: options.include,
      exclude: options.exclude,
      config: options.config,
      cwd: options.cwd,
      lockTimeoutMs: options.lockTimeoutMs,
      rejectFile: current.rejectFile,
      // The source changes while it is read: the rows are checked once the changes are applied.
      verify: false,
      // As ferry copy: an INTEGER column whose values fit 32 bits becomes integer, which the app's
      // driver reads as a number (bigint comes back as a string). A later change beyond it is
      // refused and listed; --integers bigint leaves room instead.
      integers: options.integers,
      jsonb: options.jsonb,
      virtualTables: options.virtualTables,
      parallel: options.parallel,
      rowidKeys: true,
      resume,
      // Each table read at one instant: a row the app moves meanwhile (REPLACE gives it a new rowid)
      // is read once, not at its old and its new place.
      liveSource: true,
      onEvent: (c) => {
        if (c.type === 'warning') options.onEvent?.({ type: 'warning', code: c.warning.code, message: c.warning.message });
      },
      onPlan: async (plan) => {
        current = { ...current, plan, updatedAt: new Date().toISOString() };
        await e.sink.writeState(target, current);
      },
    });
  }
  // The target's tables as the copy made them: a change to them from here on stops the sync.
  const targetSchema = await roleOf(target, 'changeCapture').schemaFingerprint(
    target,
    current.plan!.tables.map((t) => t.target),
  );
  const next: SyncState = { ...current, phase: 'catch-up', targetSchema, updatedAt: new Date().toISOString() };
  await e.sink.writeState(target, next);
  return next;
}

/** `ferry sync status`: the phase, the changes pending, and the last apply rate. Reads only. */
export async function syncStatus(options: SyncOptions): Promise<SyncReport> {
  const started = Date.now();
  const e = ends(options);
  return withBoth(
    e,
    options,
    async (source, target) => {
      const state = await e.sink.readState(target, source.displayUrl);
      return report(e, source, target, state, { rejected: state?.rejected ?? 0, rejectFile: state?.rejectFile }, started);
    },
    true,
  );
}

/** `ferry sync stop`: removes the capture (log, triggers, fences) from the source and the sync's state from the target. */
export async function syncStop(options: SyncOptions): Promise<SyncReport> {
  const started = Date.now();
  const e = ends(options);
  return withBoth(e, options, async (source, target) => {
    const lock = await lockSync(e, source, target, 'stop');
    try {
      const state = await e.sink.readState(target, source.displayUrl);
      const r = await report(e, source, target, state, { rejected: state?.rejected ?? 0, rejectFile: state?.rejectFile }, started);
      await e.capture.remove(source);
      const rowidKeyed = state?.plan?.tables.filter((t) => t.columns.some((c) => c.target === ROWID_KEY_COLUMN)).map((t) => t.target) ?? [];
      if (rowidKeyed.length) await e.sink.removeRowidKeys(target, rowidKeyed);
      // The way back's capture on the target, and a rollback's record on the source, when there are any.
      await driverOf(target).roles.changeCapture?.remove(target);
      await driverOf(source).roles.changeSink?.dropState(source, source.displayUrl);
      await e.sink.dropState(target, source.displayUrl);
      return r;
    } finally {
      await lock.release();
    }
  });
}
