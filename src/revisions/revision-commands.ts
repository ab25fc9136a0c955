import fs from 'node:fs';
import path from 'node:path';
import type { Engine } from '../engine/types.js';
import { parseUrl } from '../engines/engine-names.js';
import { FerryError } from '../errors.js';
import type { CheckResult } from './check-revisions.js';
import type { LintFinding } from './lint-revisions.js';
import type { RevisionEvent, RevisionStep } from './migrator.js';
import { loadRevisions, newRevisionId, revisionFileText, slugFor } from './revision-file.js';
import { scriptRevisionText } from './revision-script.js';
import { RevisionGraph } from './revision-graph.js';
import {
  databaseFileOf,
  dirOf,
  loadGraph,
  locked,
  missingDatabaseFile,
  missingFileError,
  urlOf,
  withDatabase,
  type RevisionTarget,
} from './revision-target.js';
import type { Revision } from './revision-types.js';
import type { HistoryEntry, VersionStore } from './version-store.js';

export { DEFAULT_LOCK_TIMEOUT_MS, loadGraph, type RevisionTarget } from './revision-target.js';

// Commands that only read the revision files (heads, history, show, revision) must start fast
// (`ferry heads` within 150 ms with 500 revisions): database drivers, the migrator and the checker
// load only when a command needs a database.
const db = () => import('./revision-db.js');
const read = () => import('./revision-read.js');

/** A revision as commands report it. */
export interface RevisionInfo {
  id: string;
  parents: string[];
  message: string;
  file: string;
  isHead: boolean;
  isBase: boolean;
  isMerge: boolean;
  applied?: boolean;
}

/** Options of upgrade and downgrade. */
export interface MigrateOptions extends RevisionTarget {
  /** `heads` (default for upgrade), `head`, an id or prefix, `+N`, `-N`, `base`. */
  target?: string;
  /** Print the SQL that would run instead of running it. */
  sql?: boolean;
  /**
   * Back up first. A database file: unless false (the default backs it up). A server database: only
   * when true, as a dump checked by a test restore.
   */
  backup?: boolean;
  /** Only say which revisions would run, in order; run nothing and create nothing. */
  dryRun?: boolean;
  /** Create the database file when it does not exist (a mistyped path is refused otherwise). */
  create?: boolean;
  onEvent?: (e: RevisionEvent) => void;
  /** The longest one attempt of a revision waits for a lock, on engines with lock-safe runs (default 10 s). */
  revisionLockTimeoutMs?: number;
  /** Upgrade: refuse to run revisions with error-level lint findings (they are shown either way, through onLint). */
  strict?: boolean;
  /** Upgrade: the lint findings of the SQL revisions about to run, before any runs. */
  onLint?: (findings: LintFinding[]) => void;
  /** Asked to stop (SIGTERM, Ctrl-C): the run ends between revisions, steps or a backfill's batches, and a re-run continues. */
  signal?: AbortSignal;
}

/** The outcome of upgrade/downgrade. */
export interface MigrateResult {
  steps: RevisionStep[];
  /** The database's heads afterwards. */
  heads: string[];
  /** With `sql`: the statements, with a comment per revision. */
  sql?: string;
  /** With `dryRun`: the revisions that would run, in order (ms 0). */
  planned?: RevisionStep[];
  /** Why the run could not go through to the target (e.g. a revision without a down section). */
  incomplete?: string;
}

/** `ferry upgrade [TARGET]`. */
export function upgrade(options: MigrateOptions): Promise<MigrateResult> {
  return migrate(options, 'up');
}

/** `ferry downgrade TARGET`. */
export function downgrade(options: MigrateOptions): Promise<MigrateResult> {
  if (!options.target) throw new FerryError('USAGE', 'Say how far to downgrade: -1, a revision id, or base.', { hint: 'ferry downgrade -1' });
  return migrate(options, 'down');
}

async function migrate(options: MigrateOptions, direction: 'up' | 'down'): Promise<MigrateResult> {
  const { graph } = await loadGraph(options);
  const target = options.target ?? 'heads';
  const url = urlOf(options);
  const missing = missingDatabaseFile(url);
  if (missing) {
    const answer = await migrateMissingFile(options, direction, graph, target, url, missing);
    if (answer) return answer;
  }
  if (options.dryRun) return dryRun(options, direction, graph, target);
  return withDatabase(options, (engine) => locked(options, engine, (store) => runMigration(options, direction, graph, target, engine, store)), {
    create: direction === 'up',
  });
}

