import path from 'node:path';
import type { BackupSet } from '../backup/create-backup.js';
import type { Engine } from '../engine/types.js';
import type { SqliteEngine } from '../engines/sqlite/sqlite-engine.js';
import { FerryError, isFerryError } from '../errors.js';
import { appliedSet } from './applied-set.js';
export { appliedSet } from './applied-set.js';
import type { RevisionGraph } from './revision-graph.js';
import { importScriptRevision } from './revision-script.js';
import type { Revision, RevisionContext } from './revision-types.js';
import { splitStatements } from './split-statements.js';
import { VersionStore } from './version-store.js';
import { BATCH_LIMIT, batchable, runPostgresBatch } from '../engines/postgres/postgres-revision-batch.js';

/** One revision run (or, with `sql`, printed). */
export interface RevisionStep {
  id: string;
  message: string;
  file: string;
  direction: 'up' | 'down';
  ms: number;
}

/** What happens as a run goes; the CLI prints these. */
export type RevisionEvent =
  { type: 'backup'; set: BackupSet } | { type: 'start'; revision: Revision; direction: 'up' | 'down' } | { type: 'done'; step: RevisionStep };

/** Options shared by upgrade and downgrade. */
export interface ApplyOptions {
  engine: Engine;
  graph: RevisionGraph;
  plan: Revision[];
  direction: 'up' | 'down';
  /** Back the SQLite file up first (the default; `--no-backup` turns it off). */
  backup: boolean;
  /** Where SQLite backups go (default: `backup/` beside the database file). */
  backupDir?: string;
  onEvent?: (e: RevisionEvent) => void;
  /** The plan's script revisions were already imported (see importPlan). */
  imported?: boolean;
  /**
   * Told each statement a script revision sends (ctx.sql, ctx.ops, and ctx.query as `read`), for
   * `--sql`, which runs the plan on a scratch copy to learn them.
   */
  onStatement?: (rev: Revision, sql: string, kind: 'write' | 'read') => void;
}

/**
 * Imports every script revision of a plan before anything runs, so a syntax error (CONFIG_SYNTAX
 * with file and line) changes nothing, not even ferry's own tables.
 */
export function importPlan(plan: Revision[]): Promise<Revision[]> {
  return Promise.all(plan.map((r) => importScriptRevision(r)));
}

/**
 * Runs a plan, each revision in its own transaction (unless it says no-transaction) together with
 * the version and history rows that record it: a failing revision is rolled back whole, the ones
 * before it stay applied, and the database is never "dirty". On SQLite, foreign keys are off for
 * the run (PRAGMA foreign_keys does nothing inside a transaction, and a table rebuild must not fire
 * ON DELETE CASCADE) and `PRAGMA foreign_key_check` runs before every commit.
 */
