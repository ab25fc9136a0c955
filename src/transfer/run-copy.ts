import fs from 'node:fs';
import path from 'node:path';
import { connect, resolveDatabaseArgument } from '../engines/registry.js';
import type { Engine } from '../engine/types.js';
import { parseUrl } from '../engines/registry.js';
import { type ConnectionTarget } from '../engine/types.js';
import { createExtensionSql } from '../engines/postgres/postgres-ddl.js';
import { openSqlite } from '../engines/sqlite/sqlite-engine.js';
import { FerryError } from '../errors.js';
import type { CopyConfig } from '../config/types.js';
import { formatBytes } from '../util/disk-space.js';
import { removeSqliteFiles, sqliteDiskSize, timestampName } from '../util/fs-atomic.js';
import { buildCopyPlan } from './build-copy-plan.js';
import { adoptExistingTables, checkTargetTables } from './copy-target-check.js';
import type { CopyEvent, CopyTableReport } from './copy-events.js';
import { CopyState, STATE_TABLE, type TableState } from './copy-state.js';
import type { CopyPlan } from './copy-types.js';
import type { PlanWarning } from '../engine/table-plan.js';
import { loadTable } from './load-table.js';
import { preflightTarget, remainingBytes, type Preflight } from './copy-preflight.js';
import { finishTable, linkTables, type PostLoadJob } from './post-load.js';
import { RejectLog } from './reject-log.js';
import { createSchemaSql, sinkFor, sourceFor } from './copy-endpoints.js';
import { recordOriginSql, syncOriginColumns } from './copy-origin.js';
import { verifyDatabases, type VerifyReport } from './verify-copy.js';

/** Options of `ferry copy`; the CLI and the library call the same function with these. */
export interface CopyOptions {
  /** Source URL or SQLite path. */
  from: string;
  /** Target URL or SQLite path. */
  to: string;
  /** Copy only these tables. */
  include?: string[];
  /** Leave these tables out. */
  exclude?: string[];
  /** Rows per committed chunk (default 50,000). */
  batchSize?: number;
  /** Tables loaded at once (default 2; SQLite targets take one writer). */
  parallel?: number;
  /** Create the schema (tables, keys, indexes) and copy no rows. */
  schemaOnly?: boolean;
  /** Copy rows into tables that already exist; create nothing. */
  dataOnly?: boolean;
  /** A target table that already holds rows: stop (default), empty it first, or add to it. */
  ifExists?: 'fail' | 'truncate' | 'append';
  /** Continue a copy that was interrupted (its progress is kept in the target). */
  resume?: boolean;
  /** Refused rows tolerated (default 0). */
  maxRejects?: number;
  /** Run verify at the end (default true). */
  verify?: boolean;
  /** JSON-declared columns become jsonb. */
  jsonb?: boolean;
  /** Integer widths: fit the declared type and values (default), or always bigint. */
  integers?: 'fit' | 'bigint';
  /** SQLite virtual tables (FTS, R*Tree): stop before writing (default) or leave them out. */
  virtualTables?: 'fail' | 'skip';
  /** The reject file (default `ferry-rejects-<time>.jsonl` in `cwd`). */
  rejectFile?: string;
  /** The config file's `copy` section. */
  config?: CopyConfig;
  /** Folder relative paths resolve against (default process.cwd()). */
  cwd?: string;
  /** Plan and run the pre-flight checks, and write nothing (the report holds the plan). */
  dryRun?: boolean;
  /** How long to wait for a locked database (SQLite busy timeout, PostgreSQL lock_timeout). */
  lockTimeoutMs?: number;
  /** Progress events. */
  onEvent?: (e: CopyEvent) => void;
}

/** What a copy did. */
export interface CopyReport {
  from: string;
  to: string;
  resumed: boolean;
  tables: CopyTableReport[];
  totals: { rows: number; bytes: number; ms: number; rejects: number };
  warnings: PlanWarning[];
  /** The reject file, when any row was refused. */
  rejectFile: string | null;
  verify: VerifyReport | null;
  /** --dry-run: nothing was written; this is the plan, and what the pre-flight checked. */
  dryRun?: { plan: CopyPlan; checks: string[] };
}

export const DEFAULT_BATCH_SIZE = 50_000;
export const DEFAULT_PARALLEL = 2;

