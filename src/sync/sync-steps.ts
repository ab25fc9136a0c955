/**
 * What every `ferry sync` step shares: both ends parsed and opened, the sync's lock, the catch-up
 * loop that applies logged changes batch by batch, the schema guard, and the report.
 */
import path from 'node:path';
import type { CopyConfig } from '../config/types.js';
import type { ChangeCapture, ChangeSink, SyncState } from '../engine/sync-roles.js';
import type { ConnectionTarget, Engine } from '../engine/types.js';
import { connect, parseUrl, resolveDatabaseArgument, roleOf } from '../engines/registry.js';
import { FerryError } from '../errors.js';
import { RejectLog } from '../transfer/reject-log.js';
import { verifyDatabases } from '../transfer/verify-copy.js';
import { jsonSafe } from '../values/json-safe.js';
import { batchOf, keysByTable, type SyncedTable } from './sync-batch.js';

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
  /** Integer widths of the snapshot, as ferry copy's `--integers`: fit the values (default) or always bigint. */
  integers?: 'fit' | 'bigint';
  /** As ferry copy's `--jsonb`: JSON-declared columns become jsonb when every value parses. */
  jsonb?: boolean;
  /** As ferry copy's `--virtual-tables`: SQLite FTS/R*Tree tables stop the start (`fail`, default) or are left out (`skip`). */
  virtualTables?: 'fail' | 'skip';
  /** Tables the snapshot's copy loads at once (ferry copy's `--parallel`). */
  parallel?: number;
  /** Where refused rows are written (default `ferry-sync-rejects-<time>.jsonl` in `cwd`, kept for the sync's later runs). */
  rejectFile?: string;
  /** Stop once nothing is pending, instead of running until `signal` aborts. */
  untilCaughtUp?: boolean;
  /** How long to wait before looking for new changes when none are pending (default 200 ms). */
  pollMs?: number;
  signal?: AbortSignal;
  onEvent?: (e: SyncEvent) => void;
}

export type SyncEvent =
  | { type: 'phase'; phase: 'capture' | 'snapshot' | 'catch-up' | 'check' | 'fence'; message: string }
  | { type: 'applied'; changes: number; position: number; pending: number; rate: number }
  /** What the snapshot's copy plan says about a table (a rowid key, a type choice). */
  | { type: 'warning'; code: string; message: string };

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
  /** Changed rows the target refused in this run (listed in `rejectFile`). */
  rejected: number;
  rejectFile?: string;
  ms: number;
}

export const DEFAULT_BATCH = 5000;

export interface Ends {
  from: ConnectionTarget;
  to: ConnectionTarget;
  capture: ChangeCapture;
  sink: ChangeSink;
}

/** Both URLs parsed and both engines asked for their sync roles, before anything is opened. */
export function ends(options: SyncOptions): Ends {
  const cwd = options.cwd ?? process.cwd();
  const from = parseUrl(resolveDatabaseArgument(options.from, cwd));
  const to = parseUrl(resolveDatabaseArgument(options.to, cwd));
  return { from, to, capture: roleOf(from, 'changeCapture'), sink: roleOf(to, 'changeSink') };
}

export async function withBoth<T>(e: Ends, options: SyncOptions, fn: (source: Engine, target: Engine) => Promise<T>, readonly = false): Promise<T> {
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

/** One run per sync: a second `start` (or a `stop` while one runs) is refused, not interleaved. */
export async function lockSync(e: Ends, source: Engine, target: Engine, step: string) {
  const lock = await e.sink.tryLock(target, source.displayUrl);
  if (lock) return lock;
  throw new FerryError('LOCKED', `A ferry sync of ${source.displayUrl} into ${target.displayUrl} is running, so this ${step} would interfere with it.`, {
    subject: source.displayUrl,
    hint: 'Stop the running one first (Ctrl-C in its terminal). A killed sync never keeps its lock.',
  });
}

/**
 * A write ferry sync makes on the source (its triggers, its fence) waits for the app's write
 * transaction like any writer; one held past the lock timeout is named as such, with what to do.
 */
export async function writingToSource<T>(source: Engine, what: string, options: SyncOptions, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof FerryError) || err.code !== 'LOCKED') throw err;
    const waited = options.lockTimeoutMs === undefined ? 'the lock timeout' : `${options.lockTimeoutMs} ms`;
    throw new FerryError(
      'LOCKED',
      `${source.displayUrl} is held by a long write transaction: ferry waited ${waited} to ${what} and gave up, before that step changed anything.`,
      {
        subject: source.displayUrl,
        hint: 'Let that transaction finish (a migration, a bulk import, a job holding BEGIN IMMEDIATE), or wait longer with --lock-timeout, then run the same command again: it continues from what was done.',
        cause: err,
      },
    );
  }
}

/** Drops logged changes up to `position`, once the target holds them and the position. */
export function forgetApplied(e: Ends, source: Engine, options: SyncOptions, position: number): Promise<void> {
  return writingToSource(source, 'trim its change log', options, () => e.capture.forget(source, position));
}

/** The reject file of a sync: the one its first run chose, so every run appends to the same file. */
export function rejectFileFor(options: SyncOptions, state?: SyncState | null): string {
  if (state?.rejectFile) return state.rejectFile;
  const cwd = options.cwd ?? process.cwd();
  const chosen = options.rejectFile ?? options.config?.rejectFile ?? `ferry-sync-rejects-${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl`;
  return path.resolve(cwd, chosen);
}