export async function applyPlan(options: ApplyOptions): Promise<RevisionStep[]> {
  const { engine, graph, plan, direction } = options;
  const store = new VersionStore(engine);
  const steps: RevisionStep[] = [];
  if (plan.length === 0) return steps;
  // Every script of the plan is imported before anything runs: a syntax error changes nothing.
  const revisions = options.imported ? plan : await importPlan(plan);
  // The backup, the SQLite run settings and the schema operations load only when used: a
  // PostgreSQL run of SQL revisions never loads the SQLite driver (start-up is most of a short run).
  if (options.backup && engine.dialect === 'sqlite' && (engine as SqliteEngine).file !== ':memory:') {
    const { backupUnlessUnchanged } = await import('../backup/create-backup.js');
    const file = (engine as SqliteEngine).file;
    // An attempt that failed changed nothing: its backup is still this file's, and is reused.
    const set = await backupUnlessUnchanged({
      files: [file],
      dir: options.backupDir ?? path.join(path.dirname(file), 'backup'),
      reason: `ferry ${direction === 'up' ? 'upgrade' : 'downgrade'}`,
    });
    options.onEvent?.({ type: 'backup', set });
  }
  const restoreSettings =
    engine.dialect === 'sqlite' ? (await import('../engines/sqlite/sqlite-run-settings.js')).sqliteRunSettings(engine as SqliteEngine) : () => undefined;
  // The applied set is read once (under the run lock nobody else changes it) and kept up to date
  // here: re-reading it per revision made long plans quadratic.
  const applied = appliedSet(graph, await store.heads(), engine.displayUrl);
  // The heads too are kept up to date step by step (a pass over the graph per revision made runs
  // of thousands of revisions quadratic).
  let heads = graph.currentHeads(applied).map((r) => r.id);
  const headsAfter = (rev: Revision) => graph.headsAfterStep(heads, rev, direction, { has: (id) => (id === rev.id ? direction === 'up' : applied.has(id)) });
  const done = (rev: Revision, ms: number) => {
    heads = headsAfter(rev);
    if (direction === 'up') applied.add(rev.id);
    else applied.delete(rev.id);
    const step: RevisionStep = { id: rev.id, message: rev.message, file: rev.file, direction, ms };
    steps.push(step);
    options.onEvent?.({ type: 'done', step });
  };
  try {
    for (let i = 0; i < revisions.length;) {
      // PostgreSQL: a run of plain SQL revisions goes to the server in one round trip, each still
      // its own BEGIN ... COMMIT with its version rows (see postgres-revision-batch.ts).
      if (engine.dialect === 'postgres') {
        let end = i;
        while (end < revisions.length && end - i < BATCH_LIMIT && batchable(revisions[end]!, direction)) end++;
        if (end - i > 1) {
          const batch = revisions.slice(i, end);
          for (const rev of batch) options.onEvent?.({ type: 'start', revision: rev, direction });
          const t0 = performance.now();
          const ran = await runPostgresBatch({ engine, store, graph, batch, applied, heads, direction, flushLast: end === revisions.length });
          const each = (performance.now() - t0) / Math.max(1, ran);
          for (const rev of batch.slice(0, ran)) done(rev, each);
          i += ran;
          // A revision of the batch failed: it runs again alone below, which names its line.
          if (ran === batch.length) continue;
        }
      }
      const rev = revisions[i]!;
      const section = direction === 'up' ? rev.up : rev.down;
      if (!section) {
        throw new FerryError('CONFIG_INVALID', `${rel(rev.file)} has no down section, so ferry cannot downgrade past revision ${rev.id}.`, {
          subject: rev.file,
          hint: 'Add a `-- ferry:down` section (or export down()), or downgrade to a later revision.',
        });
      }
      options.onEvent?.({ type: 'start', revision: rev, direction });
      const t0 = performance.now();
      const last = i === revisions.length - 1;
      const body = async () => {
        // PostgreSQL: commits before the last one need not wait for their WAL flush. The version
        // rows commit with the revision, so a server crash can only lose whole revisions, which
        // the next run applies again; the last commit flushes everything before it.
        if (engine.dialect === 'postgres' && rev.transactional && !last) await engine.exec('SET LOCAL synchronous_commit = off');
        await runSection(engine, rev, section, direction, options.onStatement);
        if (engine.dialect === 'sqlite') checkForeignKeys(engine as SqliteEngine, rev);
        await store.recordStep(headsAfter(rev), rev.id, direction, rev.checksum, performance.now() - t0);
      };
      if (rev.transactional) await engine.transaction(body);
      else await body();
      done(rev, performance.now() - t0);
      i++;
    }
  } finally {
    restoreSettings();
  }
  return steps;
}