/**
 * `ferry copy`: plan (introspect and profile the source, choose exact types), check the target
 * (connection, rights, emptiness, a partial copy), create the schema in one transaction, load
 * every table in committed chunks, build keys, indexes and foreign keys, set sequences, ANALYZE,
 * then verify by content. Interrupted at any point, `--resume` continues where it stopped.
 */
export async function runCopy(options: CopyOptions): Promise<CopyReport> {
  const started = Date.now();
  const cwd = options.cwd ?? process.cwd();
  const emit = options.onEvent ?? (() => undefined);
  const cfg = options.config ?? {};
  const fromTarget = parseUrl(resolveDatabaseArgument(options.from, cwd));
  const toTarget = parseUrl(resolveDatabaseArgument(options.to, cwd));
  if (fromTarget.dialect === toTarget.dialect) {
    throw new FerryError(
      'USAGE',
      `ferry copy moves data between SQLite and PostgreSQL; ${fromTarget.displayUrl} and ${toTarget.displayUrl} are both ${fromTarget.dialect}.`,
      {
        hint: 'To merge SQLite files use ferry consolidate; to copy a SQLite file use ferry backup.',
      },
    );
  }
  if (options.schemaOnly && options.dataOnly) throw new FerryError('USAGE', 'Choose one of --schema-only and --data-only.');
  const batchSize = positive(options.batchSize ?? cfg.batchSize ?? DEFAULT_BATCH_SIZE, '--batch-size');
  const parallel = toTarget.dialect === 'sqlite' ? 1 : positive(options.parallel ?? cfg.parallel ?? DEFAULT_PARALLEL, '--parallel');
  const maxRejects = options.maxRejects ?? cfg.maxRejects ?? 0;
  const ifExists = options.ifExists ?? cfg.ifExists ?? 'fail';

  const lockTimeoutMs = options.lockTimeoutMs;
  const source = await openSource(fromTarget, lockTimeoutMs);
  let target: Engine | null = null;
  const extraTargets: Engine[] = [];
  let rejectFile = path.resolve(cwd, options.rejectFile ?? cfg.rejectFile ?? `ferry-rejects-${timestampName()}.jsonl`);
  let rejects = new RejectLog(rejectFile, maxRejects);
  // A SQLite target that did not exist is removed again if the run fails before its schema is
  // committed: bad input leaves nothing behind.
  const newTargetFile = toTarget.dialect === 'sqlite' && !fs.existsSync(toTarget.file!) ? toTarget.file : null;
  let schemaCommitted = false;
  try {
    // The plan reads (and profiles) every source row before anything is written, so a source
    // that is not SQLite, is corrupt or holds values no type fits fails with the target untouched.
    const plan = await buildCopyPlan(source, toTarget.dialect, {
      include: options.include,
      exclude: options.exclude,
      config: cfg,
      jsonb: options.jsonb,
      integers: options.integers,
      virtualTables: options.virtualTables,
      targetDisplayUrl: toTarget.displayUrl,
    });
    const bytes = await sourceBytes(source, fromTarget);
    const pre = await preflightTarget(toTarget, plan, { sourceBytes: bytes, dryRun: options.dryRun, busyTimeoutMs: lockTimeoutMs });
    if (options.dryRun)
      return await dryRunReport(pre, plan, { fromTarget, toTarget, ifExists, dataOnly: !!options.dataOnly, resume: !!options.resume, started });
    target = pre.engine!;
    const state = new CopyState(target);
    const partial = await state.exists();
    if (partial && !options.resume && ifExists !== 'truncate') {
      const recorded = await state.source();
      const all = [...(await state.load()).values()];
      // Every table loaded and linked: only the closing verify did not finish. Never advise throwing that away.
      if (all.length && all.every((t) => t.phase === 'done')) {
        throw new FerryError(
          'PARTIAL_COPY',
          `${toTarget.displayUrl} holds a complete copy${recorded ? ` from ${recorded}` : ''} whose closing verify did not finish.`,
          {
            subject: toTarget.displayUrl,
            hint: `Finish it with: ferry copy ${fromTarget.displayUrl} ${toTarget.displayUrl} --resume (it only verifies).`,
          },
        );
      }
      throw new FerryError(
        'PARTIAL_COPY',
        `${toTarget.displayUrl} holds an unfinished copy${recorded ? ` from ${recorded}` : ''}; ferry will not start over it.`,
        {
          subject: toTarget.displayUrl,
          hint: `Continue it with: ferry copy ${fromTarget.displayUrl} ${toTarget.displayUrl} --resume. Or start again from scratch with --if-exists truncate.`,
        },
      );
    }
    const resumed = partial && !!options.resume;
    const existing = await target.introspect();
    let states: Map<string, TableState>;
    if (resumed && !options.rejectFile && !cfg.rejectFile) {
      // A resumed run keeps adding to the interrupted run's reject file.
      const recorded = await state.rejectFile();
      if (recorded) {
        rejectFile = recorded;
        rejects = new RejectLog(rejectFile, maxRejects);
      }
    }
    if (resumed) {
      adoptExistingTables(plan, existing, toTarget.dialect);
      states = await state.load();
      for (const t of plan.tables) {
        if (!states.has(t.target))
          throw new FerryError('PARTIAL_COPY', `The unfinished copy in ${toTarget.displayUrl} did not include the table "${t.target}".`, {
            subject: t.target,
            hint: 'Resume with the same --tables/--exclude as the interrupted run, or start again with --if-exists truncate.',
          });
      }
    } else {
      // Starting over an unfinished copy: the tables it created are made again from scratch, so they
      // get their keys and indexes (they only ever held that copy's rows).
      const restart =
        partial && ifExists === 'truncate' ? new Set([...(await state.load()).values()].filter((s) => !s.existing).map((s) => s.table)) : new Set<string>();
      const before = { ...existing, tables: existing.tables.filter((t) => !restart.has(t.name)) };
      const plannedExisting = await checkTargetTables(target, plan, before, { ifExists, dataOnly: !!options.dataOnly, partial });
      adoptExistingTables(plan, before, toTarget.dialect);
      emit({ type: 'planned', plan, resumed });
      emit({ type: 'phase', phase: 'schema', message: `creating the schema in ${toTarget.displayUrl}` });
      await target.transaction(async () => {
        if (partial) await state.drop();
        for (const name of restart) await target!.exec(dropTableSql(target!, name));
        const emptied = plan.tables.filter((t) => plannedExisting.has(t.target)).map((t) => t.target);
        // One TRUNCATE for all of them: tables that reference each other can only go together.
        if (ifExists === 'truncate' && emptied.length) for (const sql of truncateSql(target!, emptied)) await target!.exec(sql);
        for (const name of plan.extensions ?? []) await target!.exec(createExtensionSql(name));
        for (const t of plan.tables) {
          if (!plannedExisting.has(t.target)) for (const sql of createSchemaSql(t, toTarget.dialect)) await target!.exec(sql);
        }
        // Tables copied into the app's own schema (--data-only) are recorded too: the way back then
        // recreates the app's SQLite tables, and verify knows their types were the app's choice.
        syncOriginColumns(plan.origin, plan.tables, plannedExisting);
        for (const sql of recordOriginSql(
          target!,
          plan.origin,
          plan.tables.map((t) => t.target),
        ))
          await target!.exec(sql);
        await state.create(
          fromTarget.displayUrl,
          plan.tables.map((t) => t.target),
          plannedExisting,
          rejectFile,
        );
      });
      schemaCommitted = true;
      states = await state.load();
    }
    if (resumed) emit({ type: 'planned', plan, resumed });
    for (const w of plan.warnings) emit({ type: 'warning', warning: w });
    rejects.total = [...states.values()].reduce((s, t) => s + t.rejects, 0);

    // Load: a pool of `parallel` workers, each with its own target connection. A worker builds a
    // table's keys and indexes as soon as its rows are in, while the other worker is still loading.
    const warnings = [...plan.warnings];
    const post: PostLoadJob = {
      plan,
      states,
      main: target,
      dialect: toTarget.dialect,
      parallel,
      openWorker: () => openWorkerTarget(toTarget, extraTargets, lockTimeoutMs),
      emit,
      warnings,
    };
    const reports = new Map<string, CopyTableReport>();
    // Biggest tables first: the last table to finish bounds the load, and small ones fill the gaps.
    // Tables that existed before keep their foreign keys, which check every row as it arrives: then
    // parents go first, one table at a time (the plan lists parents before children).
    const intoExisting = [...states.values()].some((s) => s.existing);
    const queue = intoExisting ? [...plan.tables] : [...plan.tables].sort((a, b) => b.rowEstimate * b.columns.length - a.rowEstimate * a.columns.length);
    const loaders = intoExisting ? 1 : parallel;
    emit({
      type: 'phase',
      phase: 'load',
      message: options.schemaOnly ? 'building keys and indexes' : `loading ${queue.length} table(s); keys and indexes are built as each one finishes`,
    });
    // When one worker fails, the others stop after their current chunk (their progress is
    // committed and resumable) before connections are closed and the first error is reported.
    let failed = false;
    const workers = Array.from({ length: Math.min(loaders, Math.max(1, queue.length)) }, async (_, w) => {
      const engine = w === 0 ? target! : await openWorkerTarget(toTarget, extraTargets, lockTimeoutMs);
      const workerState = new CopyState(engine);
      for (let t = queue.shift(); t && !failed; t = queue.shift()) {
        const ts = states.get(t.target)!;
        const t0 = Date.now();
        const startRows = ts.rowsCopied;
        const alreadyDone = ts.phase !== 'created' && ts.phase !== 'loading';
        if (!options.schemaOnly) emit({ type: 'table-start', table: t.target, rows: t.rowEstimate, done: ts.rowsCopied });
        let bytes = 0;
        if (!alreadyDone && !options.schemaOnly) {
          const src = sourceFor(source, fromTarget, toTarget, t);
          try {
            await loadTable({
              plan: t,
              source: src,
              target: engine,
              sink: sinkFor(engine, toTarget, t),
              state: workerState,
              tableState: ts,
              batchSize: options.batchSize ?? cfg.tables?.[t.source]?.batchSize ?? batchSize,
              rejects,
              stop: () => failed,
              onProgress: (rows, b) => {
                bytes = b;
                emit({ type: 'table-progress', table: t.target, rows: t.rowEstimate, done: startRows + rows, bytes: b });
              },
            });
          } finally {
            try {
              src.close?.();
            } catch {
              // A reader stopped mid-table may still hold a statement; the connection goes anyway.
            }
          }
          if (failed) return;
        }
        const r = { table: t.source, target: t.target, rows: ts.rowsCopied, bytes, ms: Date.now() - t0, rejects: ts.rejects };
        reports.set(t.target, r);
        if (!options.schemaOnly) emit({ type: 'table-done', table: t.target, rows: r.rows, bytes, ms: r.ms, rejects: r.rejects, alreadyDone });
        if (options.schemaOnly && ts.phase === 'created') {
          ts.phase = 'loaded';
          await workerState.save(ts);
        }
        await finishTable(engine, t, ts, post);
      }
    });
    const settled = await Promise.allSettled(workers.map((p) => p.catch((e: unknown) => ((failed = true), Promise.reject(e)))));
    const firstError = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (firstError) throw diskFullHint(firstError.reason, toTarget, fromTarget, bytes, plan);
    await linkTables(post);

    let verify: VerifyReport | null = null;
    if (options.verify ?? true) {
      if (!options.schemaOnly) {
        emit({ type: 'phase', phase: 'verify', message: 'verifying every table by content' });
        verify = await verifyDatabases({ from: source, to: target, plan, rejected: states, pgThreads: 1, config: cfg });
      }
    }
    // The state goes only once the verify has run: a copy killed while verifying is resumed
    // (--resume finds every table done and verifies), never mistaken for a table with rows in the way.
    await target.transaction(() => state.drop());
    const tables = plan.tables.map((t) => reports.get(t.target) ?? { table: t.source, target: t.target, rows: 0, bytes: 0, ms: 0, rejects: 0 });
    return {
      from: fromTarget.displayUrl,
      to: toTarget.displayUrl,
      resumed,
      tables,
      totals: {
        rows: tables.reduce((s, t) => s + t.rows, 0),
        bytes: tables.reduce((s, t) => s + t.bytes, 0),
        ms: Date.now() - started,
        rejects: tables.reduce((s, t) => s + t.rejects, 0),
      },
      warnings,
      rejectFile: rejects.total > 0 ? rejectFile : null,
      verify,
    };
  } catch (e) {
    if (newTargetFile && !schemaCommitted) {
      await target?.close();
      removeSqliteFiles(newTargetFile);
    }
    throw e;
  } finally {
    rejects.close();
    await Promise.all([source.close(), target?.close(), ...extraTargets.map((e) => e.close())].map((p) => p?.catch(() => undefined)));
  }
}

