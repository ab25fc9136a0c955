/**
 * `ferry sync start|status|stop`: a SQLite database copied into PostgreSQL while the app keeps
 * writing. Start installs change capture on the source (the one write ferry makes to a source: its
 * `_ferry` log and triggers), copies a snapshot with `ferry copy`, then applies the logged changes
 * in commit order, each batch committed on the target with the log position it reached. Changes are
 * applied by key from the source's current row, so applying one twice, or one the snapshot already
 * holds, ends the same: a kill at any instant, then the same command, continues exactly.
 */
import type { CopyConfig } from '../config/types.js';
import type { CapturedChange, CapturedTable, ChangeCapture, ChangeSink, SyncState, TableChanges } from '../engine/sync-roles.js';
import type { TablePlan } from '../engine/table-plan.js';
import type { ConnectionTarget, Engine } from '../engine/types.js';
import { connect, driverOf, parseUrl, resolveDatabaseArgument, roleOf } from '../engines/registry.js';
import { FerryError } from '../errors.js';
import { isInternalTable } from '../schema/own-tables.js';
import { STATE_TABLE } from '../transfer/copy-state.js';
import { runCopy } from '../transfer/run-copy.js';
import { verifyDatabases } from '../transfer/verify-copy.js';
import { convertOptionsOf, converterFor } from '../values/convert-value.js';
import type { Row, Value } from '../values/value.js';

/** Options of the sync commands; the CLI and the library call the same functions. */
export interface SyncOptions {
  /** The SQLite source (file or URL). */
  from: string;
  /** The PostgreSQL target URL. */
  to: string;
  include?: string[];
  exclude?: string[];
  config?: CopyConfig;
  cwd?: string;
  lockTimeoutMs?: number;
  /** Changes per applied batch (default 5,000). */
  batchSize?: number;
  /** Stop once nothing is pending, instead of running until `signal` aborts. */
  untilCaughtUp?: boolean;
  /** How long to wait before looking for new changes when none are pending (default 200 ms). */
  pollMs?: number;
  signal?: AbortSignal;
  onEvent?: (e: SyncEvent) => void;
}

export type SyncEvent =
  | { type: 'phase'; phase: 'capture' | 'snapshot' | 'catch-up'; message: string }
  | { type: 'applied'; changes: number; position: number; pending: number; rate: number };

/** Where a sync stands, as `status` and `start` report it. */
export interface SyncReport {
  source: string;
  target: string;
  phase: SyncState['phase'] | 'not started';
  position: number;
  pending: number;
  /** How long ago the oldest pending change was written, in ms (null: none pending). */
  oldestPendingMs: number | null;
  applied: number;
  rate: number;
  rejected: number;
  ms: number;
}

const DEFAULT_BATCH = 5000;

interface Ends {
  from: ConnectionTarget;
  to: ConnectionTarget;
  capture: ChangeCapture;
  sink: ChangeSink;
}

/** Both URLs parsed and both engines asked for their sync roles, before anything is opened. */
function ends(options: SyncOptions): Ends {
  const cwd = options.cwd ?? process.cwd();
  const from = parseUrl(resolveDatabaseArgument(options.from, cwd));
  const to = parseUrl(resolveDatabaseArgument(options.to, cwd));
  return { from, to, capture: roleOf(from, 'changeCapture'), sink: roleOf(to, 'changeSink') };
}

async function withBoth<T>(e: Ends, options: SyncOptions, fn: (source: Engine, target: Engine) => Promise<T>, readonly = false): Promise<T> {
  // Only status opens the source read-only: every other step writes its own _ferry objects there.
  const source = await connect(e.from, { mustExist: true, readonly, busyTimeoutMs: options.lockTimeoutMs });
  try {
    const target = await connect(e.to, { busyTimeoutMs: options.lockTimeoutMs });
    try {
      return await fn(source, target);
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}

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
      if (!state) state = await beginCapture(e, source, target, options, emit);
      if (state.phase === 'snapshot') state = await copySnapshot(e, target, state, options, emit);
      emit({ type: 'phase', phase: 'catch-up', message: 'applying the changes logged since the snapshot' });
      const applied = await catchUp(e, source, target, state, options, emit);
      return await report(e, source, target, applied.state, applied.rejected, started);
    } finally {
      await lock.release();
    }
  });
}

