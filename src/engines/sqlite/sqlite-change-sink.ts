/**
 * SQLite as the receiving side of a sync: the way back of `ferry sync rollback`. A batch is written
 * by key (INSERT ... ON CONFLICT DO UPDATE, DELETE) in one write transaction together with the
 * state row (`_ferry_sync`). The file stays fenced for the app throughout: ferry's own batch lifts
 * the fence triggers and puts them back inside that same transaction, so no app write slips in.
 */
import type Database from 'better-sqlite3';
import { releaseOnce } from '../../engine/run-lock.js';
import type { ChangeSink, SyncState, TableChanges } from '../../engine/sync-roles.js';
import type { ColumnPlan } from '../../engine/table-plan.js';
import type { Engine } from '../../engine/types.js';
import type { Row, Value } from '../../values/value.js';
import { ROWID_KEY_COLUMN } from '../../schema/own-tables.js';
import type { SqliteEngine } from './sqlite-engine.js';
import { quoteSqliteIdent as q } from './sqlite-tokens.js';
import { sqliteValueWriter } from './sqlite-value-writer.js';

const SYNC_TABLE = '_ferry_sync';

function sqlite(engine: Engine): SqliteEngine {
  return engine as SqliteEngine;
}

function toJson(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

function saveState(d: Database.Database, state: SyncState): void {
  d.exec(`CREATE TABLE IF NOT EXISTS ${SYNC_TABLE} (source TEXT PRIMARY KEY, state TEXT NOT NULL)`);
  d.prepare(`INSERT INTO ${SYNC_TABLE} (source, state) VALUES (?, ?) ON CONFLICT (source) DO UPDATE SET state = excluded.state`).run(
    state.source,
    toJson(state),
  );
}

/** Canonical values as the app's SQLite stored them (its text forms, 0/1 booleans, numbers). */
function writers(columns: ColumnPlan[]): ((v: Value) => Value)[] {
  return columns.map((c) => {
    const write = sqliteValueWriter(c);
    return (v) => (v === null ? null : write(v));
  });
}

function applyTable(d: Database.Database, c: TableChanges): void {
  const t = q(c.table.target);
  const cols = c.table.columns.map((x) => q(x.target));
  const keyColumns = c.table.primaryKey!.columns;
  const key = keyColumns.map(q);
  const keyWriters = writers(keyColumns.map((k) => c.table.columns.find((x) => x.target === k)!));
  if (c.deletes.length) {
    const del = d.prepare(`DELETE FROM ${t} WHERE ${key.map((k) => `${k} = ?`).join(' AND ')}`);
    for (const k of c.deletes) del.run(...k.map((v, i) => keyWriters[i]!(v)));
  }
  if (c.upserts.length) {
    const others = cols.filter((x) => !key.includes(x));
    const set = others.length ? `DO UPDATE SET ${others.map((x) => `${x} = excluded.${x}`).join(', ')}` : 'DO NOTHING';
    const ins = d.prepare(`INSERT INTO ${t} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')}) ON CONFLICT (${key.join(', ')}) ${set}`);
    const w = writers(c.table.columns);
    for (const row of c.upserts) ins.run(...(row as Row).map((v, i) => w[i]!(v)));
  }
}

export const sqliteChangeSink: ChangeSink = {
  async tryLock() {
    // SQLite has one writer at a time; each batch is one write transaction.
    return releaseOnce(() => undefined);
  },

  async readState(engine, source) {
    const d = sqlite(engine).db;
    if (!d.prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?`).get(SYNC_TABLE)) return null;
    const row = d.prepare(`SELECT state FROM ${SYNC_TABLE} WHERE source = ?`).pluck().get(source) as string | undefined;
    return row ? (JSON.parse(row) as SyncState) : null;
  },

  async readStates(engine) {
    const d = sqlite(engine).db;
    if (!d.prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?`).get(SYNC_TABLE)) return [];
    return (d.prepare(`SELECT state FROM ${SYNC_TABLE} ORDER BY source`).pluck().all() as string[]).map((s) => JSON.parse(s) as SyncState);
  },

  async writeState(engine, state) {
    const e = sqlite(engine);
    e.run('recording the sync in', () => saveState(e.db, state));
  },

  async apply(engine, changes, state) {
    const e = sqlite(engine);
    const d = e.db;
    e.run('applying changes to', () =>
      d
        .transaction(() => {
          // The app stays fenced: the fences are lifted for this transaction only.
          const fences = d.prepare(`SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND name LIKE '\\_ferry\\_fence\\_%' ESCAPE '\\'`).all() as {
            name: string;
            sql: string;
          }[];
          for (const f of fences) d.exec(`DROP TRIGGER ${q(f.name)}`);
          for (const c of changes) applyTable(d, c);
          saveState(d, state);
          for (const f of fences) d.exec(f.sql);
        })
        .immediate(),
    );
  },

  async rowsByKey(engine, table, keys) {
    const e = sqlite(engine);
    const key = table.primaryKey!.columns;
    const keyWriters = writers(key.map((k) => table.columns.find((x) => x.target === k)!));
    const select = e.db.prepare(
      `SELECT ${[...key, ...table.columns.map((c) => c.target)].map(q).join(', ')} FROM ${q(table.target)} WHERE ${key.map((k) => `${q(k)} = ?`).join(' AND ')}`,
    );
    const out: Row[] = [];
    e.run(`reading changed rows of "${table.target}" in`, () => {
      for (const k of keys) {
        const row = select.raw(true).get(...k.map((v, i) => keyWriters[i]!(v))) as Row | undefined;
        if (row) out.push(row);
      }
    });
    return out;
  },

  async settleKeys() {
    // SQLite numbers a new row past the highest rowid, and an AUTOINCREMENT table's counter follows
    // every key written explicitly: nothing to move.
  },

  async removeRowidKeys(engine, tables) {
    const e = sqlite(engine);
    e.run('removing rowid key columns from', () =>
      e.db.transaction(() => {
        for (const t of tables)
          if (e.db.prepare(`SELECT 1 FROM pragma_table_info(?) WHERE name = ?`).get(t, ROWID_KEY_COLUMN))
            e.db.exec(`ALTER TABLE ${q(t)} DROP COLUMN ${q(ROWID_KEY_COLUMN)}`);
      })(),
    );
  },

  async dropState(engine, source) {
    const e = sqlite(engine);
    e.run('forgetting the sync in', () => {
      if (!e.db.prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?`).get(SYNC_TABLE)) return;
      e.db.prepare(`DELETE FROM ${SYNC_TABLE} WHERE source = ?`).run(source);
      if (!e.db.prepare(`SELECT count(*) FROM ${SYNC_TABLE}`).pluck().get()) e.db.exec(`DROP TABLE ${SYNC_TABLE}`);
    });
  },
};