function positive(n: number, flag: string): number {
  if (!Number.isInteger(n) || n < 1) throw new FerryError('USAGE', `${flag} must be a whole number above 0, not ${n}.`);
  return n;
}

async function openSource(t: ConnectionTarget, busyTimeoutMs?: number): Promise<Engine> {
  if (t.dialect === 'sqlite') return openSqlite(t.file!, { readonly: true, mustExist: true, busyTimeoutMs });
  return connect(t.url, { busyTimeoutMs });
}

async function openWorkerTarget(t: ConnectionTarget, opened: Engine[], busyTimeoutMs?: number): Promise<Engine> {
  if (t.dialect !== 'postgres') throw new FerryError('INTERNAL', 'Only PostgreSQL targets take parallel writers.');
  const e = await connect(t.url, { busyTimeoutMs });
  opened.push(e);
  return e;
}

/**
 * A disk that filled during the copy: the hint says how much room the resume will ask for (what
 * is left to write), and how to continue, so that it agrees with what the resume then checks.
 */
function diskFullHint(e: unknown, to: ConnectionTarget, from: ConnectionTarget, sourceBytes: number, plan: CopyPlan): unknown {
  if (!(e instanceof FerryError) || e.code !== 'DISK_FULL' || to.dialect !== 'sqlite') return e;
  return new FerryError('DISK_FULL', e.message, {
    subject: e.subject,
    hint: `Every chunk written so far is kept. The rest needs about ${formatBytes(remainingBytes(sourceBytes, to.file!, plan))} free in ${path.dirname(to.file!)}; make room, then continue with: ferry copy ${from.displayUrl} ${to.displayUrl} --resume`,
    cause: e,
  });
}

