import path from 'node:path';
import type { BackupSet } from '../backup/create-backup.js';
import type { RevisionBatching, RevisionRunHooks } from '../engine/revision-roles.js';
import type { Engine } from '../engine/types.js';
import { roleOf } from '../engines/registry.js';
import { FerryError, isFerryError } from '../errors.js';
import { appliedSet } from './applied-set.js';
export { appliedSet } from './applied-set.js';
import { batchEnd, runBatch } from './revision-batch.js';
import type { RevisionGraph } from './revision-graph.js';
import { importScriptRevision } from './revision-script.js';
import type { Revision, RevisionContext, RevisionSection } from './revision-types.js';
import { splitStatements } from './split-statements.js';
import { VersionStore } from './version-store.js';
import { AFTER_COMMIT_MARKER, runAfterCommitSteps, type StepEvent } from './after-commit.js';
import { stopIfAsked } from './stop-signal.js';
import { lockWaitSchedule, withLockRetries } from './lock-retries.js';
import { StepStore, type StoredStep } from './step-store.js';
import { backfillStep } from './backfill-options.js';
import type { AfterCommitStep } from '../engine/revision-roles.js';
export { lockWaitSchedule } from './lock-retries.js';

/** One revision run (or, with `sql`, printed). */
export interface RevisionStep {
  id: string;
  message: string;
  file: string;
  direction: 'up' | 'down';
  ms: number;
}

/** What happens as a run goes; the CLI prints these. */
export type RevisionEvent =
  | { type: 'backup'; set: BackupSet }
  | { type: 'start'; revision: Revision; direction: 'up' | 'down' }
  | { type: 'done'; step: RevisionStep }
  /** A revision's lock wait timed out; it was rolled back and runs again after `pauseMs`. */
  | { type: 'retry'; revision: Revision; attempt: number; waitedMs: number; pauseMs: number }
  /** A revision's after-commit steps (a VALIDATE, a concurrent index build, a backfill) as they go. */
  | StepEvent;

/** Options shared by upgrade and downgrade. */
export interface ApplyOptions {
  engine: Engine;
  graph: RevisionGraph;
  plan: Revision[];
  direction: 'up' | 'down';
  /**
   * Back the database file up first (the default; `--no-backup` turns it off): done for a
   * `databaseFile` on an engine whose capabilities include fileBackup.
   */
  backup: boolean;
  /** The database's local file (its target's `file`; none for an in-memory or server database). */
  databaseFile?: string;
  /** Where backups go (default: `backup/` beside the database file; `./backup` for a server database). */
  backupDir?: string;
  /** A server database: dump it and check the dump before running (`ferry upgrade --backup`). */
  dumpFirst?: boolean;
  /** The database's URL (for that dump). */
  databaseUrl?: string;
  onEvent?: (e: RevisionEvent) => void;
  /** The plan's script revisions were already imported (see importPlan). */
  imported?: boolean;
  /**
   * Told each statement a script revision sends (ctx.sql, ctx.ops, and ctx.query as `read`), for
   * `--sql`, which runs the plan on a scratch copy to learn them.
   */
  onStatement?: (rev: Revision, sql: string, kind: 'write' | 'read') => void;
  /**
   * The longest one attempt of a revision waits for a lock (default 10 s), on engines with lock-safe
   * runs: attempts wait 100 ms, 200 ms, 500 ms, 1 s, ... up to it, with pauses between them.
   */
  lockTimeoutMs?: number;
  /** Asked to stop (SIGTERM, Ctrl-C): the run ends between revisions, steps or a backfill's batches. */
  signal?: AbortSignal;
}

/** statement_timeout of a transactional revision's statements on lock-safe engines: a safety net, not a schedule. */
const STATEMENT_TIMEOUT_MS = 30 * 60_000;
const DEFAULT_LOCK_WAIT_MS = 10_000;

/**
 * Imports every script revision of a plan before anything runs, so a syntax error (CONFIG_SYNTAX
 * with file and line) changes nothing, not even ferry's own tables.
 */
