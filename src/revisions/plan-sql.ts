import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Dialect, Engine } from '../engine/types.js';
import type { SqliteEngine } from '../engines/sqlite/sqlite-engine.js';
import { applyPlan, importPlan } from './migrator.js';
import type { RevisionGraph } from './revision-graph.js';
import type { Revision } from './revision-types.js';
import { withScratchDatabase } from './scratch-database.js';
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
  /** The live database (absent for a SQLite file that does not exist yet). */
  live?: Engine;
  /** Its URL (a PostgreSQL scratch database is made on the same server). */
  url?: string;
}

/** Statements a script revision sent when run on a scratch copy, or why it could not run there. */
type Recorded = { where: string; statements: Map<string, string[]> } | { failed: string };

/**
 * `upgrade --sql` and `downgrade --sql`: the SQL the plan would run, with nothing run on the
 * database. SQL revisions print their statements. What a script revision sends depends on its code
 * (and, for data migrations, on the rows), so the whole plan runs on a scratch copy and the
 * statements each script sent there are printed: on SQLite a copy of the file made with the backup
 * API (same schema, same rows); on PostgreSQL a temporary database brought to the same revisions
 * (schema only, so statements that depend on rows may differ, and the output says so). When no
 * scratch copy can be had, the script revision is named with the reason.
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

async function recordScripts(input: PlanSqlInput): Promise<Recorded> {
  const statements = new Map<string, string[]>();
  // The run stops where ferry would: at the first revision without a section for the direction.
  const missing = input.plan.findIndex((r) => !(input.direction === 'up' ? r.up : r.down));
  const plan = missing < 0 ? input.plan : input.plan.slice(0, missing);
  const run = async (scratch: Engine, replay: boolean): Promise<void> => {
    const store = new VersionStore(scratch);
    await store.ensure();
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
  };
  try {
    if (input.dialect === 'sqlite' && input.live && (input.live as SqliteEngine).file !== ':memory:') {
      await withSqliteCopy(input.live as SqliteEngine, (copy) => run(copy, false));
      return { where: 'a copy of the database file (same schema and rows)', statements };
    }
    await withScratchDatabase(input.dialect, input.url, 'ferry --sql (running the script revisions on a scratch database)', (scratch) => run(scratch, true));
    return {
      where:
        input.dialect === 'postgres'
          ? 'a scratch database at the same revisions (schema only: statements that depend on rows may differ)'
          : 'an empty scratch database',
      statements,
    };
  } catch (e) {
    return { failed: (e as Error).message };
  }
}

/** Runs `fn` on a copy of a SQLite database made with the backup API, deleted afterwards. */
async function withSqliteCopy<T>(live: SqliteEngine, fn: (copy: Engine) => Promise<T>): Promise<T> {
  const { openSqlite } = await import('../engines/sqlite/sqlite-engine.js');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-sql-'));
  const file = path.join(dir, 'copy.db');
  try {
    await live.db.backup(file);
    const copy = openSqlite(file, { mustExist: true });
    try {
      return await fn(copy);
    } finally {
      await copy.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
