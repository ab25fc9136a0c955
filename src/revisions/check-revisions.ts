import path from 'node:path';
import type { Engine } from '../engine/types.js';
import { diffSchemas, type SchemaDifference } from '../schema/diff-schemas.js';
import { withScratchDatabase } from './scratch-database.js';
import { applyPlan, appliedSet } from './migrator.js';
import type { RevisionGraph } from './revision-graph.js';
import type { Revision } from './revision-types.js';
import { VersionStore, type HistoryEntry } from './version-store.js';

/** One reason `ferry check` fails. */
export interface CheckProblem {
  kind: 'changed' | 'never-applied' | 'schema' | 'roundtrip' | 'lint' | 'unfinished';
  revision?: string;
  file?: string;
  message: string;
}

/** What `ferry check` found. */
export interface CheckResult {
  ok: boolean;
  problems: CheckProblem[];
  /** Revisions not applied yet (not a problem: `ferry upgrade` applies them). */
  pending: number;
}

/** Error-level lint findings of the revisions not applied yet (applied ones have run; their findings are history). */
async function lintProblems(pending: Revision[], engine: Engine): Promise<CheckProblem[]> {
  const { lintPending } = await import('./lint-revisions.js');
  return (await lintPending(pending, engine.dialect))
    .filter((f) => f.level === 'error')
    .map((f) => ({
      kind: 'lint',
      revision: f.revision,
      file: f.file,
      message: `${f.file}:${f.line}: ${f.rule}${f.lock ? ` (takes ${f.lock}${f.table ? ` on ${f.table}` : ''})` : ''}: ${f.message} Safe: ${f.safe}`,
    }));
}

/**
 * Compares the database with the revision files: an applied revision whose file changed since
 * (checksums ignore line endings and trailing whitespace), a revision the version table counts as
 * applied that never ran, and a live schema that differs from what the applied revisions produce
 * on a scratch database, and error-level lint findings of the revisions not applied yet. With `roundtrip`, every revision goes up, down and up again on a scratch
 * database and the schema after each down must equal the schema before its up.
 */
export async function checkRevisions(
  engine: Engine,
  url: string,
  graph: RevisionGraph,
  options: { roundtrip?: boolean; drift?: boolean; lint?: boolean } = {},
): Promise<CheckResult> {
  const store = new VersionStore(engine);
  const applied = appliedSet(graph, await store.heads(), engine.displayUrl);
  const problems = historyProblems(graph, applied, await store.history());
  const unfinished = await unfinishedSteps(engine);
  problems.push(...unfinished);
  // Between two revisions (DDL committed, steps pending) the schema is neither's: drift would only repeat that.
  if (unfinished.length === 0 && options.drift !== false) problems.push(...(await schemaDrift(engine, url, graph, applied)));
  if (options.roundtrip) problems.push(...(await roundtripProblems(engine, url, graph)));
  if (options.lint !== false) problems.push(...(await lintProblems(graph.upgradePlan(applied, 'heads'), engine)));
  return { ok: problems.length === 0, problems, pending: graph.upgradePlan(applied, 'heads').length };
}

/** A revision whose transaction committed but whose after-commit steps (VALIDATE, index build, backfill) a killed run left unfinished. */
async function unfinishedSteps(engine: Engine): Promise<CheckProblem[]> {
  const { StepStore } = await import('./step-store.js');
  const byRevision = new Map<string, string[]>();
  for (const s of await new StepStore(engine).all())
    if (!s.done) byRevision.set(`${s.revision} ${s.direction}`, [...(byRevision.get(`${s.revision} ${s.direction}`) ?? []), s.step.label]);
  return [...byRevision].map(([key, labels]) => {
    const [revision, direction] = key.split(' ') as [string, string];
    return {
      kind: 'unfinished',
      revision,
      message: `${revision}'s ${direction === 'up' ? 'upgrade' : 'downgrade'} committed but its after-commit steps did not finish (${labels.join('; ')}): run \`ferry ${direction === 'up' ? 'upgrade' : 'downgrade'} ${revision}\` to finish them.`,
    };
  });
}

/**
 * From the history: applied revisions whose file changed since they ran, and revisions the version
 * table counts as applied that never ran here (a stamp, and what it stands on, counts as run).
 */