/** The tables a sync follows, by source name: their copy plan and the key their changes are logged by. */
export async function syncedTables(capture: ChangeCapture, source: Engine, state: SyncState): Promise<Map<string, SyncedTable>> {
  const captured = new Map((await capture.state(source))?.tables.map((t) => [t.table, t]) ?? []);
  return new Map(state.plan!.tables.filter((t) => captured.has(t.source)).map((t) => [t.source, { plan: t, captured: captured.get(t.source)! }]));
}

/** How one catch-up runs, beyond the options. */
export interface CatchUpRun {
  tables: Map<string, SyncedTable>;
  rejects: RejectLog;
  /** Keep applied changes in the log: inside a read of one instant, which must not write. */
  keepLog?: boolean;
  /** Collects the keys applied, by table (for the cutover's check of changed rows). */
  changed?: Map<string, Set<string>>;
}

/** Applies logged changes batch by batch until none are pending (or until stopped). */
export async function catchUp(
  e: Ends,
  source: Engine,
  target: Engine,
  state: SyncState,
  options: SyncOptions,
  run: CatchUpRun,
): Promise<{ state: SyncState; rejected: number }> {
  const emit = options.onEvent ?? (() => undefined);
  let rejected = 0;
  for (;;) {
    if (options.signal?.aborted) break;
    await checkSchema(e, source, target, [...run.tables.keys()], state);
    const changes = await e.capture.changesAfter(source, state.position, options.batchSize ?? DEFAULT_BATCH);
    if (!changes.length) {
      if (options.untilCaughtUp) break;
      await pause(options.pollMs ?? 200, options.signal);
      continue;
    }
    const began = Date.now();
    const batch = await batchOf(e.capture, source, run.tables, changes);
    // Refused rows are on disk before the batch commits: a kill between the two writes them again, once.
    run.rejects.write(batch.refused.map((r) => ({ table: r.table, key: e.capture.keyValues(r.key).map(jsonSafe), reason: r.reason })));
    rejected += batch.refused.length;
    const rate = Math.round(changes.length / Math.max(0.001, (Date.now() - began) / 1000));
    state = {
      ...state,
      position: changes.at(-1)!.position,
      applied: state.applied + changes.length,
      rate,
      updatedAt: new Date().toISOString(),
      ...(batch.refused.length ? { rejected: (state.rejected ?? 0) + batch.refused.length } : {}),
    };
    await e.sink.apply(target, batch.tables, state);
    if (run.changed) addKeys(run.changed, keysByTable(changes));
    // Only once the target holds the batch and its position: a kill before this re-reads the log.
    if (!run.keepLog) await forgetApplied(e, source, options, state.position);
    emit({ type: 'applied', changes: changes.length, position: state.position, pending: (await e.capture.position(source)) - state.position, rate });
  }
  return { state, rejected };
}

/** Adds keys by table into `into`. */
export function addKeys(into: Map<string, Set<string>>, from: Map<string, Set<string>>): void {
  for (const [table, keys] of from) {
    const set = into.get(table) ?? new Set<string>();
    for (const k of keys) set.add(k);
    into.set(table, set);
  }
}

/** A synced table changed on either side stops the sync before a change is applied to the wrong shape. */
async function checkSchema(e: Ends, source: Engine, target: Engine, tables: string[], state: SyncState): Promise<void> {
  const changed = (side: Engine, label: string) =>
    new FerryError(
      'STALE_STATE',
      `The schema of the synced tables in ${side.displayUrl} (${label}) changed while the sync ran; ferry stopped before applying another change.`,
      {
        subject: side.displayUrl,
        hint: 'Make both sides match again (the same change on the other side, say with ferry upgrade), or run ferry sync stop and start the sync again.',
      },
    );
  if (state.schema && (await e.capture.schemaFingerprint(source, tables)) !== state.schema) throw changed(source, 'the source');
  if (state.targetSchema && state.plan) {
    const now = await roleOf(target, 'changeCapture').schemaFingerprint(
      target,
      state.plan.tables.map((t) => t.target),
    );
    if (now !== state.targetSchema) throw changed(target, 'the target');
  }
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}

export async function report(
  e: Ends,
  source: Engine,
  target: Engine,
  state: SyncState | null,
  run: { rejected: number; rejectFile?: string },
  started: number,
): Promise<SyncReport> {
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
    rejected: run.rejected,
    ...(run.rejected && run.rejectFile ? { rejectFile: run.rejectFile } : {}),
    ms: Date.now() - started,
  };
}

/** Both sides identical by content, table by table; otherwise the step stops (`undone` says what that left). */
export async function checkIdentical(source: Engine, target: Engine, state: SyncState, undone: string): Promise<void> {
  // One worker for the target while this thread hashes the source: a second worker's start-up costs more than it saves here.
  const verify = await verifyDatabases({ from: source, to: target, plan: state.plan!, digestThreads: 1 });
  const differ = verify.tables.filter((t) => !t.ok).map((t) => t.table);
  if (differ.length)
    throw new FerryError('VERIFY_FAILED', `${differ.join(', ')} differ between ${source.displayUrl} and ${target.displayUrl}; ${undone}.`, {
      hint: 'Nothing was switched. Run ferry verify --detailed to see the rows.',
    });
}