export function importPlan(plan: Revision[]): Promise<Revision[]> {
  return Promise.all(plan.map((r) => importScriptRevision(r)));
}

/**
 * Runs a plan, each revision in its own transaction (unless it says no-transaction) together with
 * the version and history rows that record it: a failing revision is rolled back whole, the ones
 * before it stay applied, and the database is never "dirty". The engine's revisionRun hooks set
 * the connection up for the run and act around each revision (SQLite: foreign keys off for the
 * run, since PRAGMA foreign_keys does nothing inside a transaction and a table rebuild must not
 * fire ON DELETE CASCADE, and `PRAGMA foreign_key_check` before every commit instead).
 */
export async function applyPlan(options: ApplyOptions): Promise<RevisionStep[]> {
  if (options.plan.length === 0) return [];
  // Every script of the plan is imported before anything runs: a syntax error changes nothing.
  const revisions = options.imported ? options.plan : await importPlan(options.plan);
  await backUpFirst(options);
  const hooks = roleOf(options.engine, 'revisionRun');
  const restoreSettings = await hooks.prepare(options.engine);
  try {
    return await runRevisions(options, revisions, hooks);
  } finally {
    restoreSettings();
  }
}

/**
 * Backs the database up before the run: a database file unless `--no-backup`; a server database
 * only when asked (`--backup`), as a dump checked by a test restore ("backup completed and verified").
 */
async function backUpFirst(options: ApplyOptions): Promise<void> {
  if (options.dumpFirst && options.databaseUrl && !options.databaseFile) return dumpFirst(options, options.databaseUrl);
  const file = options.databaseFile;
  if (!options.backup || !file || !options.engine.capabilities.fileBackup) return;
  // The backup layer loads only when used: a PostgreSQL run never loads it (start-up is most of a short run).
  const { backupUnlessUnchanged } = await import('../backup/create-backup.js');
  // An attempt that failed changed nothing: its backup is still this file's, and is reused.
  const set = await backupUnlessUnchanged({
    files: [file],
    dir: options.backupDir ?? path.join(path.dirname(file), 'backup'),
    reason: `ferry ${options.direction === 'up' ? 'upgrade' : 'downgrade'}`,
  });
  options.onEvent?.({ type: 'backup', set });
}

/** A dump of the server database, checked by restoring it into a scratch database, before anything runs. */
async function dumpFirst(options: ApplyOptions, url: string): Promise<void> {
  const { createBackup } = await import('../backup/create-backup.js');
  const { checkBackup, recordCheck } = await import('../backup/backup-catalog.js');
  const set = await createBackup({
    files: [url],
    dir: options.backupDir ?? path.resolve('backup'),
    reason: `ferry ${options.direction === 'up' ? 'upgrade' : 'downgrade'}`,
  });
  const problems = await checkBackup(set.path, undefined, { deep: true, url });
  recordCheck(set.path, problems);
  if (problems.length)
    throw new FerryError(
      'BACKUP_INVALID',
      `The dump taken before the run (${set.path}) failed its check: ${problems.map((p) => p.problem).join('; ')}. Nothing was run.`,
      {
        subject: set.path,
        hint: 'Look at the set with ferry backups --check, fix what it names, and run the command again.',
      },
    );
  options.onEvent?.({ type: 'backup', set });
}

/**
 * The run's progress: the applied set and heads, read once (under the run lock nobody else
 * changes them) and kept up to date step by step (re-reading them, or a pass over the graph, per
 * revision made long plans quadratic), and the steps done.
 */
class RunProgress {
  readonly steps: RevisionStep[] = [];
  heads: string[];

  constructor(
    private readonly options: ApplyOptions,
    readonly applied: Set<string>,
  ) {
    this.heads = options.graph.currentHeads(applied).map((r) => r.id);
  }

