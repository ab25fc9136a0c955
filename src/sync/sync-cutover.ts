/**
 * `ferry sync cutover` and `ferry sync rollback`: the switch to PostgreSQL and the way back.
 */
import type { ChangeCapture, ChangeSink, SyncState } from '../engine/sync-roles.js';
import type { TablePlan } from '../engine/table-plan.js';
import type { Engine } from '../engine/types.js';
import { roleOf } from '../engines/registry.js';
import { FerryError } from '../errors.js';
import { RejectLog } from '../transfer/reject-log.js';
import { changedRowsDiffer } from './changed-rows.js';
import { batchOf, keysByTable, type SyncedTable } from './sync-batch.js';
import {
  catchUp,
  checkIdentical,
  DEFAULT_BATCH,
  ends,
  lockSync,
  rejectFileFor,
  report,
  syncedTables,
  withBoth,
  writingToSource,
  forgetApplied,
  addKeys,
  type CatchUpRun,
  type Ends,
  type SyncOptions,
  type SyncReport,
} from './sync-steps.js';

/** What `ferry sync cutover` did: how long writes were paused, and where the app should write now. */
export interface CutoverReport extends SyncReport {
  pauseMs: number;
  databaseUrl: string;
}

/** The message a fenced SQLite source gives the app's writes. */
function movedMessage(target: Engine): string {
  return `ferry: this database moved to PostgreSQL (${target.displayUrl}); writes here are refused. ferry sync rollback brings it back.`;
}

/**
 * `ferry sync cutover`: catches up and compares both sides in full at one instant of the source
 * while the app still writes; then fences the source (its writes now fail with a clear message
 * instead of being lost), drains what is pending, compares the rows changed since that instant,
 * moves PostgreSQL's key numbering past every synced key, starts capturing changes there for the
 * way back, and reports the pause. If a check fails, the fence is lifted and nothing else changes.
 */
export async function syncCutover(options: SyncOptions): Promise<CutoverReport> {
  const started = Date.now();
  const e = ends(options);
  const emit = options.onEvent ?? (() => undefined);
  const back = roleOf(e.to, 'changeCapture', 'capturing changes for the way back (ferry sync cutover)');
  return withBoth(e, options, async (source, target) => {
    const lock = await lockSync(e, source, target, 'cutover');
    let rejects: RejectLog | undefined;
    try {
      const state = await e.sink.readState(target, source.displayUrl);
      if (!state || state.phase !== 'catch-up') throw notReady(source, target, state);
      rejects = new RejectLog(rejectFileFor(options, state), Number.MAX_SAFE_INTEGER);
      const tables = await syncedTables(e.capture, source, state);
      const drain = (from: SyncState, run: Partial<CatchUpRun> = {}) =>
        catchUp(e, source, target, from, { ...options, untilCaughtUp: true, signal: undefined }, { tables, rejects: rejects!, ...run });
      // Most of the backlog is applied while the app still writes, so the pause is short.
      let caught = await drain(state);
      let rejected = caught.rejected;
      // A cutover killed after its fence left the source fenced: a failed check here leaves it so.
      const alreadyFenced = ((await e.capture.state(source))?.fenced.length ?? 0) > 0;
      const unswitched = alreadyFenced
        ? 'nothing was switched; the source stays fenced from the interrupted cutover (ferry sync stop lifts it)'
        : 'nothing was switched: the source was never fenced';
      const compared = await comparedBeforeFence(e, source, target, tables, caught.state, drain, options, unswitched);
      if (compared) {
        caught = compared;
        rejected += compared.rejected;
      }
      emit({ type: 'phase', phase: 'fence', message: 'fencing the source: writes are paused from here' });
      const fenced = Date.now();
      const fencedTables = (await e.capture.state(source))!.tables.map((t) => t.table);
      await writingToSource(source, 'fence it', options, () => e.capture.fence(source, fencedTables, movedMessage(target)));
      try {
        const changed = new Map<string, Set<string>>();
        const drained = await drain(caught.state, { changed });
        rejected += drained.rejected;
        caught = drained;
        if (compared) await checkChangedRows(e, source, target, tables, changed, 'the cutover was undone: the source takes writes again');
        else await checkIdentical(source, target, caught.state, 'the cutover was undone: the source takes writes again');
        const plans = [...tables.values()].map((t) => t.plan);
        await e.sink.settleKeys(target, plans, await issuedKeys(e.capture, source, tables));
        await back.install(
          target,
          plans.map((t) => ({ table: t.target, key: t.primaryKey!.columns })),
        );
      } catch (err) {
        await e.capture.unfence(source);
        throw err;
      }
      const pauseMs = Date.now() - fenced;
      const done: SyncState = { ...caught.state, phase: 'cut-over', cutoverAt: new Date().toISOString(), pauseMs, updatedAt: new Date().toISOString() };
      await e.sink.writeState(target, done);
      const r = await report(e, source, target, done, { rejected, rejectFile: rejects.file }, started);
      return { ...r, pauseMs, databaseUrl: target.displayUrl };
    } finally {
      rejects?.close();
      await lock.release();
    }
  });
}

