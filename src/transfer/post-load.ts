import type { Dialect } from '../engine/types.js';
import type { Engine } from '../engine/types.js';
import { postLoadSteps, type PostLoadStep } from '../engines/postgres/postgres-ddl.js';
import { sqliteSeedSequenceSql } from '../engines/sqlite/sqlite-ddl.js';
import { FerryError } from '../errors.js';
import type { CopyEvent } from './copy-events.js';
import { CopyState, type TableState } from './copy-state.js';
import type { CopyPlan } from './copy-types.js';
import type { PlanWarning, TablePlan } from '../engine/table-plan.js';

/** A post-load statement and what its failure means. */
interface Step {
  kind: PostLoadStep['kind'] | 'trigger';
  name?: string;
  sql: string;
}

/**
 * Steps whose failure leaves the data complete and correct: they become warnings naming the object
 * (an index PostgreSQL cannot build from a translated expression, a CHECK or foreign key the data
 * does not satisfy, which stays NOT VALID so no row is lost). A primary key, unique constraint or
 * sequence that fails stops the run: the data would not behave as it did in the source.
 */
const OPTIONAL: ReadonlySet<Step['kind']> = new Set(['index', 'check', 'foreign-key', 'validate', 'analyze', 'trigger']);

/** Steps of a table run before any foreign key (`keys`) and the foreign keys themselves (`links`). */
export function stepsFor(plan: TablePlan, dialect: Dialect): { keys: Step[]; links: Step[] } {
  if (dialect === 'sqlite') {
    const keys: Step[] = plan.indexes.map((ix) => ({ kind: 'index', name: ix.name, sql: ix.sql }));
    const seed = sqliteSeedSequenceSql(plan);
    if (seed) keys.push({ kind: 'identity', sql: seed });
    // The app's own triggers come back once every table is loaded, so the load never fires them.
    return { keys, links: (plan.triggers ?? []).map((sql) => ({ kind: 'trigger', sql })) };
  }
  const fkNames = new Set(plan.foreignKeys.map((f) => f.name));
  const all = postLoadSteps(plan).filter((s) => s.kind !== 'analyze');
  const isLink = (s: PostLoadStep) => s.kind === 'foreign-key' || (s.kind === 'validate' && fkNames.has(s.name ?? ''));
  return { keys: all.filter((s) => !isLink(s)), links: all.filter(isLink) };
}

/** What the post-load steps need from the runner. */
export interface PostLoadJob {
  plan: CopyPlan;
  states: Map<string, TableState>;
  main: Engine;
  dialect: Dialect;
  parallel: number;
  openWorker: () => Promise<Engine>;
  emit: (e: CopyEvent) => void;
  /** Collects warnings from optional steps that failed (also kept in the state for a resume). */
  warnings: PlanWarning[];
}

/**
 * A table's own post-load steps (primary key, uniques, indexes, checks, sequence), then ANALYZE.
 * The runner calls this as soon as the table is loaded, so PostgreSQL builds one table's indexes
 * while ferry is still streaming the next table's rows. Each step commits together with the state
 * row that records it, so a resumed run skips what is done and redoes nothing twice.
 */
export async function finishTable(engine: Engine, t: TablePlan, ts: TableState, job: PostLoadJob): Promise<void> {
  const before = ts.phase;
  // A table that existed before the copy keeps the keys, indexes and constraints it has.
  await runSteps(engine, t, ts, 'keys', ts.existing ? [] : stepsFor(t, job.dialect).keys, job);
  // ANALYZE cannot be undone and is harmless to repeat, so it needs no state; it is skipped only
  // when an earlier run already went past this table's keys.
  if (progressOf(before, 'keys') !== Number.MAX_SAFE_INTEGER) await engine.exec(`ANALYZE ${engine.quoteTable(t.target)}`);
}

/**
 * The foreign keys of every table (NOT VALID, then VALIDATE), once every table has its keys, then
 * each table's state is marked done.
 */
export async function linkTables(job: PostLoadJob): Promise<void> {
  for (const ts of job.states.values()) for (const w of ts.warnings) if (!job.warnings.some((x) => x.message === w.message)) job.warnings.push(w);
  const hasLinks = job.plan.tables.some((t) => stepsFor(t, job.dialect).links.length > 0);
  if (hasLinks)
    job.emit({ type: 'phase', phase: 'links', message: job.dialect === 'postgres' ? 'adding foreign keys (NOT VALID, then VALIDATE)' : 'recreating triggers' });
  await pool(job, async (engine, t, ts) => {
    await runSteps(engine, t, ts, 'links', ts.existing ? [] : stepsFor(t, job.dialect).links, job);
    // SQLite declares foreign keys inline and the load ran with enforcement off: report orphans
    // (rows kept, as PostgreSQL's NOT VALID constraints do) instead of enforcing them.
    if (job.dialect === 'sqlite' && !ts.existing && t.foreignKeys.length && ts.phase !== 'done') {
      const orphans = await engine.query(`PRAGMA foreign_key_check(${engine.quoteIdent(t.target)})`);
      if (orphans.length) {
        const w: PlanWarning = {
          code: 'NOT_VALIDATED',
          table: t.target,
          message: `${t.target}: ${orphans.length} row(s) reference rows missing from their parent table (copied as they are; PRAGMA foreign_key_check lists them).`,
        };
        ts.warnings.push(w);
        job.warnings.push(w);
        job.emit({ type: 'warning', warning: w });
      }
    }
    if (ts.phase !== 'done') {
      ts.phase = 'done';
      await new CopyState(engine).save(ts);
    }
  });
  await createViews(job);
}