/**
 * A database file that does not exist yet: nothing to downgrade; for an upgrade, a dry run or
 * `--sql` answers from the graph alone, and the file is only created (by the caller) with
 * `create`, once the plan is known to be sound. Undefined: go on and create it.
 */
async function migrateMissingFile(
  options: MigrateOptions,
  direction: 'up' | 'down',
  graph: RevisionGraph,
  target: string,
  url: string,
  file: string,
): Promise<MigrateResult | undefined> {
  if (direction === 'down')
    throw new FerryError('SOURCE_MISSING', `${file} does not exist, so there is nothing to downgrade.`, {
      subject: file,
      hint: 'Check --url (or DATABASE_URL).',
    });
  const plan = graph.upgradePlan(new Set(), target);
  if (options.dryRun) return { steps: [], heads: [], planned: plan.map((r) => stepOf(r, direction)) };
  if (options.sql) {
    const { planSql } = await import('./plan-sql.js');
    return { steps: [], heads: [], sql: await planSql({ plan, direction, dialect: parseUrl(url).dialect, graph, applied: new Set() }) };
  }
  // A mistyped path must not become a new, empty database with every revision applied to it.
  if (!options.create) throw missingFileError(url, file, 'upgrade');
  return undefined;
}

/** `--dry-run`: the plan from the database's heads, read without the run lock or ferry's tables. */
function dryRun(options: MigrateOptions, direction: 'up' | 'down', graph: RevisionGraph, target: string): Promise<MigrateResult> {
  return withDatabase(options, async (engine) => {
    const { VersionStore, appliedSet } = await read();
    const applied = appliedSet(graph, await new VersionStore(engine).heads(), engine.displayUrl);
    const plan = direction === 'up' ? graph.upgradePlan(applied, target) : graph.downgradePlan(applied, target);
    return { steps: [], heads: graph.currentHeads(applied).map((r) => r.id), planned: plan.map((r) => stepOf(r, direction)), ...noDown(plan, direction) };
  });
}

/** Under the run lock: plans from the stored heads, then prints the plan's SQL (`--sql`) or runs it. */
async function runMigration(
  options: MigrateOptions,
  direction: 'up' | 'down',
  graph: RevisionGraph,
  target: string,
  engine: Engine,
  store: VersionStore,
): Promise<MigrateResult> {
  const { appliedSet, applyPlan, importPlan } = await db();
  const applied = appliedSet(graph, await store.heads(), engine.displayUrl);
  const plan = direction === 'up' ? graph.upgradePlan(applied, target) : graph.downgradePlan(applied, target);
  const url = urlOf(options);
  if (options.sql) {
    const { planSql } = await import('./plan-sql.js');
    const sql = await planSql({ plan, direction, dialect: engine.dialect, graph, applied, live: engine, url });
    return { steps: [], heads: graph.currentHeads(applied).map((r) => r.id), sql, ...noDown(plan, direction) };
  }
  if (plan.length === 0) return { steps: [], heads: graph.currentHeads(applied).map((r) => r.id) };
  if (direction === 'up') await lintBeforeRunning(options, plan, engine);
  const ready = await importPlan(plan);
  await store.ensure();
  const backup = options.backup ?? true;
  const steps = await applyPlan({
    engine,
    graph,
    plan: ready,
    imported: true,
    direction,
    backup,
    databaseFile: databaseFileOf(url),
    dumpFirst: options.backup === true,
    databaseUrl: url,
    onEvent: options.onEvent,
    // Unless the flag was given, a revision's lock waits grow to 10 s (the run lock's wait is separate).
    lockTimeoutMs: options.revisionLockTimeoutMs,
    signal: options.signal,
  });
  return { steps, heads: await store.heads() };
}

/** Before an upgrade: the lint findings of the SQL revisions about to run, shown; `--strict` refuses error-level ones. */
async function lintBeforeRunning(options: MigrateOptions, plan: Revision[], engine: Engine): Promise<void> {
  const { lintPending } = await import('./lint-revisions.js');
  const findings = await lintPending(plan, engine.dialect);
  if (findings.length) options.onLint?.(findings);
  const errors = findings.filter((f) => f.level === 'error');
  if (options.strict && errors.length)
    throw new FerryError(
      'LINT_FAILED',
      `${errors.length} statement(s) of the revisions to run break error-level lint rules (the first: ${errors[0]!.rule} at ${errors[0]!.file}:${errors[0]!.line}); --strict refuses to run them, and nothing was applied.`,
      {
        subject: errors[0]!.file,
        hint: 'ferry lint shows each with the safe way to write it; waive one with -- ferry:lint-ignore <rule> <reason>.',
        data: { findings: errors },
      },
    );
}