/**
 * Both sides compared while the app still writes, so that the fenced pause only has to compare the
 * rows changed in its last moments. First in full: inside one read of the source at a single
 * instant, the log is applied up to that instant (rows read as they were then) and both sides are
 * digested. Then, as the full comparison took a while, once more at a later instant, comparing only
 * the rows changed in between. Applied changes stay in the log until each read ends, since a read
 * of one instant may not write. Null when the source's engine cannot read one instant; the full
 * check then runs fenced.
 */
async function comparedBeforeFence(
  e: Ends,
  source: Engine,
  target: Engine,
  tables: Map<string, SyncedTable>,
  state: SyncState,
  drain: (from: SyncState, run?: Partial<CatchUpRun>) => Promise<{ state: SyncState; rejected: number }>,
  options: SyncOptions,
  undone: string,
): Promise<{ state: SyncState; rejected: number } | null> {
  const instant = e.capture.oneInstant?.bind(e.capture);
  if (!instant) return null;
  options.onEvent?.({ type: 'phase', phase: 'check', message: 'comparing both sides by content while the app still writes' });
  const full = await instant(source, async () => {
    const applied = await drain(state, { keepLog: true });
    await checkIdentical(source, target, applied.state, undone);
    return applied;
  });
  await forgetApplied(e, source, options, full.state.position);
  const changed = new Map<string, Set<string>>();
  const recent = await instant(source, async () => {
    const applied = await drain(full.state, { keepLog: true, changed });
    await checkChangedRows(e, source, target, tables, changed, undone);
    return applied;
  });
  await forgetApplied(e, source, options, recent.state.position);
  return { state: recent.state, rejected: full.rejected + recent.rejected };
}

/** The rows changed since the last comparison, read from both sides by key; any difference stops the cutover. */
async function checkChangedRows(
  e: Ends,
  source: Engine,
  target: Engine,
  tables: Map<string, SyncedTable>,
  changed: Map<string, Set<string>>,
  undone: string,
): Promise<void> {
  const differ = await changedRowsDiffer({ capture: e.capture, from: source, sink: e.sink, to: target, tables, changed });
  if (!differ.length) return;
  throw new FerryError(
    'VERIFY_FAILED',
    `Rows of ${differ.map((d) => d.table).join(', ')} differ between ${source.displayUrl} and ${target.displayUrl}; ${undone}.`,
    {
      hint: 'Nothing was switched. The first differing rows are in the JSON output (--json); refused rows are in the sync reject file.',
      data: { differences: differ },
    },
  );
}

/** The source's highest handed-out key per target table (AUTOINCREMENT counters), so PostgreSQL never hands one out again. */
async function issuedKeys(capture: ChangeCapture, source: Engine, tables: Map<string, SyncedTable>): Promise<Map<string, bigint>> {
  const out = new Map<string, bigint>();
  if (!capture.highestIssuedKey) return out;
  for (const t of tables.values()) {
    const k = await capture.highestIssuedKey(source, t.plan.source);
    if (k !== null) out.set(t.plan.target, k);
  }
  return out;
}

function notReady(source: Engine, target: Engine, state: SyncState | null): FerryError {
  if (state?.phase === 'cut-over')
    return new FerryError('SYNC_NOT_READY', `${source.displayUrl} was already cut over to ${target.displayUrl} at ${state.cutoverAt}.`);
  return new FerryError('SYNC_NOT_READY', `There is no snapshot of ${source.displayUrl} in ${target.displayUrl} yet, so there is nothing to cut over to.`, {
    hint: `Run ferry sync start ${source.displayUrl} <url> first; cut over once it has caught up.`,
  });
}

/** What `ferry sync rollback` did: the rows brought back, and how long it took. */
export interface RollbackReport extends SyncReport {
  broughtBack: number;
}

/** A table plan the other way round: the target's table read, the source's written. */
function reversed(t: TablePlan): TablePlan {
  const byTarget = new Map(t.columns.map((c) => [c.target, c.source]));
  return {
    ...t,
    source: t.target,
    target: t.source,
    columns: t.columns.map((c) => ({ ...c, source: c.target, target: c.source, sourceType: c.targetType, targetType: c.sourceType })),
    primaryKey: t.primaryKey && { ...t.primaryKey, columns: t.primaryKey.columns.map((k) => byTarget.get(k) ?? k) },
  };
}