  /** The heads once `rev` has run. */
  headsAfter(rev: Revision): string[] {
    const { graph, direction } = this.options;
    return graph.headsAfterStep(this.heads, rev, direction, { has: (id) => (id === rev.id ? direction === 'up' : this.applied.has(id)) });
  }

  /** Records that `rev` ran, taking `ms`. */
  done(rev: Revision, ms: number): void {
    const { direction } = this.options;
    this.heads = this.headsAfter(rev);
    if (direction === 'up') this.applied.add(rev.id);
    else this.applied.delete(rev.id);
    const step: RevisionStep = { id: rev.id, message: rev.message, file: rev.file, direction, ms };
    this.steps.push(step);
    this.options.onEvent?.({ type: 'done', step });
  }
}

/** What every revision of a run shares. */
interface RunContext {
  options: ApplyOptions;
  hooks: RevisionRunHooks;
  store: VersionStore;
  steps: StepStore;
  progress: RunProgress;
  /** After-commit steps a killed run left, by `revision direction`. */
  pending: Map<string, StoredStep[]>;
}

/** Runs the revisions in order: batches where the engine batches, else one at a time. */
async function runRevisions(options: ApplyOptions, revisions: Revision[], hooks: RevisionRunHooks): Promise<RevisionStep[]> {
  const store = new VersionStore(options.engine);
  const progress = new RunProgress(options, appliedSet(options.graph, await store.heads(), options.engine.displayUrl));
  const steps = new StepStore(options.engine);
  const run: RunContext = { options, hooks, store, steps, progress, pending: await pendingSteps(steps, revisions, options.direction) };
  for (let i = 0; i < revisions.length;) {
    stopIfAsked(options.signal, `before revision ${revisions[i]!.id}`);
    if (hooks.batch) {
      const batch = await runBatchAt(options, hooks.batch, store, progress, revisions, i);
      i += batch.ran;
      // A revision of the batch failed: it runs again alone below, which names its line.
      if (batch.all) continue;
    }
    await runRevision(run, revisions[i]!, i === revisions.length - 1);
    i++;
  }
  return progress.steps;
}

/**
 * The after-commit steps a killed run left, which this run finishes when it comes to their revision
 * (its DDL is committed: it skips to them). Steps of a revision this plan does not run in their direction are refused: the database is between two revisions, and only
 * finishing that one brings it back to a revision the graph knows.
 */
async function pendingSteps(steps: StepStore, revisions: Revision[], direction: 'up' | 'down'): Promise<Map<string, StoredStep[]>> {
  const byRevision = new Map<string, StoredStep[]>();
  for (const s of await steps.all()) {
    const key = `${s.revision} ${s.direction}`;
    byRevision.set(key, [...(byRevision.get(key) ?? []), s]);
  }
  for (const [key, list] of byRevision) {
    const [id, dir] = key.split(' ');
    if (dir === direction && revisions.some((r) => r.id === id)) continue;
    const left = list.filter((s) => !s.done).map((s) => s.step.label);
    throw new FerryError(
      'CONFLICT',
      `Revision ${id}'s ${dir === 'up' ? 'upgrade' : 'downgrade'} committed its changes but its after-commit steps did not finish (${left.join('; ')}).`,
      {
        subject: id,
        hint: `Finish them first: run \`ferry ${dir === 'up' ? 'upgrade' : 'downgrade'} ${id}\` (each step resumes where it stopped), then run this command again.`,
        data: { revision: id, direction: dir, steps: left },
      },
    );
  }
  return byRevision;
}

/**
 * Sends the run of plain SQL revisions starting at `i` in one round trip when there are two or
 * more, each still its own transaction with its version rows (see revision-batch.ts); returns how
 * many committed, and whether that is all of them (false, too, when there was no batch to send).
 */