/** One run per sync: a second `start` (or a `stop` while one runs) is refused, not interleaved. */
async function lockSync(e: Ends, source: Engine, target: Engine, step: string) {
  const lock = await e.sink.tryLock(target, source.displayUrl);
  if (lock) return lock;
  throw new FerryError('LOCKED', `A ferry sync of ${source.displayUrl} into ${target.displayUrl} is running, so this ${step} would interfere with it.`, {
    subject: source.displayUrl,
    hint: 'Stop the running one first (Ctrl-C in its terminal). A killed sync never keeps its lock.',
  });
}

/** Capture first, so no write made while the snapshot is copied is missed. */
async function beginCapture(e: Ends, source: Engine, target: Engine, options: SyncOptions, emit: NonNullable<SyncOptions['onEvent']>): Promise<SyncState> {
  const problem = await e.capture.captureProblem(source);
  if (problem) throw new FerryError('NOT_WAL', `${source.displayUrl} cannot be synced: ${problem}`, { subject: source.displayUrl });
  const tables = await capturedTables(source, options);
  emit({ type: 'phase', phase: 'capture', message: `capturing changes to ${tables.length} table(s)` });
  await e.capture.install(source, tables);
  const state: SyncState = {
    source: source.displayUrl,
    phase: 'snapshot',
    position: await e.capture.position(source),
    applied: 0,
    schema: await e.capture.schemaFingerprint(
      source,
      tables.map((t) => t.table),
    ),
    updatedAt: new Date().toISOString(),
  };
  await e.sink.writeState(target, state);
  return state;
}

/** The tables to follow: every app table (or those asked for), each by its primary key. */
async function capturedTables(source: Engine, options: SyncOptions): Promise<CapturedTable[]> {
  const schema = await source.introspect();
  const include = options.include ?? options.config?.include;
  const exclude = new Set(options.exclude ?? options.config?.exclude ?? []);
  const tables = schema.tables.filter((t) => !isInternalTable(t.name) && (include ? include.includes(t.name) : !exclude.has(t.name)));
  const keyless = tables.filter((t) => !t.primaryKey?.columns.length).map((t) => t.name);
  if (keyless.length)
    throw new FerryError(
      'NOT_SUPPORTED',
      `ferry sync follows rows by primary key; ${keyless.map((t) => `"${t}"`).join(', ')} ha${keyless.length > 1 ? 've' : 's'} none.`,
      {
        subject: keyless[0],
        hint: 'Add a primary key to each, or leave them out with --exclude (and copy them once the app is stopped).',
      },
    );
  return tables.map((t) => ({ table: t.name, key: t.primaryKey!.columns }));
}

/**
 * The snapshot, copied (or resumed) by ferry copy. Its plan is recorded before the copy writes
 * anything, and kept to convert later changes alike: a sync killed once the copy has finished (its
 * progress table gone) goes straight on to catching up.
 */