/**
 * `ferry sync rollback`: after a cutover, fences the target, applies every change captured there
 * onto the SQLite file (in the app's own text forms; the file stays fenced meanwhile), checks both
 * sides are identical, and lifts the SQLite fence: the app goes back with every row it wrote. A kill
 * at any point and the same command again ends the same, since changes are applied by key.
 */
export async function syncRollback(options: SyncOptions): Promise<RollbackReport> {
  const started = Date.now();
  const e = ends(options);
  const back = roleOf(e.to, 'changeCapture', 'capturing changes for the way back (ferry sync rollback)');
  const home = roleOf(e.from, 'changeSink', 'receiving the way back (ferry sync rollback)');
  return withBoth(e, options, async (source, target) => {
    const lock = await lockSync(e, source, target, 'rollback');
    try {
      const state = await e.sink.readState(target, source.displayUrl);
      if (state?.phase !== 'cut-over')
        throw new FerryError('SYNC_NOT_READY', `There was no cutover of ${source.displayUrl} to ${target.displayUrl}, so there is nothing to roll back.`, {
          hint: state ? 'The app still writes to the SQLite file; ferry sync stop ends the sync.' : 'Start a sync with ferry sync start.',
        });
      const plans = state.plan!.tables.map(reversed);
      await back.fence(
        target,
        plans.map((t) => t.source),
        `ferry: this database moved back to SQLite (${source.displayUrl}); writes here are refused.`,
      );
      const changed = new Map<string, Set<string>>();
      const broughtBack = await bringBack(back, home, target, source, plans, state, options, changed);
      // Both sides were identical at the cutover and only PostgreSQL took writes since, every one
      // logged: the rows brought back are the only ones that can differ.
      const differ = await changedRowsDiffer({ capture: back, from: target, sink: home, to: source, tables: wayBack(plans), changed, textForms: true });
      if (differ.length)
        throw new FerryError(
          'VERIFY_FAILED',
          `Rows of ${differ.map((d) => d.table).join(', ')} differ between ${target.displayUrl} and ${source.displayUrl} after bringing them back; both stay fenced, and the rollback can be run again.`,
          { hint: 'The first differing rows are in the JSON output (--json).', data: { differences: differ } },
        );
      const done: SyncState = { ...state, phase: 'rolled-back', updatedAt: new Date().toISOString() };
      await e.sink.writeState(target, done);
      await e.capture.unfence(source);
      return { ...(await report(e, source, target, done, { rejected: 0 }, started)), broughtBack };
    } finally {
      await lock.release();
    }
  });
}

/** The tables of the way back, by their name on the target, with the key their changes there are logged by. */
function wayBack(plans: TablePlan[]): Map<string, SyncedTable> {
  // The reversed plan's key read on its source side: the target's own key columns.
  const keyOf = (t: TablePlan) => t.primaryKey!.columns.map((k) => t.columns.find((c) => c.target === k)?.source ?? k);
  return new Map(plans.map((t) => [t.source, { plan: t, captured: { table: t.source, key: keyOf(t) } }]));
}

/** Every change captured on the target since the cutover, applied to the source by key. */
async function bringBack(
  back: ChangeCapture,
  home: ChangeSink,
  target: Engine,
  source: Engine,
  plans: TablePlan[],
  state: SyncState,
  options: SyncOptions,
  changed: Map<string, Set<string>>,
): Promise<number> {
  const tables = wayBack(plans);
  let position = 0;
  let count = 0;
  for (;;) {
    const changes = await back.changesAfter(target, position, options.batchSize ?? DEFAULT_BATCH);
    if (!changes.length) return count;
    const batch = await batchOf(back, target, tables, changes, true);
    if (batch.refused.length) {
      const first = batch.refused[0]!;
      throw new FerryError(
        'CONFLICT',
        `${batch.refused.length} row(s) written on ${target.displayUrl} cannot be stored in ${source.displayUrl}: ${first.table} ${first.key}: ${first.reason}`,
        {
          hint: 'Nothing was brought back; the SQLite file is still fenced. Fix the rows on PostgreSQL (it is fenced too: ferry sync stop lifts both), then roll back again.',
        },
      );
    }
    position = changes.at(-1)!.position;
    count += changes.length;
    addKeys(changed, keysByTable(changes));
    await home.apply(source, batch.tables, { ...state, position, updatedAt: new Date().toISOString() });
  }
}
