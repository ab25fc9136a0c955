import fs from 'node:fs';
import path from 'node:path';
import type { Engine } from '../engine/types.js';
import { parseUrl, resolveDatabaseArgument } from '../engines/registry.js';
import { FerryError } from '../errors.js';
import type { CheckResult } from './check-revisions.js';
import type { RevisionEvent, RevisionStep } from './migrator.js';
import { loadRevisions, newRevisionId, revisionFileText, slugFor } from './revision-file.js';
import { scriptRevisionText } from './revision-script.js';
import { RevisionGraph } from './revision-graph.js';
import type { Revision } from './revision-types.js';
import type { HistoryEntry, VersionStore } from './version-store.js';

// Commands that only read the revision files (heads, history, show, revision) must start fast
// (`ferry heads` within 150 ms with 500 revisions): database drivers, the migrator and the checker
// load only when a command needs a database.
const db = () => import('./revision-db.js');
const read = () => import('./revision-read.js');

/** Where the revisions and the database are; every command takes these. */
export interface RevisionTarget {
  /** Database URL or SQLite path (the CLI takes --url, then DATABASE_URL, then the config). */
  url?: string;
  /** The revisions folder (default `migrations`). */
  dir?: string;
  /** Folder relative paths resolve against (default process.cwd()). */
  cwd?: string;
  /** Milliseconds to wait for another run's lock (default 10 s). */
  lockTimeoutMs?: number;
}

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

export const DEFAULT_LOCK_TIMEOUT_MS = 10_000;

function dirOf(t: RevisionTarget): string {
  return path.resolve(t.cwd ?? process.cwd(), t.dir ?? 'migrations');
}

function urlOf(t: RevisionTarget): string {
  const url = t.url ?? process.env.DATABASE_URL;
  if (!url)
    throw new FerryError('USAGE', 'Say which database: --url, DATABASE_URL, or revisions.url in the config.', {
      hint: 'For example: ferry upgrade --url postgres://app@db/app, or --url app.db.',
    });
  return resolveDatabaseArgument(url, t.cwd ?? process.cwd());
}

/** The revision graph of the folder; a broken graph fails here, before any connection. */
export async function loadGraph(t: RevisionTarget): Promise<{ graph: RevisionGraph; revisions: Revision[] }> {
  const revisions = await loadRevisions(dirOf(t));
  return { graph: RevisionGraph.build(revisions), revisions };
}

/** Connects (a SQLite file must exist unless `create`), runs `fn`, closes. */
async function withDatabase<T>(t: RevisionTarget, fn: (engine: Engine) => Promise<T>, options: { create?: boolean; creatableBy?: string } = {}): Promise<T> {
  const url = urlOf(t);
  const target = parseUrl(url);
  if (options.creatableBy && !options.create && target.dialect === 'sqlite' && !target.memory && !fs.existsSync(target.file!)) {
    throw new FerryError('SOURCE_MISSING', `${target.file} does not exist.`, {
      subject: target.file,
      hint: `Check --url (or DATABASE_URL). To start a new SQLite database there, run ferry ${options.creatableBy} --create.`,
    });
  }
  const { connect } = await read();
  const engine = await connect(url, target.dialect === 'sqlite' ? { mustExist: !options.create } : {});
  try {
    return await fn(engine);
  } finally {
    await engine.close();
  }
}

/** Runs `fn` holding the run lock, with ferry's tables in place. */
async function locked<T>(t: RevisionTarget, engine: Engine, fn: (store: VersionStore) => Promise<T>): Promise<T> {
  const { acquireRunLock, VersionStore } = await db();
  const lock = await acquireRunLock(engine, t.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS);
  try {
    // ferry's tables are created by the commands that write (and only when they do): a failed
    // or --sql run leaves a database exactly as it was.
    return await fn(new VersionStore(engine));
  } finally {
    await lock.release();
  }
}

/** Options of upgrade and downgrade. */
export interface MigrateOptions extends RevisionTarget {
  /** `heads` (default for upgrade), `head`, an id or prefix, `+N`, `-N`, `base`. */
  target?: string;
  /** Print the SQL that would run instead of running it. */
  sql?: boolean;
  /** Back up a SQLite file first (default true). */
  backup?: boolean;
  /** Only say which revisions would run, in order; run nothing and create nothing. */
  dryRun?: boolean;
  /** Create the SQLite file when it does not exist (a mistyped path is refused otherwise). */
  create?: boolean;
  onEvent?: (e: RevisionEvent) => void;
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
  const where = parseUrl(urlOf(options));
  if (where.dialect === 'sqlite' && !where.memory && !fs.existsSync(where.file!)) {
    if (direction === 'down')
      throw new FerryError('SOURCE_MISSING', `${where.file} does not exist, so there is nothing to downgrade.`, {
        subject: where.file,
        hint: 'Check --url (or DATABASE_URL).',
      });
    // A new SQLite file is only created once the plan is known to be sound.
    const plan = graph.upgradePlan(new Set(), target);
    if (options.dryRun) return { steps: [], heads: [], planned: plan.map((r) => stepOf(r, direction)) };
    if (options.sql) {
      const { planSql } = await import('./plan-sql.js');
      return { steps: [], heads: [], sql: await planSql({ plan, direction, dialect: 'sqlite', graph, applied: new Set() }) };
    }
    // A mistyped path must not become a new, empty database with every revision applied to it.
    if (!options.create) {
      throw new FerryError('SOURCE_MISSING', `${where.file} does not exist.`, {
        subject: where.file,
        hint: 'Check --url (or DATABASE_URL). To start a new SQLite database there, run ferry upgrade --create.',
      });
    }
  }
  if (options.dryRun) {
    // Read only: the heads, without the run lock or ferry's tables.
    return withDatabase(options, async (engine) => {
      const { VersionStore, appliedSet } = await read();
      const applied = appliedSet(graph, await new VersionStore(engine).heads(), engine.displayUrl);
      const plan = direction === 'up' ? graph.upgradePlan(applied, target) : graph.downgradePlan(applied, target);
      return { steps: [], heads: graph.currentHeads(applied).map((r) => r.id), planned: plan.map((r) => stepOf(r, direction)), ...noDown(plan, direction) };
    });
  }
  return withDatabase(
    options,
    (engine) =>
      locked(options, engine, async (store) => {
        const { appliedSet, applyPlan, importPlan } = await db();
        const applied = appliedSet(graph, await store.heads(), engine.displayUrl);
        const plan = direction === 'up' ? graph.upgradePlan(applied, target) : graph.downgradePlan(applied, target);
        if (options.sql) {
          const { planSql } = await import('./plan-sql.js');
          const sql = await planSql({ plan, direction, dialect: engine.dialect, graph, applied, live: engine, url: urlOf(options) });
          return { steps: [], heads: graph.currentHeads(applied).map((r) => r.id), sql, ...noDown(plan, direction) };
        }
        if (plan.length === 0) return { steps: [], heads: graph.currentHeads(applied).map((r) => r.id) };
        const ready = await importPlan(plan);
        await store.ensure();
        const steps = await applyPlan({ engine, graph, plan: ready, imported: true, direction, backup: options.backup ?? true, onEvent: options.onEvent });
        return { steps, heads: await store.heads() };
      }),
    { create: direction === 'up' },
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

/** `ferry revision -m MSG` and `ferry merge`: writes a new revision file and returns its path. */
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
    ? scriptRevisionText({ id, parents, message: t.message, up: '', down: '' })
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
