/**
 * PostgreSQL as the target of `ferry sync`: each batch of changes is written by key (INSERT ... ON
 * CONFLICT DO UPDATE, DELETE) in one transaction together with the sync's state row, so a sync
 * killed at any instant resumes from the last batch PostgreSQL committed, never applying a change
 * twice or losing one. The state lives in `_ferry_sync`, one row per source.
 */
import type { ChangeSink, SyncState, TableChanges } from '../../engine/sync-roles.js';
import type { Engine } from '../../engine/types.js';
import { releaseOnce } from '../../engine/run-lock.js';
import type { ColumnPlan, TablePlan } from '../../engine/table-plan.js';
import { formatTimeOfDay, formatTimestamp } from '../../values/time-text.js';
import type { Row, Value } from '../../values/value.js';
import { ROWID_KEY_COLUMN } from '../../schema/own-tables.js';
import { pgTypeKind } from './postgres-copy-kinds.js';
import { setIdentitySql } from './postgres-ddl.js';
import { quoteIdent } from './postgres-quote.js';
import { insertSql, rowsPerInsert, slices, toParam } from './postgres-write.js';

export const SYNC_TABLE = '_ferry_sync';

/** bigint-safe JSON for the plan and positions. */
function toJson(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

async function ensureTable(engine: Engine): Promise<void> {
  await engine.exec(`CREATE TABLE IF NOT EXISTS ${quoteIdent(SYNC_TABLE)} (source text PRIMARY KEY, state jsonb NOT NULL)`);
}

async function saveState(engine: Engine, state: SyncState): Promise<void> {
  await engine.query(`INSERT INTO ${quoteIdent(SYNC_TABLE)} (source, state) VALUES ($1, $2::jsonb) ON CONFLICT (source) DO UPDATE SET state = EXCLUDED.state`, [
    state.source,
    toJson(state),
  ]);
}

/**
 * A converted value as a statement parameter for its column: date-times are canonical
 * microseconds, which PostgreSQL reads only as text; everything else binds as it is.
 */
function parameterFor(column: ColumnPlan): (v: Value) => unknown {
  const kind = pgTypeKind(column.targetType);
  if (kind === 'timestamp') return (v) => (typeof v === 'bigint' ? formatTimestamp(v) : toParam(v));
  if (kind === 'timestamptz') return (v) => (typeof v === 'bigint' ? `${formatTimestamp(v)}+00` : toParam(v));
  if (kind === 'time') return (v) => (typeof v === 'bigint' ? formatTimeOfDay(v) : toParam(v));
  if (kind === 'bool') return (v) => (v === 1n || v === 1 ? true : v === 0n || v === 0 ? false : toParam(v));
  return toParam;
}

function parameters(rows: Row[], columns: ColumnPlan[]): unknown[] {
  const as = columns.map(parameterFor);
  const out: unknown[] = [];
  for (const row of rows) row.forEach((v, i) => out.push(v === null ? null : as[i]!(v)));
  return out;
}

/** Rows written by key: a row already there takes the new values. */
async function upsert(engine: Engine, c: TableChanges): Promise<void> {
  const t = engine.quoteTable(c.table.target);
  const cols = c.table.columns.map((x) => quoteIdent(x.target));
  const key = c.table.primaryKey!.columns.map(quoteIdent);
  const others = cols.filter((x) => !key.includes(x));
  const onConflict = others.length ? `DO UPDATE SET ${others.map((x) => `${x} = EXCLUDED.${x}`).join(', ')}` : 'DO NOTHING';
  for (const rows of slices(c.upserts, rowsPerInsert(cols.length))) {
    await engine.query(`${insertSql(t, cols, rows.length)} ON CONFLICT (${key.join(', ')}) ${onConflict}`, parameters(rows, c.table.columns));
  }
}

/** Keys as `(columns) IN (tuples)` with their parameters, in slices that fit one statement's parameters. */
function* keyMatches(table: TablePlan, keys: Value[][]): Generator<{ where: string; params: unknown[] }> {
  const keyColumns = table.primaryKey!.columns.map((k) => table.columns.find((x) => x.target === k)!);
  const key = keyColumns.map((k) => quoteIdent(k.target));
  const as = keyColumns.map(parameterFor);
  for (const slice of slices(keys, Math.max(1, Math.floor(30000 / key.length)))) {
    const params: unknown[] = [];
    const tuples = slice.map((k: Value[]) => `(${k.map((v, i) => `$${params.push(v === null ? null : as[i]!(v))}`).join(', ')})`);
    yield { where: `(${key.join(', ')}) IN (${tuples.join(', ')})`, params };
  }
}

async function remove(engine: Engine, c: TableChanges): Promise<void> {
  for (const m of keyMatches(c.table, c.deletes)) await engine.query(`DELETE FROM ${engine.quoteTable(c.table.target)} WHERE ${m.where}`, m.params);
}

export const postgresChangeSink: ChangeSink = {
  async tryLock(engine, source) {
    // A session-level advisory lock: it lives as long as this connection, so a killed run drops it.
    const key = `ferry sync ${source}`;
    const rows = await engine.query<{ ok: number | string }>(`SELECT pg_try_advisory_lock(hashtext($1))::int AS ok`, [key]);
    if (Number(rows[0]?.ok) !== 1) return null;
    return releaseOnce(async () => void (await engine.query(`SELECT pg_advisory_unlock(hashtext($1))`, [key]).catch(() => undefined)));
  },

  async readState(engine, source) {
    const found = await engine.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = $1`,
      [SYNC_TABLE],
    );
    if (!found[0]?.n) return null;
    // As text: ferry's connections read every value in its exact text form.
    const rows = await engine.query<{ state: string }>(`SELECT state::text AS state FROM ${quoteIdent(SYNC_TABLE)} WHERE source = $1`, [source]);
    return rows[0] ? (JSON.parse(rows[0].state) as SyncState) : null;
  },

  async readStates(engine) {
    if (!(await engine.query(`SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = $1`, [SYNC_TABLE])).length) return [];
    const rows = await engine.query<{ state: string }>(`SELECT state::text AS state FROM ${quoteIdent(SYNC_TABLE)} ORDER BY source`);
    return rows.map((r) => JSON.parse(r.state) as SyncState);
  },

  async writeState(engine, state) {
    await ensureTable(engine);
    await saveState(engine, state);
  },

  async apply(engine, changes, state) {
    await engine.transaction(async () => {
      // Deletes first: a key that was deleted and written again in one batch ends written.
      for (const c of changes) if (c.deletes.length) await remove(engine, c);
      for (const c of changes) if (c.upserts.length) await upsert(engine, c);
      await saveState(engine, state);
    });
  },

  async rowsByKey(engine, table, keys) {
    // Each value under a name of its own: a key column is also among the columns.
    const names = [...table.primaryKey!.columns, ...table.columns.map((c) => c.target)];
    const list = names.map((c, i) => `${quoteIdent(c)} AS v${i}`).join(', ');
    const out: Row[] = [];
    for (const m of keyMatches(table, keys)) {
      const rows = await engine.query<Record<string, Value>>(`SELECT ${list} FROM ${engine.quoteTable(table.target)} WHERE ${m.where}`, m.params);
      for (const r of rows) out.push(names.map((_, i) => r[`v${i}`]!));
    }
    return out;
  },

  async settleKeys(engine, tables, floors) {
    for (const t of tables) {
      const floor = floors.get(t.target);
      const sql = setIdentitySql(floor !== undefined && floor > (t.sequenceFloor ?? 0n) ? { ...t, sequenceFloor: floor } : t);
      if (sql) await engine.query(sql);
    }
  },

  async removeRowidKeys(engine, tables) {
    await engine.transaction(async () => {
      for (const t of tables) await engine.exec(`ALTER TABLE ${engine.quoteTable(t)} DROP COLUMN IF EXISTS ${quoteIdent(ROWID_KEY_COLUMN)}`);
    });
  },

  async dropState(engine, source) {
    if (!(await postgresChangeSink.readState(engine, source))) return;
    await engine.transaction(async () => {
      await engine.query(`DELETE FROM ${quoteIdent(SYNC_TABLE)} WHERE source = $1`, [source]);
      const left = await engine.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${quoteIdent(SYNC_TABLE)}`);
      if (!left[0]?.n) await engine.exec(`DROP TABLE ${quoteIdent(SYNC_TABLE)}`);
    });
  },
};