async function copySnapshot(e: Ends, target: Engine, state: SyncState, options: SyncOptions, emit: NonNullable<SyncOptions['onEvent']>): Promise<SyncState> {
  const present = new Set((await target.introspect()).tables.map((t) => t.name));
  const resume = present.has(STATE_TABLE);
  let current = state;
  // The copy drops its progress table only once it has finished: a recorded plan, no progress table
  // and the plan's tables in place mean a run killed after the copy. Without the tables, the copy
  // had not begun writing when the run was killed, and starts again.
  const copied = !resume && current.plan !== undefined && current.plan.tables.every((t) => present.has(t.target));
  if (!copied) {
    emit({ type: 'phase', phase: 'snapshot', message: 'copying a snapshot (ferry copy)' });
    await runCopy({
      from: e.from.url,
      to: e.to.url,
      include: options.include,
      exclude: options.exclude,
      config: options.config,
      cwd: options.cwd,
      lockTimeoutMs: options.lockTimeoutMs,
      // The source changes while it is read: the rows are checked once the changes are applied.
      verify: false,
      // The app goes on writing: an INTEGER column may get values the snapshot never saw, and
      // SQLite's INTEGER holds 64 bits.
      integers: 'bigint',
      resume,
      onPlan: async (plan) => {
        current = { ...current, plan, updatedAt: new Date().toISOString() };
        await e.sink.writeState(target, current);
      },
    });
  }
  const next: SyncState = { ...current, phase: 'catch-up', updatedAt: new Date().toISOString() };
  await e.sink.writeState(target, next);
  return next;
}

/** Applies logged changes batch by batch until none are pending (or until stopped). */
async function catchUp(
  e: Ends,
  source: Engine,
  target: Engine,
  state: SyncState,
  options: SyncOptions,
  emit: NonNullable<SyncOptions['onEvent']>,
): Promise<{ state: SyncState; rejected: number }> {
  // Rows are read by the key the capture was installed with.
  const captured = new Map((await e.capture.state(source))?.tables.map((t) => [t.table, t]) ?? []);
  const tables = new Map(state.plan!.tables.filter((t) => captured.has(t.source)).map((t) => [t.source, { plan: t, captured: captured.get(t.source)! }]));
  let rejected = 0;
  for (;;) {
    if (options.signal?.aborted) break;
    await checkSchema(e.capture, source, [...captured.keys()], state);
    const changes = await e.capture.changesAfter(source, state.position, options.batchSize ?? DEFAULT_BATCH);
    if (!changes.length) {
      if (options.untilCaughtUp) break;
      await pause(options.pollMs ?? 200, options.signal);
      continue;
    }
    const began = Date.now();
    const batch = await changesToApply(e.capture, source, tables, changes);
    rejected += batch.rejected;
    const rate = Math.round(changes.length / Math.max(0.001, (Date.now() - began) / 1000));
    state = { ...state, position: changes.at(-1)!.position, applied: state.applied + changes.length, rate, updatedAt: new Date().toISOString() };
    await e.sink.apply(target, batch.tables, state);
    // Only once the target holds the batch and its position: a kill before this re-reads the log.
    await e.capture.forget(source, state.position);
    emit({ type: 'applied', changes: changes.length, position: state.position, pending: (await e.capture.position(source)) - state.position, rate });
  }
  return { state, rejected };
}

/** A table changed on the source stops the sync before a change is applied to the wrong shape. */
async function checkSchema(capture: ChangeCapture, source: Engine, tables: string[], state: SyncState): Promise<void> {
  if (!state.schema || (await capture.schemaFingerprint(source, tables)) === state.schema) return;
  throw new FerryError(
    'STALE_STATE',
    `The schema of the synced tables in ${source.displayUrl} changed while the sync ran; ferry stopped before applying another change.`,
    {
      subject: source.displayUrl,
      hint: 'Apply the same schema change to the target (ferry upgrade), or run ferry sync stop and start the sync again.',
    },
  );
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}

/**
 * One batch as the target applies it: for each changed key, the source's current row (written
 * by key) or, where there is none, the key (deleted). Values go through the copy plan's
 * converters, as the snapshot's did; a row they refuse is counted and left out.
 */