/** What --dry-run reports: the plan and the pre-flight's checks, with the existing tables looked at read-only. */
async function dryRunReport(
  pre: Preflight,
  plan: CopyPlan,
  o: {
    fromTarget: ConnectionTarget;
    toTarget: ConnectionTarget;
    ifExists: 'fail' | 'truncate' | 'append';
    dataOnly: boolean;
    resume: boolean;
    started: number;
  },
): Promise<CopyReport> {
  const checks = [...pre.checks];
  if (pre.engine) {
    try {
      const existing = await pre.engine.introspect();
      const partial = existing.tables.some((t) => t.name === STATE_TABLE);
      if (partial)
        checks.push(
          o.resume
            ? 'an unfinished copy is there: --resume would continue it'
            : 'an unfinished copy is there: the run would refuse without --resume or --if-exists truncate',
        );
      else {
        const found = await checkTargetTables(pre.engine, plan, existing, { ifExists: o.ifExists, dataOnly: o.dataOnly, partial });
        adoptExistingTables(plan, existing, o.toTarget.dialect);
        checks.push(
          found.size
            ? `${found.size} target table(s) exist and would be ${o.ifExists === 'truncate' ? 'emptied first' : o.ifExists === 'append' ? 'added to' : 'written into'}`
            : 'no target table exists yet',
        );
      }
    } finally {
      await pre.engine.close();
    }
  } else checks.push(`${o.toTarget.displayUrl} does not exist yet and would be created`);
  return {
    from: o.fromTarget.displayUrl,
    to: o.toTarget.displayUrl,
    resumed: false,
    tables: plan.tables.map((t) => ({ table: t.source, target: t.target, rows: t.rowEstimate, bytes: 0, ms: 0, rejects: 0 })),
    totals: { rows: plan.tables.reduce((s, t) => s + t.rowEstimate, 0), bytes: 0, ms: Date.now() - o.started, rejects: 0 },
    warnings: plan.warnings,
    rejectFile: null,
    verify: null,
    dryRun: { plan, checks },
  };
}

/** About how many bytes the source's rows take, for the SQLite target's free-space check. */
async function sourceBytes(source: Engine, from: ConnectionTarget): Promise<number> {
  if (from.dialect === 'sqlite') return sqliteDiskSize(from.file!);
  const [row] = await source.query<{ n: string }>(
    `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::text AS n FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = 'public' AND c.relkind = 'r'`,
  );
  return Number(row?.n ?? 0);
}

function dropTableSql(target: Engine, table: string): string {
  return `DROP TABLE IF EXISTS ${target.quoteTable(table)}${target.dialect === 'postgres' ? ' CASCADE' : ''}`;
}

function truncateSql(target: Engine, tables: string[]): string[] {
  return target.dialect === 'postgres'
    ? [`TRUNCATE ${tables.map((t) => target.quoteTable(t)).join(', ')}`]
    : tables.map((t) => `DELETE FROM ${target.quoteTable(t)}`);
}