function stepOf(r: Revision, direction: 'up' | 'down'): RevisionStep {
  return { id: r.id, message: r.message, file: r.file, direction, ms: 0 };
}

/** A downgrade plan that reaches a revision without a down section cannot go through. */
function noDown(plan: Revision[], direction: 'up' | 'down'): { incomplete?: string } {
  const stuck = direction === 'down' ? plan.find((r) => r.down === null) : undefined;
  return stuck
    ? { incomplete: `${path.relative(process.cwd(), stuck.file) || stuck.file} has no down section, so a downgrade stops at revision ${stuck.id}.` }
    : {};
}

/** `ferry current`: the database's heads. */
export async function current(t: RevisionTarget): Promise<{ heads: RevisionInfo[]; pending: number }> {
  const { graph } = await loadGraph(t);
  return withDatabase(t, async (engine) => {
    const { VersionStore, appliedSet } = await read();
    const heads = await new VersionStore(engine).heads();
    const applied = appliedSet(graph, heads, engine.displayUrl);
    return { heads: heads.map((h) => info(graph, graph.get(h)!, applied)), pending: graph.upgradePlan(applied, 'heads').length };
  });
}

/** `ferry heads` (no database needed). */
export async function heads(t: RevisionTarget): Promise<RevisionInfo[]> {
  const { graph } = await loadGraph(t);
  return graph.heads().map((h) => info(graph, h));
}

/** `ferry branches`: revisions with more than one child. */
export async function branches(t: RevisionTarget): Promise<RevisionInfo[]> {
  const { graph } = await loadGraph(t);
  return graph.branchPoints().map((r) => info(graph, r));
}

/** `ferry show REV`. */
export async function show(
  t: RevisionTarget & { revision: string },
): Promise<RevisionInfo & { up: string; down: string | null; transactional: boolean; checksum: string }> {
  const { graph } = await loadGraph(t);
  const rev = graph.resolve(t.revision);
  const text = (s: Revision['up'] | null) => (s === null ? null : s.fn ? '(script)' : (s.sql ?? '').trim());
  return { ...info(graph, rev), up: text(rev.up)!, down: text(rev.down), transactional: rev.transactional, checksum: rev.checksum };
}

/** `ferry history [-r FROM:TO] [--indicate-current]`. */
export async function history(t: RevisionTarget & { range?: string; indicateCurrent?: boolean }): Promise<RevisionInfo[]> {
  const { graph } = await loadGraph(t);
  let applied: Set<string> | undefined;
  if (t.indicateCurrent) {
    const { VersionStore, appliedSet } = await read();
    applied = await withDatabase(t, async (engine) => appliedSet(graph, await new VersionStore(engine).heads(), engine.displayUrl));
  }
  const [from, to] = t.range ? t.range.split(':') : [undefined, undefined];
  return graph.history({ from: from || undefined, to: to || undefined }).map((r) => info(graph, r, applied));
}

/** `ferry stamp TARGET`: records the database as at TARGET without running anything. */
export async function stamp(t: RevisionTarget & { target: string; create?: boolean }): Promise<{ heads: string[] }> {
  const { graph } = await loadGraph(t);
  return withDatabase(
    t,
    (engine) =>
      locked(t, engine, async (store) =>
        engine.transaction(async () => {
          await store.ensure();
          const newHeads = t.target === 'base' ? [] : t.target === 'heads' ? graph.heads().map((r) => r.id) : [graph.resolve(t.target).id];
          await store.setHeads(newHeads);
          for (const h of newHeads) await store.record(h, 'stamp', graph.get(h)!.checksum, 0);
          return { heads: newHeads };
        }),
      ),
    { create: !!t.create, creatableBy: 'stamp' },
  );
}

/**
 * `ferry revision -m MSG` and `ferry merge`: writes a new revision file (SQL, or with `script` a
 * TypeScript one) with the given up and down (empty by default) and returns its path.
 */