function historyProblems(graph: RevisionGraph, applied: Set<string>, history: HistoryEntry[]): CheckProblem[] {
  const problems: CheckProblem[] = [];
  const last = new Map<string, HistoryEntry>();
  // A lock wait that was rolled back changed nothing: the revision's state is its last real step.
  for (const h of history) if (h.direction !== 'lock-wait') last.set(h.revision, h);
  const stamped = new Set<string>();
  for (const h of history) {
    if (h.direction !== 'stamp' || !graph.get(h.revision)) continue;
    stamped.add(h.revision);
    for (const a of graph.ancestors(h.revision)) stamped.add(a.id);
  }
  for (const id of applied) {
    const rev = graph.get(id)!;
    const entry = last.get(id);
    if (!entry || entry.direction === 'down') {
      if (!stamped.has(id))
        problems.push({
          kind: 'never-applied',
          revision: id,
          file: rev.file,
          message: `${id} (${rev.message}) counts as applied but never ran here: it sits behind the applied revisions.`,
        });
    } else if (entry.checksum && entry.checksum !== rev.checksum) {
      problems.push({
        kind: 'changed',
        revision: id,
        file: rev.file,
        message: `${path.basename(rev.file)} changed after it was applied (${entry.appliedAt}).`,
      });
    }
  }
  return problems;
}

/** Differences between the live schema and what the applied revisions make on a scratch database. */
async function schemaDrift(engine: Engine, url: string, graph: RevisionGraph, applied: Set<string>): Promise<CheckProblem[]> {
  const problems: CheckProblem[] = [];
  await withScratchDatabase(engine.dialect, url, 'ferry check (replaying the revisions)', async (scratch) => {
    await new VersionStore(scratch).ensure();
    const plan = graph.topological().filter((r) => applied.has(r.id));
    await applyPlan({ engine: scratch, graph, plan, direction: 'up', backup: false });
    for (const d of diffSchemas(await scratch.introspect(), await engine.introspect())) {
      problems.push({ kind: 'schema', message: `${d.object}: ${explain(d)}` });
    }
  });
  return problems;
}

/**
 * `--roundtrip`: every revision up, down and up again on a scratch database; the first whose down
 * is missing or does not bring the schema back is the problem (the check stops there).
 */
async function roundtripProblems(engine: Engine, url: string, graph: RevisionGraph): Promise<CheckProblem[]> {
  return withScratchDatabase(engine.dialect, url, 'ferry check (replaying the revisions)', async (scratch) => {
    await new VersionStore(scratch).ensure();
    for (const rev of graph.topological()) {
      const problem = await roundtrip(scratch, graph, rev);
      if (problem) return [problem];
    }
    return [];
  });
}

/** One revision up, down (the schema must be as before) and up again; the problem, or null. */
async function roundtrip(scratch: Engine, graph: RevisionGraph, rev: Revision): Promise<CheckProblem | null> {
  const before = await scratch.introspect();
  await applyPlan({ engine: scratch, graph, plan: [rev], direction: 'up', backup: false });
  if (!rev.down) {
    return { kind: 'roundtrip', revision: rev.id, file: rev.file, message: `${path.basename(rev.file)} has no down section, so it cannot be rolled back.` };
  }
  await applyPlan({ engine: scratch, graph, plan: [rev], direction: 'down', backup: false });
  const diff = diffSchemas(before, await scratch.introspect());
  if (diff.length) {
    return {
      kind: 'roundtrip',
      revision: rev.id,
      file: rev.file,
      message: `the down section of ${path.basename(rev.file)} does not undo its up: ${diff
        .slice(0, 5)
        .map((d) => `${d.object}: ${d.detail.replace(/first/g, 'before up').replace(/second/g, 'after down')}`)
        .join('; ')}`,
    };
  }
  await applyPlan({ engine: scratch, graph, plan: [rev], direction: 'up', backup: false });
  return null;
}

function explain(d: SchemaDifference): string {
  return d.detail
    .replace(/only in the first/g, 'expected by the revisions but missing from the database')
    .replace(/only in the second/g, 'in the database but not made by any revision')
    .replace(/ vs /g, ' expected, the database has ');
}