async function changesToApply(
  capture: ChangeCapture,
  source: Engine,
  tables: Map<string, { plan: TablePlan; captured: CapturedTable }>,
  changes: CapturedChange[],
  textForms = false,
): Promise<{ tables: TableChanges[]; rejected: number; problem?: string }> {
  const byTable = new Map<string, Set<string>>();
  for (const c of changes) {
    if (!byTable.has(c.table)) byTable.set(c.table, new Set());
    byTable.get(c.table)!.add(c.key);
  }
  const out: TableChanges[] = [];
  let rejected = 0;
  let problem: string | undefined;
  for (const [name, keySet] of byTable) {
    const found = tables.get(name);
    if (!found) continue;
    const { plan, captured } = found;
    const keys = [...keySet];
    const rows = await capture.rowsByKey(
      source,
      captured,
      plan.columns.map((c) => c.source),
      keys,
    );
    const convert = plan.columns.map((c) => converterFor(c.logical, convertOptionsOf(c, textForms)));
    // The target's key columns, each as the captured key's position and the column's converter.
    const targetKey = plan.primaryKey!.columns.map((k) => {
      const column = plan.columns.findIndex((c) => c.target === k);
      return { at: captured.key.indexOf(plan.columns[column]!.source), convert: convert[column]! };
    });
    const upserts: Row[] = [];
    const deletes: Value[][] = [];
    for (const k of keys) {
      const row = rows.get(k);
      try {
        if (row) upserts.push(row.slice(captured.key.length).map((v, i) => convert[i]!(v)));
        else {
          const values = capture.keyValues(k);
          deletes.push(targetKey.map((t) => t.convert(values[t.at]!)));
        }
      } catch (err) {
        rejected++;
        problem ??= `${name} ${k}: ${(err as Error).message}`;
      }
    }
    out.push({ table: plan, upserts, deletes });
  }
  return { tables: out, rejected, ...(problem ? { problem } : {}) };
}

async function report(e: Ends, source: Engine, target: Engine, state: SyncState | null, rejected: number, started: number): Promise<SyncReport> {
  const last = await e.capture.position(source);
  return {
    source: source.displayUrl,
    target: target.displayUrl,
    phase: state?.phase ?? 'not started',
    position: state?.position ?? 0,
    pending: state ? Math.max(0, last - state.position) : 0,
    oldestPendingMs: state && state.phase !== 'snapshot' ? await e.capture.pendingAge(source, state.position) : null,
    applied: state?.applied ?? 0,
    rate: state?.rate ?? 0,
    rejected,
    ms: Date.now() - started,
  };
}

/** `ferry sync status`: the phase, the changes pending, and the last apply rate. Reads only. */
export async function syncStatus(options: SyncOptions): Promise<SyncReport> {
  const started = Date.now();
  const e = ends(options);
  return withBoth(e, options, async (source, target) => report(e, source, target, await e.sink.readState(target, source.displayUrl), 0, started), true);
}

