import path from 'node:path';
import type { Dialect, Engine } from '../engine/types.js';
import { roleOf } from '../engines/registry.js';
import { applyPlan, importPlan } from './migrator.js';
import type { RevisionGraph } from './revision-graph.js';
import type { Revision } from './revision-types.js';
import { splitStatements } from './split-statements.js';
import { VersionStore } from './version-store.js';

/** What `--sql` needs to know. */
export interface PlanSqlInput {
  plan: Revision[];
  direction: 'up' | 'down';
  dialect: Dialect;
  graph: RevisionGraph;
  /** The live database's applied revisions. */
  applied: ReadonlySet<string>;
  /** The live database (absent for a database file that does not exist yet). */
  live?: Engine;
  /** Its URL (an engine with a server makes the scratch database there). */
  url?: string;
}

/** Statements a script revision sent when run on a scratch copy, or why it could not run there. */
export type Recorded = { where: string; statements: Map<string, string[]> } | { failed: string };

/**
 * `upgrade --sql` and `downgrade --sql`: the SQL the plan would run, with nothing run on the
 * database. SQL revisions print their statements. What a script revision sends depends on its code
 * (and, for data migrations, on the rows), so the whole plan runs on a scratch copy and the
 * statements each script sent there are printed. The engine's scratch role makes the copy: a copy
 * of the live database when it can (SQLite: the file, copied with the backup API: same schema,
 * same rows), else an empty scratch database brought to the same revisions (PostgreSQL: schema
 * only, so statements that depend on rows may differ, and the output says so). When no scratch
 * copy can be had, the script revision is named with the reason.
 */
export async function planSql(input: PlanSqlInput): Promise<string> {
  const { plan, direction, dialect } = input;
  const recorded = plan.some((r) => (direction === 'up' ? r.up : r.down)?.fn) ? await recordScripts(input) : undefined;
  const out: string[] = [];
  for (const rev of plan) {
    out.push(`-- ${direction === 'up' ? 'upgrade' : 'downgrade'} ${rev.id}: ${rev.message} (${path.basename(rev.file)})`);
    const section = direction === 'up' ? rev.up : rev.down;
    if (!section) {
      out.push('-- (no down section: ferry would stop here)');
      break;
    }
    if (!section.fn) {
      for (const st of splitStatements(section.sql ?? '', dialect, section.line ?? 1)) out.push(`${st.sql.trim()};`);
    } else if (!recorded || 'failed' in recorded) {
      out.push(`-- (a script revision; its statements could not be learnt on a scratch copy: ${recorded?.failed ?? 'no copy'})`);
    } else {
      out.push(`-- (a script revision: the statements it sent when run on ${recorded.where})`);
      for (const sql of recorded.statements.get(rev.id) ?? []) out.push(sql.startsWith('-- ') ? sql : `${sql.trim().replace(/;$/, '')};`);
    }
  }
  return out.join('\n') + (out.length ? '\n' : '');
}

/** Runs the plan on a scratch copy (or, failing one, a scratch database) and records what each script revision sent. */
export async function recordScripts(input: PlanSqlInput): Promise<Recorded> {
  const statements = new Map<string, string[]>();
  try {
    const scratch = roleOf(input.dialect, 'scratch');
    if (input.live && scratch.canCopy(input.live)) {
      await scratch.withCopy(input.live, (copy) => runRecording(input, copy, false, statements));
      return { where: 'a copy of the database file (same schema and rows)', statements };
    }
    const purpose = 'ferry --sql (running the script revisions on a scratch database)';
    await scratch.withEmpty(input.url, purpose, (empty) => runRecording(input, empty, true, statements));
    return { where: scratch.replayedDescription, statements };
  } catch (e) {
    return { failed: (e as Error).message };
  }
}

/**
 * Runs the plan on `scratch` (after replaying the live database's applied revisions there, when
 * `replay`), recording into `statements` what each script revision sends. The run stops where
 * ferry would: at the first revision without a section for the direction.
 */
async function runRecording(input: PlanSqlInput, scratch: Engine, replay: boolean, statements: Map<string, string[]>): Promise<void> {
  const missing = input.plan.findIndex((r) => !(input.direction === 'up' ? r.up : r.down));
  const plan = missing < 0 ? input.plan : input.plan.slice(0, missing);
  await new VersionStore(scratch).ensure();
  if (replay) {
    const applied = input.graph.topological().filter((r) => input.applied.has(r.id));
    await applyPlan({ engine: scratch, graph: input.graph, plan: await importPlan(applied), imported: true, direction: 'up', backup: false });
  }
  await applyPlan({
    engine: scratch,
    graph: input.graph,
    plan: await importPlan(plan),
    imported: true,
    direction: input.direction,
    backup: false,
    onStatement: (rev, sql, kind) => {
      const list = statements.get(rev.id) ?? [];
      list.push(kind === 'read' ? `-- reads: ${sql.replace(/\s+/g, ' ').trim()}` : sql);
      statements.set(rev.id, list);
    },
  });
}
