import fs from 'node:fs';
import path from 'node:path';
import { createBackup } from '../backup/create-backup.js';
import { readManifest } from '../backup/backup-catalog.js';
import { describeChanges, sourceChanges } from '../backup/source-changes.js';
import type { ConsolidateConfig } from '../config/types.js';
import { FerryError } from '../errors.js';
import { removeSqliteFiles } from '../util/fs-atomic.js';
import { buildPlan } from './build-plan.js';
import { buildTarget, partialPath } from './build-target.js';
import { readReport } from './target-report.js';
import type { EventSink } from './events.js';
import type { ConsolidatePlan } from './plan-types.js';
import type { TargetReport } from './report-types.js';
import { clearRunState, readRunState, writeRunState, type RunState } from './run-state.js';

/** Options of `ferry consolidate` / `consolidate()`. */
export interface ConsolidateOptions {
  config: ConsolidateConfig;
  /** Folder the config's relative paths start from (the config file's folder). */
  baseDir: string;
  configFile?: string | null;
  /** Replace target files that already exist (they are backed up first). */
  force?: boolean;
  /**
   * Start over when an interrupted run of this job is found whose sources changed since its
   * backup (its partial targets are discarded and a new backup is taken).
   */
  restart?: boolean;
  onEvent?: EventSink;
  busyTimeoutMs?: number;
  /** Free-space probe (tests inject one). */
  freeBytes?: (dir: string) => number;
}

/** The summary of a run, as the runbook asks for it. */
export interface ConsolidateResult {
  plan: ConsolidatePlan;
  backupSet: string;
  resumed: boolean;
  targets: TargetReport[];
  tablesMigrated: number;
  totalRows: number;
  skippedRows: number;
  replacedRows: number;
  durationMs: number;
}

/**
 * Runs a consolidation: plan, refuse on any planning error, back up every source into a new
 * timestamped set, build each target from the backup copies and rename it into place. A run that
 * was killed is resumed when the plan is unchanged: finished targets stay, partial ones continue.
 */
export async function consolidate(options: ConsolidateOptions): Promise<ConsolidateResult> {
  const started = Date.now();
  const emit: EventSink = options.onEvent ?? (() => undefined);
  const plan = await planOrRefuse(options);
  ensureWritable(plan.targetDir);
  const resume = await resumeOrStartOver(plan, options);
  await replaceExistingTargets(plan, resume.done, options);
  const state = await backupToBuildFrom(plan, resume, options, emit);
  const reports = await buildTargets(plan, state, resume.done, options, emit);
  clearRunState(plan.targetDir);
  const tables = reports.flatMap((r) => r.tables);
  return {
    plan,
    backupSet: state.backupSet,
    resumed: resume.resumable,
    targets: reports,
    tablesMigrated: tables.length,
    totalRows: tables.reduce((s, t) => s + t.rows, 0),
    skippedRows: tables.reduce((s, t) => s + t.skipped, 0),
    replacedRows: tables.reduce((s, t) => s + t.replaced, 0),
    durationMs: Date.now() - started,
  };
}

/** The plan, or the run refused on its first planning error (with the count of the others). */
async function planOrRefuse(options: ConsolidateOptions): Promise<ConsolidatePlan> {
  const plan = await buildPlan({
    config: options.config,
    baseDir: options.baseDir,
    configFile: options.configFile,
    busyTimeoutMs: options.busyTimeoutMs,
    freeBytes: options.freeBytes,
  });
  const errors = plan.problems.filter((p) => p.severity === 'error');
  if (errors.length) {
    const first = errors[0]!;
    throw new FerryError(
      first.code,
      errors.length > 1 ? `${first.message} (and ${errors.length - 1} more problem(s); see ferry consolidate --dry-run)` : first.message,
      { subject: first.subject, hint: first.hint, data: { problems: errors } },
    );
  }
  return plan;
}

/** What an interrupted run of this job left to resume: its state, and the targets it finished. */
interface Resume {
  previous: RunState | null;
  resumable: boolean;
  done: Set<string>;
}

/**
 * Finds an interrupted run. The same job is resumed unless its sources changed since its backup
 * (then SOURCES_CHANGED, or with --restart a fresh start); a different job's leftovers are removed.
 */
async function resumeOrStartOver(plan: ConsolidatePlan, options: ConsolidateOptions): Promise<Resume> {
  const previous = readRunState(plan.targetDir);
  let resumable = !!previous && previous.fingerprint === plan.fingerprint && fs.existsSync(previous.backupSet);
  if (resumable && (await sourcesChangedSince(previous!, plan, options.restart))) resumable = false;
  if (previous && !resumable) {
    // A different job was interrupted here: its partial files are ferry's own and can go.
    for (const t of plan.targets) removeSqliteFiles(partialPath(plan.targetDir, t.file));
    clearRunState(plan.targetDir);
  }
  const done = new Set(resumable ? previous!.completed : []);
  if (resumable) {
    // Killed between a target's rename and the state update: its report (written before the
    // rename) carries this plan's fingerprint, so the file is this run's finished work.
    for (const t of plan.targets) {
      if (fs.existsSync(t.path) && !fs.existsSync(partialPath(plan.targetDir, t.file)) && readReport(plan.targetDir, t.file)?.fingerprint === plan.fingerprint)
        done.add(t.file);
    }
  }
  return { previous, resumable, done };
}

