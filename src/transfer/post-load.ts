import type { PostLoad, PostLoadStep } from '../engine/copy-roles.js';
import type { Engine } from '../engine/types.js';
import { FerryError } from '../errors.js';
import type { CopyEvent } from './copy-events.js';
import { CopyState, type TableState } from './copy-state.js';
import type { CopyPlan } from './copy-types.js';
import type { PlanWarning, TablePlan } from '../engine/table-plan.js';

/**
 * Steps whose failure leaves the data complete and correct: they become warnings naming the object
 * (an index PostgreSQL cannot build from a translated expression, a CHECK or foreign key the data
 * does not satisfy, which stays NOT VALID so no row is lost). A primary key, unique constraint or
 * sequence that fails stops the run: the data would not behave as it did in the source.
 */
const OPTIONAL: ReadonlySet<PostLoadStep['kind']> = new Set(['index', 'check', 'foreign-key', 'validate', 'analyze', 'trigger']);

/** What the post-load steps need from the runner. */
export interface PostLoadJob {
  plan: CopyPlan;
  states: Map<string, TableState>;
  main: Engine;
  /** The target engine's postLoad role. */
  postLoad: PostLoad;
  parallel: number;
  openWorker: () => Promise<Engine>;
  emit: (e: CopyEvent) => void;
  /** Collects warnings from optional steps that failed (also kept in the state for a resume). */
  warnings: PlanWarning[];
  /** A resumed copy of a source that changed between runs: one row per key is kept before the key is built. */
  keepOneRowPerKey?: boolean;
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
  await runSteps(engine, t, ts, 'keys', ts.existing ? [] : job.postLoad.steps(t).keys, job);
  // ANALYZE cannot be undone and is harmless to repeat, so it needs no state; it is skipped only
  // when an earlier run already went past this table's keys.
  if (progressOf(before, 'keys') !== Number.MAX_SAFE_INTEGER) await engine.exec(`ANALYZE ${engine.quoteTable(t.target)}`);
}

/**
 * Every table's links (PostgreSQL: foreign keys NOT VALID, then VALIDATE; SQLite: triggers), once
 * every table has its keys, then each table's state is marked done.
 */
export async function linkTables(job: PostLoadJob): Promise<void> {
  for (const ts of job.states.values()) for (const w of ts.warnings) if (!job.warnings.some((x) => x.message === w.message)) job.warnings.push(w);
  const hasLinks = job.plan.tables.some((t) => job.postLoad.steps(t).links.length > 0);
  if (hasLinks) job.emit({ type: 'phase', phase: 'links', message: job.postLoad.linksMessage });
  await pool(job, async (engine, t, ts) => {
    await runSteps(engine, t, ts, 'links', ts.existing ? [] : job.postLoad.steps(t).links, job);
    // Rows the links do not hold for are kept and reported, as PostgreSQL's NOT VALID constraints are.
    if (job.postLoad.checkLinks && !ts.existing && ts.phase !== 'done') {
      const w = await job.postLoad.checkLinks(engine, t);
      if (w) {
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

async function runSteps(engine: Engine, t: TablePlan, ts: TableState, stage: 'keys' | 'links', steps: PostLoadStep[], job: PostLoadJob): Promise<void> {
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
        const dedupe = step.kind === 'primary-key' && job.keepOneRowPerKey ? job.postLoad.keepOneRowPerKeySql?.(engine, t) : null;
        if (dedupe) await engine.exec(dedupe);
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

function warningCode(kind: PostLoadStep['kind']): string {
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
