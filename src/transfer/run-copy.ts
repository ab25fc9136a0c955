import path from 'node:path';
import { connect, engineLabel, roleOf } from '../engines/registry.js';
import type { Preflight } from '../engine/copy-roles.js';
import type { ConnectionTarget, Engine } from '../engine/types.js';
import { FerryError } from '../errors.js';
import { formatBytes } from '../util/disk-space.js';
import { buildCopyPlan } from './build-copy-plan.js';
import { loadTables } from './copy-load.js';
import { dryRunReport, finishedReport, type CopyReport } from './copy-report.js';
import { prepareTarget } from './copy-schema.js';
import { copySettings, type CopyOptions, type CopySettings } from './copy-settings.js';
import type { TableState } from './copy-state.js';
import type { CopyPlan } from './copy-types.js';
import { linkTables, type PostLoadJob } from './post-load.js';
import { RejectLog } from './reject-log.js';
import { verifyDatabases, type VerifyReport } from './verify-copy.js';

export { DEFAULT_BATCH_SIZE, DEFAULT_PARALLEL, type CopyOptions } from './copy-settings.js';
export type { CopyReport } from './copy-report.js';

/**
 * `ferry copy`: plan (introspect and profile the source, choose exact types), check the target
 * (connection, rights, emptiness, a partial copy), create the schema in one transaction, load
 * every table in committed chunks, build keys, indexes and foreign keys, set sequences, ANALYZE,
 * then verify by content. Interrupted at any point, `--resume` continues where it stopped.
 */
export async function runCopy(options: CopyOptions): Promise<CopyReport> {
  const started = Date.now();
  const run = copySettings(options);
  const source = await connect(run.from, { readonly: true, mustExist: true, busyTimeoutMs: options.lockTimeoutMs });
  const targets = new TargetConnections(run);
  let pre: Preflight | null = null;
  let rejects: RejectLog | null = null;
  try {
    // The plan reads (and profiles) every source row before anything is written, so a source
    // that is not SQLite, is corrupt or holds values no type fits fails with the target untouched.
    const plan = await planCopy(source, run);
    await options.onPlan?.(plan);
    const sourceBytes = await roleOf(source, 'databaseSize')(source);
    pre = await roleOf(run.to, 'copyPreflight').check(run.to, plan, { sourceBytes, dryRun: options.dryRun, busyTimeoutMs: options.lockTimeoutMs });
    if (options.dryRun) return await dryRunReport(pre, plan, run, started);
    const target = (targets.main = pre.engine!);
    const prepared = await prepareTarget(target, plan, run, pre);
    for (const w of plan.warnings) run.emit({ type: 'warning', warning: w });
    rejects = new RejectLog(prepared.rejectFile, run.maxRejects);
    rejects.total = [...prepared.states.values()].reduce((s, t) => s + t.rejects, 0);
    const warnings = [...plan.warnings];
    const post: PostLoadJob = {
      plan,
      states: prepared.states,
      main: target,
      postLoad: roleOf(target, 'postLoad'),
      parallel: run.parallel,
      openWorker: () => targets.openWorker(),
      emit: run.emit,
      warnings,
      keepOneRowPerKey: !!options.liveSource && prepared.resumed,
    };
    const reports = await loadTables({ run, source, plan, states: prepared.states, rejects, post }).catch(async (e: unknown) => {
      throw await diskFullHint(e, run, sourceBytes, plan);
    });
    await linkTables(post);
    const verify = await verifyCopy(run, source, target, plan, prepared.states);
    // The state goes only once the verify has run: a copy killed while verifying is resumed
    // (--resume finds every table done and verifies), never mistaken for a table with rows in the way.
    await target.transaction(() => prepared.state.drop());
    const rejectFile = rejects.total > 0 ? prepared.rejectFile : null;
    return finishedReport(run, { plan, reports, resumed: prepared.resumed, warnings, rejectFile, verify, started });
  } catch (e) {
    // A database the pre-flight created goes again when the run fails before its schema is
    // committed: bad input leaves nothing behind.
    if (pre?.discard) {
      await pre.engine?.close();
      pre.discard();
    }
    throw e;
  } finally {
    rejects?.close();
    await Promise.all([source.close(), ...targets.all().map((e) => e.close())].map((p) => p.catch(() => undefined)));
  }
}

/** Plans the copy from the source (reads only). */
function planCopy(source: Engine, run: CopySettings): Promise<CopyPlan> {
  const { options } = run;
  return buildCopyPlan(source, run.to.dialect, {
    include: options.include,
    exclude: options.exclude,
    config: run.config,
    jsonb: options.jsonb,
    integers: options.integers,
    virtualTables: options.virtualTables,
    rowidKeys: options.rowidKeys,
    targetDisplayUrl: run.to.displayUrl,
  });
}

/** Verifies every table by content (unless --no-verify or --schema-only). */
async function verifyCopy(run: CopySettings, source: Engine, target: Engine, plan: CopyPlan, states: Map<string, TableState>): Promise<VerifyReport | null> {
  if (!(run.options.verify ?? true) || run.options.schemaOnly) return null;
  run.emit({ type: 'phase', phase: 'verify', message: 'verifying every table by content' });
  return verifyDatabases({ from: source, to: target, plan, rejected: states, digestThreads: 1, config: run.config });
}

/** The target's connections: the pre-flight's (the main one) and one per further parallel writer. */
class TargetConnections {
  main: Engine | null = null;
  private readonly workers: Engine[] = [];

  constructor(private readonly run: CopySettings) {}

  /** A further writer's connection (targets whose tableSink takes parallel writers). */
  async openWorker(): Promise<Engine> {
    const to: ConnectionTarget = this.run.to;
    if (this.run.parallel < 2) throw new FerryError('INTERNAL', `${engineLabel(to)} targets take one writer.`);
    const e = await connect(to, { busyTimeoutMs: this.run.options.lockTimeoutMs });
    this.workers.push(e);
    return e;
  }

  /** Every connection opened, for closing. */
  all(): Engine[] {
    return this.main ? [this.main, ...this.workers] : [...this.workers];
  }
}

/**
 * A disk that filled during the copy: the hint says how much room the resume will ask for (what
 * is left to write), and how to continue, so that it agrees with what the resume then checks.
 */
async function diskFullHint(e: unknown, run: CopySettings, sourceBytes: number, plan: CopyPlan): Promise<unknown> {
  const preflight = roleOf(run.to, 'copyPreflight');
  if (!(e instanceof FerryError) || e.code !== 'DISK_FULL' || !preflight.remainingBytes || !run.to.file) return e;
  const left = await preflight.remainingBytes(run.to, plan, sourceBytes);
  return new FerryError('DISK_FULL', e.message, {
    subject: e.subject,
    hint: `Every chunk written so far is kept. The rest needs about ${formatBytes(left)} free in ${path.dirname(run.to.file)}; make room, then continue with: ferry copy ${run.from.displayUrl} ${run.to.displayUrl} --resume`,
    cause: e,
  });
}