async function runBatchAt(
  options: ApplyOptions,
  batching: RevisionBatching,
  store: VersionStore,
  progress: RunProgress,
  revisions: Revision[],
  i: number,
): Promise<{ ran: number; all: boolean }> {
  const { engine, graph, direction } = options;
  const end = batchEnd(revisions, i, direction, batching.limit);
  if (end - i <= 1) return { ran: 0, all: false };
  const batch = revisions.slice(i, end);
  for (const rev of batch) options.onEvent?.({ type: 'start', revision: rev, direction });
  const t0 = performance.now();
  // On lock-safe engines a batched revision that waits for a lock fails at the first wait; it then runs alone, retried.
  const lockTimeoutMs = roleOf(engine, 'revisionRun').lockWaits ? lockWaitSchedule(options.lockTimeoutMs ?? DEFAULT_LOCK_WAIT_MS)[0] : undefined;
  const job = {
    batching,
    engine,
    store,
    graph,
    batch,
    applied: progress.applied,
    heads: progress.heads,
    direction,
    flushLast: end === revisions.length,
    lockTimeoutMs,
  };
  const ran = await runBatch(job);
  const each = (performance.now() - t0) / Math.max(1, ran);
  for (const rev of batch.slice(0, ran)) progress.done(rev, each);
  return { ran, all: ran === batch.length };
}

/** Runs one revision with its version rows, in its transaction unless it says no-transaction; then its after-commit steps. */
async function runRevision(run: RunContext, rev: Revision, last: boolean): Promise<void> {
  const { options, hooks, store, progress } = run;
  const { engine, direction } = options;
  const section = direction === 'up' ? rev.up : rev.down;
  if (!section) {
    throw new FerryError('CONFIG_INVALID', `${rel(rev.file)} has no down section, so ferry cannot downgrade past revision ${rev.id}.`, {
      subject: rev.file,
      hint: 'Add a `-- ferry:down` section (or export down()), or downgrade to a later revision.',
    });
  }
  options.onEvent?.({ type: 'start', revision: rev, direction });
  const t0 = performance.now();
  const schedule = lockSchedule(options, hooks, rev);
  // A run killed during the revision's after-commit steps: its DDL is committed, its steps resume.
  let steps = run.pending.get(`${rev.id} ${direction}`);
  if (!steps) steps = await runBody(run, rev, section, schedule, last, t0);
  if (steps.length) {
    options.onStatement?.(rev, AFTER_COMMIT_MARKER, 'write');
    await runAfterCommitSteps({
      engine,
      store: run.steps,
      revision: rev,
      steps,
      waits: hooks.lockWaits,
      schedule,
      onEvent: options.onEvent,
      onStatement: options.onStatement && ((sql) => options.onStatement!(rev, sql, 'write')),
      onLockWait: (waitedMs) => store.record(rev.id, 'lock-wait', null, waitedMs),
      signal: options.signal,
    });
    await engine.transaction(async () => {
      await run.steps.clear(rev.id, direction);
      await store.recordStep(progress.headsAfter(rev), rev.id, direction, rev.checksum, performance.now() - t0);
    });
  }
  progress.done(rev, performance.now() - t0);
}

/**
 * The revision's own statements, with lock waits bounded and retried. When they leave after-commit
 * steps, those are stored with them instead of the version rows (which follow when the steps are
 * done); returns the steps.
 */