/** The original database's views (SQLite targets of a copy back), last: they may name any table. */
async function createViews(job: PostLoadJob): Promise<void> {
  const views = job.plan.views ?? [];
  if (!views.length) return;
  const existing = new Set((await job.main.introspect()).views.map((v) => v.name.toLowerCase()));
  for (const sql of views) {
    const name =
      /^\s*CREATE\s+(?:TEMP\w*\s+)?VIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?("(?:[^"]|"")+"|\S+)/i.exec(sql)?.[1]?.replace(/^"|"$/g, '').replaceAll('""', '"') ?? '';
    if (existing.has(name.toLowerCase())) continue;
    try {
      await job.main.transaction(() => job.main.exec(sql));
    } catch (e) {
      const w: PlanWarning = { code: 'VIEW_SKIPPED', table: name, message: `The view ${name} was not recreated: ${(e as Error).message}` };
      job.warnings.push(w);
      job.emit({ type: 'warning', warning: w });
    }
  }
}

async function pool(job: PostLoadJob, fn: (engine: Engine, t: TablePlan, ts: TableState) => Promise<void>): Promise<void> {
  const queue = [...job.plan.tables];
  const workers = Array.from({ length: Math.min(job.parallel, Math.max(1, queue.length)) }, async (_, w) => {
    // Connections beyond the first are the runner's (openWorker registers them for closing).
    const engine = w === 0 ? job.main : await job.openWorker();
    for (let t = queue.shift(); t; t = queue.shift()) await fn(engine, t, job.states.get(t.target)!);
  });
  await Promise.all(workers);
}

/** Where a phase stands: `keys:3` means the first three key steps are done. */
function progressOf(phase: string, stage: 'keys' | 'links'): number {
  if (phase === 'done') return Number.MAX_SAFE_INTEGER;
  if (stage === 'keys' && phase.startsWith('links:')) return Number.MAX_SAFE_INTEGER;
  const m = new RegExp(`^${stage}:(\\d+)$`).exec(phase);
  return m ? Number(m[1]) : 0;
}

async function runSteps(engine: Engine, t: TablePlan, ts: TableState, stage: 'keys' | 'links', steps: Step[], job: PostLoadJob): Promise<void> {
  const state = new CopyState(engine);
  for (let i = progressOf(ts.phase, stage); i < steps.length; i++) {
    const step = steps[i]!;
    // The constraint of a VALIDATE step may not exist: its creation failed (and was warned about).
    const notCreated =
      step.kind === 'validate' && ts.warnings.some((w) => w.object === step.name && (w.code === 'CHECK_SKIPPED' || w.code === 'FOREIGN_KEY_SKIPPED'));
    if (notCreated) {
      ts.phase = `${stage}:${i + 1}`;
      await state.save(ts);
      continue;
    }
    await engine.transaction(async () => {
      try {
        // A savepoint of its own: an optional step that fails leaves the rest of the transaction usable.
        await engine.transaction(() => engine.exec(step.sql));
      } catch (e) {
        const why = (e as Error).message;
        if (!OPTIONAL.has(step.kind)) {
          throw new FerryError('SCHEMA_FAILED', `Building the ${step.kind}${step.name ? ` ${step.name}` : ''} of "${t.target}" failed: ${why}`, {
            subject: t.target,
            hint: 'Every row is loaded; fix the cause (for a key: duplicate or NULL values) in the target and re-run with --resume.',
            cause: e,
          });
        }
        const w: PlanWarning = {
          code: warningCode(step.kind),
          table: t.target,
          ...(step.name ? { object: step.name } : {}),
          message: `${t.target}: the ${step.kind} ${step.name ?? ''} was not ${step.kind === 'validate' ? 'validated (it stays NOT VALID; existing rows break it)' : 'created'}: ${why}`,
        };
        ts.warnings.push(w);
        job.warnings.push(w);
        job.emit({ type: 'warning', warning: w });
      }
      ts.phase = `${stage}:${i + 1}`;
      await state.save(ts);
    });
  }
}

function warningCode(kind: Step['kind']): string {
  switch (kind) {
    case 'trigger':
      return 'TRIGGER_SKIPPED';
    case 'index':
      return 'INDEX_SKIPPED';
    case 'check':
      return 'CHECK_SKIPPED';
    case 'foreign-key':
      return 'FOREIGN_KEY_SKIPPED';
    case 'validate':
      return 'NOT_VALIDATED';
    default:
      return 'STEP_FAILED';
  }
}