/**
 * The interrupted run builds its targets from its backup: rows written to the sources since
 * would be left out of a resumed run without a word. Changed sources refuse the resume, unless
 * `restart`: then the run starts over (true) and the interrupted run's finished targets, this
 * job's own output (never the user's files), are removed to be rebuilt from the new backup.
 */
async function sourcesChangedSince(previous: RunState, plan: ConsolidatePlan, restart: boolean | undefined): Promise<boolean> {
  const changed = await sourceChanges(readManifest(previous.backupSet).files);
  if (changed.length && !restart) {
    throw new FerryError(
      'SOURCES_CHANGED',
      `The sources changed since the interrupted run's backup (${previous.backupSet}): ${describeChanges(changed)}. Resuming would leave those rows out of the targets.`,
      {
        subject: changed[0]!.source,
        hint: "Start over from a new backup with --restart (the interrupted run's partial targets are discarded; its backup set stays).",
        data: { changed },
      },
    );
  }
  if (!changed.length) return false;
  for (const t of plan.targets) {
    const own = previous.completed.includes(t.file) || readReport(plan.targetDir, t.file)?.fingerprint === plan.fingerprint;
    if (own && fs.existsSync(t.path)) removeSqliteFiles(t.path);
  }
  return true;
}

/** Targets already in place that are not this job's finished work: refused, or with --force backed up (then replaced). */
async function replaceExistingTargets(plan: ConsolidatePlan, done: Set<string>, options: ConsolidateOptions): Promise<void> {
  const existing = plan.targets.filter((t) => fs.existsSync(t.path) && !done.has(t.file));
  if (existing.length && !options.force) {
    throw new FerryError('TARGET_EXISTS', `Target ${existing.map((t) => t.path).join(', ')} already exists.`, {
      subject: existing[0]!.path,
      hint: 'Run with --force to replace it (the existing file is backed up first), or choose another targetDir.',
    });
  }
  if (existing.length && options.force) {
    await createBackup({ files: existing.map((t) => t.path), dir: plan.backupDir, reason: 'replaced-targets', busyTimeoutMs: options.busyTimeoutMs });
  }
}

/** The backup the targets are built from: the interrupted run's, or a new set of every source (recorded as the run's state). */
async function backupToBuildFrom(plan: ConsolidatePlan, resume: Resume, options: ConsolidateOptions, emit: EventSink): Promise<RunState> {
  if (resume.resumable) {
    emit({ type: 'backup-done', path: resume.previous!.backupSet, reused: true });
    return resume.previous!;
  }
  emit({ type: 'backup-start', files: plan.sources.length, dir: plan.backupDir });
  const set = await createBackup({
    files: plan.sources.map((s) => s.path),
    dir: plan.backupDir,
    reason: 'consolidate',
    busyTimeoutMs: options.busyTimeoutMs,
    onFile: (entry) => emit({ type: 'backup-file', entry }),
  });
  emit({ type: 'backup-done', path: set.path, reused: false });
  const state: RunState = { fingerprint: plan.fingerprint, backupSet: set.path, completed: [], startedAt: new Date().toISOString() };
  writeRunState(plan.targetDir, state);
  return state;
}

/** Source name -> its copy in the backup set. */
function backupCopies(plan: ConsolidatePlan, state: RunState): Map<string, string> {
  const manifest = readManifest(state.backupSet);
  const backupFiles = new Map<string, string>();
  for (const s of plan.sources) {
    const entry = manifest.files.find((f) => f.source === s.path);
    if (!entry)
      throw new FerryError('STALE_STATE', `The backup set ${state.backupSet} has no copy of ${s.path}.`, {
        subject: state.backupSet,
        hint: 'Delete the .ferry folder in targetDir and run again.',
      });
    backupFiles.set(s.name, path.join(state.backupSet, entry.name));
  }
  return backupFiles;
}

/** Builds every target not finished yet, recording each finished one in the run state. */
async function buildTargets(plan: ConsolidatePlan, state: RunState, done: Set<string>, options: ConsolidateOptions, emit: EventSink): Promise<TargetReport[]> {
  const backupFiles = backupCopies(plan, state);
  const reports: TargetReport[] = [];
  for (const target of plan.targets) {
    const finished = done.has(target.file) && fs.existsSync(target.path) ? readReport(plan.targetDir, target.file) : null;
    if (finished) {
      reports.push(finished);
      emit({ type: 'target-done', target: target.file, path: target.path, ms: 0 });
      continue;
    }
    const report = await buildTarget({
      target,
      targetDir: plan.targetDir,
      fingerprint: plan.fingerprint,
      backupSet: state.backupSet,
      backupFiles,
      onEvent: emit,
      busyTimeoutMs: options.busyTimeoutMs,
    });
    reports.push(report);
    state.completed.push(target.file);
    writeRunState(plan.targetDir, state);
  }
  return reports;
}

/** Creates targetDir and proves a file can be written there, before anything else is done. */
function ensureWritable(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
    const probe = path.join(dir, `.ferry-write-test-${process.pid}`);
    fs.writeFileSync(probe, '');
    fs.rmSync(probe);
  } catch (e) {
    throw new FerryError('UNWRITABLE', `Cannot write to the target folder ${dir}: ${(e as Error).message}`, {
      subject: dir,
      hint: 'Check consolidate.targetDir and the folder permissions.',
    });
  }
}