export async function newRevision(
  t: RevisionTarget & { message: string; parents?: string[]; script?: boolean; up?: string; down?: string },
): Promise<{ id: string; file: string; parents: string[] }> {
  const dir = dirOf(t);
  fs.mkdirSync(dir, { recursive: true });
  const revisions = await loadRevisions(dir);
  const graph = RevisionGraph.build(revisions);
  let parents = t.parents?.length ? t.parents.map((p) => graph.resolve(p).id) : graph.heads().map((r) => r.id);
  if (!t.parents?.length && parents.length > 1) {
    throw new FerryError('CONFLICT', `There are ${parents.length} heads (${parents.join(', ')}); a new revision needs one parent.`, {
      hint: 'Merge them first (ferry merge -m "merge heads"), or name the parent with --parents.',
    });
  }
  parents = [...new Set(parents)];
  const id = newRevisionId();
  const file = path.join(dir, `${id}_${slugFor(t.message)}.${t.script ? 'ts' : 'sql'}`);
  const text = t.script
    ? scriptRevisionText({ id, parents, message: t.message, up: t.up ?? '', down: t.down ?? '' })
    : revisionFileText({ id, parents, message: t.message, up: t.up ?? '', down: t.down ?? '', transactional: true });
  fs.writeFileSync(file, text, { flag: 'wx' });
  return { id, file, parents };
}

/** `ferry merge -m MSG [REVS | heads]`. */
export async function merge(t: RevisionTarget & { message: string; revisions?: string[] }): Promise<{ id: string; file: string; parents: string[] }> {
  const { graph } = await loadGraph(t);
  const parents =
    !t.revisions?.length || (t.revisions.length === 1 && t.revisions[0] === 'heads')
      ? graph.heads().map((r) => r.id)
      : t.revisions.map((r) => graph.resolve(r).id);
  if (parents.length < 2)
    throw new FerryError('USAGE', `A merge needs at least two revisions; ${parents.length === 1 ? `there is one head (${parents[0]})` : 'none were given'}.`, {
      hint: 'ferry merge -m "merge" heads, when ferry heads lists several.',
    });
  return newRevision({ ...t, parents, up: '', down: '' });
}

/** `ferry check [--roundtrip]`: changed or skipped revisions, schema drift, and (roundtrip) downs that do not undo. */
export async function check(t: RevisionTarget & { roundtrip?: boolean }): Promise<CheckResult> {
  const { graph } = await loadGraph(t);
  const { checkRevisions } = await import('./check-revisions.js');
  return withDatabase(t, (engine) => checkRevisions(engine, urlOf(t), graph, { roundtrip: t.roundtrip }));
}

/** `ferry lint`: revisions checked for statements that stall a live database (see lint-revisions.ts). */
export async function lint(t: RevisionTarget & { revisions?: string[] }) {
  const { lintRevisions } = await import('./lint-revisions.js');
  return lintRevisions(t);
}

/** A row of the database's run history, with the revision's message when its file is still there. */
export interface AppliedEntry extends HistoryEntry {
  message?: string;
}

/**
 * `ferry history --applied`: what ran on this database (ferry_history), newest first: each upgrade,
 * downgrade and stamp with its time, duration, checksum and who ran it. The revision files only
 * add messages, so a broken or missing folder does not hide the history.
 */
export async function appliedHistory(t: RevisionTarget): Promise<AppliedEntry[]> {
  let graph: RevisionGraph | undefined;
  try {
    graph = (await loadGraph(t)).graph;
  } catch {
    graph = undefined;
  }
  const { VersionStore } = await read();
  const rows = await withDatabase(t, async (engine) => new VersionStore(engine).history());
  return rows.reverse().map((h) => ({ ...h, message: graph?.get(h.revision)?.message }));
}

/** Heads of each graph, computed once: history of 5,000 revisions asks for every one of them. */
const headSets = new WeakMap<RevisionGraph, Set<string>>();

function info(graph: RevisionGraph, rev: Revision, applied?: Set<string>): RevisionInfo {
  let heads = headSets.get(graph);
  if (!heads) headSets.set(graph, (heads = new Set(graph.heads().map((r) => r.id))));
  const out: RevisionInfo = {
    id: rev.id,
    parents: rev.parents,
    message: rev.message,
    file: rev.file,
    isHead: heads.has(rev.id),
    isBase: rev.parents.length === 0,
    isMerge: rev.parents.length > 1,
  };
  if (applied) out.applied = applied.has(rev.id);
  return out;
}