/** `ferry sync stop`: removes the capture (log, triggers, fences) from the source and the sync's state from the target. */
export async function syncStop(options: SyncOptions): Promise<SyncReport> {
  const started = Date.now();
  const e = ends(options);
  return withBoth(e, options, async (source, target) => {
    const lock = await lockSync(e, source, target, 'stop');
    try {
      const state = await e.sink.readState(target, source.displayUrl);
      const r = await report(e, source, target, state, 0, started);
      await e.capture.remove(source);
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
 * `ferry sync cutover`: catches up, fences the source (its writes now fail with a clear message
 * instead of being lost), drains what is pending, checks both sides are identical by content,
 * starts capturing changes on the target for the way back, and reports the pause. If the check
 * fails, the fence is lifted and nothing else changes.
 */
export async function syncCutover(options: SyncOptions): Promise<CutoverReport> {
  const started = Date.now();
  const e = ends(options);
  const emit = options.onEvent ?? (() => undefined);
  const back = roleOf(e.to, 'changeCapture', 'capturing changes for the way back (ferry sync cutover)');
  return withBoth(e, options, async (source, target) => {
    const lock = await lockSync(e, source, target, 'cutover');
    try {
      const state = await e.sink.readState(target, source.displayUrl);
      if (!state || state.phase !== 'catch-up') throw notReady(source, target, state);
      // Most of the backlog is applied while the app still writes, so the pause is short.
      let caught = await catchUp(e, source, target, state, { ...options, untilCaughtUp: true, signal: undefined }, emit);
      const fenced = Date.now();
      const tables = (await e.capture.state(source))!.tables.map((t) => t.table);
      await e.capture.fence(source, tables, movedMessage(target));
      try {
        caught = await catchUp(e, source, target, caught.state, { ...options, untilCaughtUp: true, signal: undefined }, emit);
        await checkIdentical(source, target, caught.state);
        await back.install(
          target,
          caught.state.plan!.tables.map((t) => ({ table: t.target, key: t.primaryKey!.columns })),
        );
      } catch (err) {
        await e.capture.unfence(source);
        throw err;
      }
      const pauseMs = Date.now() - fenced;
      const done: SyncState = { ...caught.state, phase: 'cut-over', cutoverAt: new Date().toISOString(), pauseMs, updatedAt: new Date().toISOString() };
      await e.sink.writeState(target, done);
      return { ...(await report(e, source, target, done, caught.rejected, started)), pauseMs, databaseUrl: target.displayUrl };
    } finally {
      await lock.release();
    }
  });
}

function notReady(source: Engine, target: Engine, state: SyncState | null): FerryError {
  if (state?.phase === 'cut-over')
    return new FerryError('SYNC_NOT_READY', `${source.displayUrl} was already cut over to ${target.displayUrl} at ${state.cutoverAt}.`);
  return new FerryError('SYNC_NOT_READY', `There is no snapshot of ${source.displayUrl} in ${target.displayUrl} yet, so there is nothing to cut over to.`, {
    hint: `Run ferry sync start ${source.displayUrl} <url> first; cut over once it has caught up.`,
  });
}

/** Both sides identical by content, table by table; otherwise the step stops (`undone` says what that left). */
async function checkIdentical(
  source: Engine,
  target: Engine,
  state: SyncState,
  undone = 'the cutover was undone: the source takes writes again',
): Promise<void> {
  // One worker for the target while this thread hashes the source: a second worker's start-up costs more than it saves here.
  const verify = await verifyDatabases({ from: source, to: target, plan: state.plan!, digestThreads: 1 });
  const differ = verify.tables.filter((t) => !t.ok).map((t) => t.table);
  if (differ.length)
    throw new FerryError('VERIFY_FAILED', `After draining, ${differ.join(', ')} differ between ${source.displayUrl} and ${target.displayUrl}; ${undone}.`, {
      hint: 'Nothing was switched. Run ferry verify --detailed to see the rows.',
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
      const broughtBack = await bringBack(back, home, target, source, plans, state, options);
      await checkIdentical(source, target, state, 'both stay fenced, and the rollback can be run again');
      const done: SyncState = { ...state, phase: 'rolled-back', updatedAt: new Date().toISOString() };
      await e.sink.writeState(target, done);
      await e.capture.unfence(source);
      return { ...(await report(e, source, target, done, 0, started)), broughtBack };
    } finally {
      await lock.release();
    }
  });
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
): Promise<number> {
  const tables = new Map(plans.map((t) => [t.source, { plan: t, captured: { table: t.source, key: t.primaryKey!.columns } }]));
  let position = 0;
  let count = 0;
  for (;;) {
    const changes = await back.changesAfter(target, position, options.batchSize ?? DEFAULT_BATCH);
    if (!changes.length) return count;
    const batch = await changesToApply(back, target, tables, changes, true);
    if (batch.rejected)
      throw new FerryError('CONFLICT', `${batch.rejected} row(s) written on ${target.displayUrl} cannot be stored in ${source.displayUrl}: ${batch.problem}`, {
        hint: 'Nothing was brought back; the SQLite file is still fenced. Fix the rows on PostgreSQL (it is fenced too: ferry sync stop lifts both), then roll back again.',
      });
    position = changes.at(-1)!.position;
    count += changes.length;
    await home.apply(source, batch.tables, { ...state, position, updatedAt: new Date().toISOString() });
  }
}