async function runBody(run: RunContext, rev: Revision, section: RevisionSection, schedule: number[], last: boolean, t0: number): Promise<StoredStep[]> {
  const { options, hooks, store, progress } = run;
  const { engine, direction } = options;
  const waits = hooks.lockWaits;
  // A no-transaction revision's first statement, whose leftovers from a failed run are cleaned up first.
  const first = !rev.transactional && waits?.cleanUpBefore && section.sql ? splitStatements(section.sql, engine.dialect)[0]?.sql : undefined;
  let cleaning = false;
  return withLockRetries({
    schedule,
    isLockWait: (e) => waits?.isLockWait(e) ?? false,
    attempt: async (lockMs) => {
      let stored: StoredStep[] = [];
      const body = async () => {
        const statementMs = rev.transactional ? STATEMENT_TIMEOUT_MS : null;
        if (waits) await waits.limit(engine, { lockMs, statementMs, local: rev.transactional });
        if (first) {
          cleaning = true;
          await waits!.cleanUpBefore!(engine, first);
          cleaning = false;
        }
        await hooks.beforeRevision?.(engine, { transactional: rev.transactional, last });
        const after = await runSection(engine, rev, section, direction, options.onStatement);
        await refuseDanglingReferences(engine, hooks, rev);
        if (after.length) stored = await run.steps.save(rev.id, direction, after);
        else await store.recordStep(progress.headsAfter(rev), rev.id, direction, rev.checksum, performance.now() - t0);
      };
      if (rev.transactional) await engine.transaction(body);
      else await withSessionLimits(engine, waits, body);
      return stored;
    },
    // A no-transaction revision is run again only when it failed at its first statement (it did
    // nothing else) or while cleaning up before it; the next attempt cleans up what that left.
    again: (e) => {
      const failed = isFerryError(e) ? (e.data as { first?: boolean } | undefined) : undefined;
      return rev.transactional || cleaning || failed?.first === true;
    },
    onWait: async (attempt, waitedMs, pauseMs) => {
      // Each attempt is kept in the history, committed on its own: the revision's transaction is gone.
      await store.record(rev.id, 'lock-wait', null, waitedMs);
      if (pauseMs > 0) options.onEvent?.({ type: 'retry', revision: rev, attempt, waitedMs, pauseMs });
    },
    failed: (attempts, lastMs, cause) => lockWaitFailed(rev, attempts, lastMs, rev.transactional, cause),
  });
}

/** Lock waits per attempt: the revision's own limit, else the run's, else 10 s; one unbounded attempt on engines without lock-safe runs. */
function lockSchedule(options: ApplyOptions, hooks: RevisionRunHooks, rev: Revision): number[] {
  return hooks.lockWaits ? lockWaitSchedule(rev.lockTimeoutMs ?? options.lockTimeoutMs ?? DEFAULT_LOCK_WAIT_MS) : [0];
}

/** A no-transaction revision's session-level limits are lifted when it ends, however it ends. */
async function withSessionLimits(engine: Engine, waits: RevisionRunHooks['lockWaits'], body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } finally {
    await waits?.reset(engine);
  }
}

function lockWaitFailed(rev: Revision, attempts: number, lastMs: number, transactional: boolean, cause: unknown): FerryError {
  const kept = transactional
    ? 'nothing of it was applied, and the revisions before it stay applied'
    : 'it runs without a transaction: what it did before the wait stays (an index CREATE INDEX CONCURRENTLY left INVALID is dropped when the revision runs again)';
  return new FerryError(
    'LOCKED',
    `Revision ${rev.id} (${rev.message}, ${rel(rev.file)}) could not get its locks: ${attempts} attempt(s), the last waiting ${lastMs} ms; ${kept}.`,
    {
      subject: rev.file,
      hint: 'Something holds a lock on a table it changes (a long transaction, a session idle in transaction): `ferry watch --once` shows the blocking chain and `ferry watch --once --kill-blockers` ends it; then run the command again, or wait longer with --lock-timeout or -- ferry:lock-timeout.',
      data: { revision: rev.id, attempts },
      cause,
    },
  );
}