/** Runs one section: SQL statement by statement (so a failure names its line), or the script function. */
async function runSection(
  engine: Engine,
  rev: Revision,
  section: NonNullable<Revision['down']>,
  direction: 'up' | 'down',
  onStatement?: ApplyOptions['onStatement'],
): Promise<void> {
  if (section.fn) {
    const { createSchemaOperations } = await import('./schema-operations.js');
    // Only --sql listens; a data migration's thousands of ctx.sql calls format nothing otherwise.
    const tell = (sql: string, params: unknown[] | undefined, kind: 'write' | 'read') => {
      if (onStatement) onStatement(rev, params?.length ? `${sql} /* parameters: ${params.map(parameterText).join(', ')} */` : sql, kind);
    };
    const ctx: RevisionContext = {
      dialect: engine.dialect,
      engine,
      sql: async (statement, params) => {
        tell(statement, params, 'write');
        if (params && params.length) await engine.query(statement, params);
        else await engine.exec(statement);
      },
      query: (sql, params) => {
        if (onStatement) tell(sql, params, READS.test(sql) ? 'read' : 'write');
        return engine.query(sql, params);
      },
      ops: createSchemaOperations(engine, onStatement ? { onOp: (_op, statements) => statements.forEach((sql) => onStatement(rev, sql, 'write')) } : {}),
    };
    try {
      await section.fn(ctx);
    } catch (e) {
      throw revisionError(rev, direction, e, null);
    }
    return;
  }
  for (const st of splitStatements(section.sql ?? '', engine.dialect, section.line ?? 1)) {
    try {
      await engine.exec(st.sql);
    } catch (e) {
      throw revisionError(rev, direction, e, st);
    }
  }
}

/** A statement parameter as a SQL literal would spell it (for the statements `--sql` prints). */
function parameterText(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'string') return `'${v.replace(/'/g, "''")}'`;
  if (v instanceof Uint8Array) return `x'${Buffer.from(v).toString('hex')}'`;
  if (v instanceof Date) return `'${v.toISOString()}'`;
  if (typeof v === 'object') return `'${JSON.stringify(v).replace(/'/g, "''")}'`;
  return String(v);
}

/** Statements that only read (ctx.query may also write, as in UPDATE ... RETURNING). */
const READS = /^\s*(select|show|pragma|explain|values|table)\b/i;

function revisionError(rev: Revision, direction: 'up' | 'down', e: unknown, st: { sql: string; line: number } | null): FerryError {
  const why = isFerryError(e) ? e.message : ((e as Error)?.message ?? String(e));
  const where = st ? `${rel(rev.file)}:${st.line}` : rel(rev.file);
  // PostgreSQL's errors already quote the statement; SQLite's do not.
  const preview = st && !/Statement: /.test(why) ? ` Statement: ${st.sql.replace(/\s+/g, ' ').slice(0, 160)}` : '';
  return new FerryError(
    'QUERY',
    `Revision ${rev.id} (${rev.message}) failed ${direction === 'up' ? 'upgrading' : 'downgrading'} at ${where}: ${why}.${preview}`,
    {
      subject: where,
      hint: 'Nothing of this revision was kept (it ran in one transaction); the revisions before it stay applied. Fix the file and run the command again.',
      data: { revision: rev.id, file: rev.file, line: st?.line },
      cause: e,
    },
  );
}

/** Inside the revision's transaction: no row may point at a missing parent when it commits. */
function checkForeignKeys(engine: SqliteEngine, rev: Revision): void {
  const bad = engine.db.prepare('PRAGMA foreign_key_check').all() as { table: string; rowid: number; parent: string }[];
  if (bad.length) {
    const sample = bad
      .slice(0, 5)
      .map((b) => `${b.table} rowid ${b.rowid} -> ${b.parent}`)
      .join('; ');
    throw new FerryError('CONFLICT', `Revision ${rev.id} (${rel(rev.file)}) would leave ${bad.length} row(s) pointing at missing parents: ${sample}.`, {
      subject: rev.file,
      hint: 'Nothing of this revision was kept. Fix the data or the revision (PRAGMA foreign_key_check lists the rows) and run it again.',
    });
  }
}

function rel(file: string): string {
  const r = path.relative(process.cwd(), file);
  return r && !r.startsWith('..') ? r : file;
}