/** Runs one section: SQL statement by statement (so a failure names its line), or the script function. */
async function runSection(
  engine: Engine,
  rev: Revision,
  section: NonNullable<Revision['down']>,
  direction: 'up' | 'down',
  onStatement?: ApplyOptions['onStatement'],
): Promise<AfterCommitStep[]> {
  const after: AfterCommitStep[] = [];
  if (section.fn) {
    const { createSchemaOperations } = await import('./schema-operations.js');
    // Only --sql listens; a data migration's thousands of ctx.sql calls format nothing otherwise.
    const tell = (sql: string, params: unknown[] | undefined, kind: 'write' | 'read') => {
      if (onStatement) onStatement(rev, params?.length ? `${sql} /* parameters: ${params.map(parameterText).join(', ')} */` : sql, kind);
    };
    const ctx: RevisionContext = {
      dialect: engine.dialect,
      engine,
      sql: async (statement, params) => {
        tell(statement, params, 'write');
        if (params && params.length) await engine.query(statement, params);
        else await engine.exec(statement);
      },
      query: (sql, params) => {
        if (onStatement) tell(sql, params, READS.test(sql) ? 'read' : 'write');
        return engine.query(sql, params);
      },
      ops: createSchemaOperations(engine, {
        afterCommit: (step) => after.push(step),
        ...(onStatement ? { onOp: (_op: unknown, statements: string[]) => statements.forEach((sql) => onStatement(rev, sql, 'write')) } : {}),
      }),
      backfill: async (o) => {
        after.push(backfillStep(o));
      },
    };
    try {
      await section.fn(ctx);
    } catch (e) {
      throw revisionError(rev, direction, e, null);
    }
    return after;
  }
  const statements = splitStatements(section.sql ?? '', engine.dialect, section.line ?? 1);
  for (const [i, st] of statements.entries()) {
    try {
      await engine.exec(st.sql);
    } catch (e) {
      throw revisionError(rev, direction, e, { ...st, first: i === 0 });
    }
  }
  return after;
}

/** A statement parameter as a SQL literal would spell it (for the statements `--sql` prints). */
function parameterText(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'string') return `'${v.replace(/'/g, "''")}'`;
  if (v instanceof Uint8Array) return `x'${Buffer.from(v).toString('hex')}'`;
  if (v instanceof Date) return `'${v.toISOString()}'`;
  if (typeof v === 'object') return `'${JSON.stringify(v).replace(/'/g, "''")}'`;
  return String(v);
}

/** Statements that only read (ctx.query may also write, as in UPDATE ... RETURNING). */
const READS = /^\s*(select|show|pragma|explain|values|table)\b/i;

function revisionError(rev: Revision, direction: 'up' | 'down', e: unknown, st: { sql: string; line: number; first?: boolean } | null): FerryError {
  const why = isFerryError(e) ? e.message : ((e as Error)?.message ?? String(e));
  const where = st ? `${rel(rev.file)}:${st.line}` : rel(rev.file);
  // PostgreSQL's errors already quote the statement; SQLite's do not.
  const preview = st && !/Statement: /.test(why) ? ` Statement: ${st.sql.replace(/\s+/g, ' ').slice(0, 160)}` : '';
  return new FerryError(
    'QUERY',
    `Revision ${rev.id} (${rev.message}) failed ${direction === 'up' ? 'upgrading' : 'downgrading'} at ${where}: ${why}.${preview}`,
    {
      subject: where,
      hint: 'Nothing of this revision was kept (it ran in one transaction); the revisions before it stay applied. Fix the file and run the command again.',
      // Whether it was the section's first statement: a no-transaction revision that failed there did nothing else.
      data: { revision: rev.id, file: rev.file, line: st?.line, first: st?.first ?? false },
      cause: e,
    },
  );
}

/** Inside the revision's transaction: no row may point at a missing parent when it commits. */
async function refuseDanglingReferences(engine: Engine, hooks: RevisionRunHooks, rev: Revision): Promise<void> {
  const bad = await hooks.danglingReferences?.(engine);
  if (!bad) return;
  throw new FerryError(
    'CONFLICT',
    `Revision ${rev.id} (${rel(rev.file)}) would leave ${bad.count} row(s) pointing at missing parents: ${bad.sample.join('; ')}.`,
    {
      subject: rev.file,
      hint: `Nothing of this revision was kept. Fix the data or the revision (${bad.listedBy} lists the rows) and run it again.`,
    },
  );
}

function rel(file: string): string {
  const r = path.relative(process.cwd(), file);
  return r && !r.startsWith('..') ? r : file;
}
