/**
 * SQLite's change capture for `ferry sync`: a log table and AFTER triggers that record each
 * written row's key in commit order (SQLite has one writer at a time, so the log's AUTOINCREMENT
 * position is commit order), and BEFORE triggers that fence a table. Everything is named `_ferry…`
 * and `remove` drops it all. Keys are stored as SQL literals made by SQLite's own quote(), so any
 * key value (text, numbers, blobs) reads back exactly.
 */
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { CapturedChange, CapturedTable, CaptureState, ChangeCapture } from '../../engine/sync-roles.js';
import type { Engine } from '../../engine/types.js';
import { FerryError } from '../../errors.js';
import type { Row } from '../../values/value.js';
import type { SqliteEngine } from './sqlite-engine.js';
import { isKeyToken, parseKeyToken } from './sqlite-key-token.js';
import { quoteSqliteIdent as q } from './sqlite-tokens.js';

export const CHANGES_TABLE = '_ferry_changes';
export const CAPTURE_TABLE = '_ferry_capture';
const OPS = { I: 'insert', U: 'update', D: 'delete' } as const;

function db(engine: Engine): { db: Database.Database; run: SqliteEngine['run'] } {
  const e = engine as SqliteEngine;
  return { db: e.db, run: e.run.bind(e) };
}

/** A string as an SQL literal. */
function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** The rowid's name in a table without a key, avoiding a column that shadows `rowid`. */
function keyColumns(d: Database.Database, t: CapturedTable): string[] {
  if (t.key.length) return t.key;
  const names = new Set((d.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(t.table) as string[]).map((n) => n.toLowerCase()));
  const rowid = ['rowid', '_rowid_', 'oid'].find((n) => !names.has(n));
  if (!rowid) throw new FerryError('NOT_SUPPORTED', `Table "${t.table}" has no primary key and its columns hide the rowid, so its rows cannot be followed.`);
  return [rowid];
}

/** The key token of the row `alias` (NEW or OLD): its key values as SQL literals. */
function keyToken(alias: string, key: string[]): string {
  return key.map((k) => `quote(${alias}.${q(k)})`).join(` || ', ' || `);
}

function triggerName(kind: string, op: string, table: string): string {
  return q(`_ferry_${kind}_${op}_${table}`);
}

function captureTriggers(table: string, key: string[]): string[] {
  const log = (op: string, token: string) => `INSERT INTO ${CHANGES_TABLE} (tbl, op, key) VALUES (${literal(table)}, '${op}', ${token});`;
  const oldKey = keyToken('OLD', key);
  const newKey = keyToken('NEW', key);
  return [
    `CREATE TRIGGER ${triggerName('capture', 'i', table)} AFTER INSERT ON ${q(table)} BEGIN ${log('I', newKey)} END`,
    // An update that changes the key removes the old row and writes the new one.
    `CREATE TRIGGER ${triggerName('capture', 'u', table)} AFTER UPDATE ON ${q(table)} BEGIN ` +
      `INSERT INTO ${CHANGES_TABLE} (tbl, op, key) SELECT ${literal(table)}, 'D', ${oldKey} WHERE ${oldKey} IS NOT ${newKey}; ${log('U', newKey)} END`,
    `CREATE TRIGGER ${triggerName('capture', 'd', table)} AFTER DELETE ON ${q(table)} BEGIN ${log('D', oldKey)} END`,
  ];
}

function ownTriggers(d: Database.Database, kind: 'capture' | 'fence'): string[] {
  return d.prepare(`SELECT name FROM sqlite_schema WHERE type = 'trigger' AND name LIKE ? ESCAPE '\\'`).pluck().all(`\\_ferry\\_${kind}\\_%`) as string[];
}

function hasTable(d: Database.Database, name: string): boolean {
  return d.prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?`).get(name) !== undefined;
}

export const sqliteChangeCapture: ChangeCapture = {
  async captureProblem(engine) {
    const { db: d } = db(engine);
    const mode = String(d.pragma('journal_mode', { simple: true })).toLowerCase();
    return mode === 'wal'
      ? null
      : `it is not in WAL mode (journal_mode=${mode}), and ferry sync reads it while the app writes, which needs WAL. Switch once with: sqlite3 FILE 'PRAGMA journal_mode=WAL'.`;
  },

  async keyProblems(engine, tables) {
    const { db: d, run } = db(engine);
    const out: { table: string; problem: string }[] = [];
    for (const t of tables) {
      if (!t.key.length) {
        const names = (d.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(t.table) as string[]).map((n) => n.toLowerCase());
        if (names.includes('rowid')) out.push({ table: t.table, problem: 'it has no primary key, and a column named rowid hides its rowid' });
        continue;
      }
      // SQLite lets a primary key other than INTEGER PRIMARY KEY hold NULL; PostgreSQL's cannot.
      const nulls = run(
        `checking the key of "${t.table}" in`,
        () =>
          d
            .prepare(`SELECT count(*) FROM ${q(t.table)} WHERE ${t.key.map((k) => `${q(k)} IS NULL`).join(' OR ')}`)
            .pluck()
            .get() as number,
      );
      if (nulls)
        out.push({ table: t.table, problem: `its primary key (${t.key.join(', ')}) is NULL in ${nulls} row(s), which a PostgreSQL primary key cannot hold` });
    }
    return out;
  },

  async install(engine, tables) {
    const { db: d, run } = db(engine);
    run('installing change capture in', () =>
      d.transaction(() => {
        d.exec(
          // The time in ms since 1970 through julianday(), which every SQLite the app may run has.
          `CREATE TABLE IF NOT EXISTS ${CHANGES_TABLE} (position INTEGER PRIMARY KEY AUTOINCREMENT, tbl TEXT NOT NULL, op TEXT NOT NULL, key TEXT NOT NULL, ` +
            `at INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)))`,
        );
        d.exec(`CREATE TABLE IF NOT EXISTS ${CAPTURE_TABLE} (tbl TEXT PRIMARY KEY, key TEXT NOT NULL)`);
        const known = new Set(d.prepare(`SELECT tbl FROM ${CAPTURE_TABLE}`).pluck().all() as string[]);
        for (const t of tables) {
          if (known.has(t.table)) continue;
          // A table without a key is recorded with the rowid's name: readers of the state see the key the log holds.
          const key = keyColumns(d, t);
          for (const sql of captureTriggers(t.table, key)) d.exec(sql);
          d.prepare(`INSERT INTO ${CAPTURE_TABLE} (tbl, key) VALUES (?, ?)`).run(t.table, JSON.stringify(key));
        }
      })(),
    );
  },

  async state(engine) {
    const { db: d } = db(engine);
    if (!hasTable(d, CAPTURE_TABLE)) return null;
    const rows = d.prepare(`SELECT tbl, key FROM ${CAPTURE_TABLE} ORDER BY tbl`).all() as { tbl: string; key: string }[];
    const fenced = [...new Set(ownTriggers(d, 'fence').map((n) => n.replace(/^_ferry_fence_[iud]_/, '')))].sort();
    const state: CaptureState = { tables: rows.map((r) => ({ table: r.tbl, key: JSON.parse(r.key) as string[] })), fenced };
    return state;
  },

  async position(engine) {
    const { db: d } = db(engine);
    if (!hasTable(d, CHANGES_TABLE)) return 0;
    // sqlite_sequence keeps the highest position ever issued, also once the log is emptied.
    const seq = d.prepare(`SELECT seq FROM sqlite_sequence WHERE name = ?`).pluck().get(CHANGES_TABLE) as number | bigint | undefined;
    return Number(seq ?? 0);
  },

  async pendingAge(engine, after) {
    const { db: d } = db(engine);
    if (!hasTable(d, CHANGES_TABLE)) return null;
    const at = d.prepare(`SELECT at FROM ${CHANGES_TABLE} WHERE position > ? ORDER BY position LIMIT 1`).pluck().get(after) as number | bigint | undefined;
    return at === undefined ? null : Math.max(0, Date.now() - Number(at));
  },

  async changesAfter(engine, after, limit) {
    const { db: d, run } = db(engine);
    const rows = run(
      'reading the change log of',
      () =>
        d.prepare(`SELECT position, tbl, op, key FROM ${CHANGES_TABLE} WHERE position > ? ORDER BY position LIMIT ?`).all(after, limit) as {
          position: number | bigint;
          tbl: string;
          op: keyof typeof OPS;
          key: string;
        }[],
    );
    return rows.map((r): CapturedChange => ({ position: Number(r.position), table: r.tbl, op: OPS[r.op], key: r.key }));
  },

  async rowsByKey(engine, table, columns, keys) {
    const { db: d, run } = db(engine);
    const out = new Map<string, Row>();
    if (!keys.length) return out;
    for (const k of keys)
      if (!isKeyToken(k)) throw new FerryError('INTERNAL', `The change log of ${engine.displayUrl} holds a key ferry did not write: ${k.slice(0, 40)}`);
    const key = keyColumns(d, table);
    const token = keyToken(q(table.table), key);
    const match = key.length === 1 ? `${q(key[0]!)} IN (${keys.join(', ')})` : `(${key.map(q).join(', ')}) IN (VALUES ${keys.map((k) => `(${k})`).join(', ')})`;
    const sql = `SELECT ${token} AS _ferry_key, ${[...key, ...columns].map(q).join(', ')} FROM ${q(table.table)} WHERE ${match}`;
    const rows = run(`reading changed rows of "${table.table}" in`, () => d.prepare(sql).raw(true).all() as Row[]);
    for (const r of rows) out.set(String(r[0]), r.slice(1));
    return out;
  },

  async schemaFingerprint(engine, tables) {
    const { db: d } = db(engine);
    const rows = d
      .prepare(
        `SELECT type, name, sql FROM sqlite_schema WHERE tbl_name IN (SELECT value FROM json_each(?)) AND name NOT LIKE '\\_ferry\\_%' ESCAPE '\\' ORDER BY type, name`,
      )
      .all(JSON.stringify(tables)) as { type: string; name: string; sql: string | null }[];
    return createHash('sha256').update(JSON.stringify(rows)).digest('hex').slice(0, 16);
  },

  keyValues: parseKeyToken,

  async forget(engine, upTo) {
    const { db: d, run } = db(engine);
    run('trimming the change log of', () => d.prepare(`DELETE FROM ${CHANGES_TABLE} WHERE position <= ?`).run(upTo));
  },

  async fence(engine, tables, message) {
    const { db: d, run } = db(engine);
    run('fencing', () =>
      d.transaction(() => {
        for (const t of tables)
          for (const [op, when] of [
            ['i', 'INSERT'],
            ['u', 'UPDATE'],
            ['d', 'DELETE'],
          ] as const)
            d.exec(`CREATE TRIGGER IF NOT EXISTS ${triggerName('fence', op, t)} BEFORE ${when} ON ${q(t)} BEGIN SELECT RAISE(ABORT, ${literal(message)}); END`);
      })(),
    );
  },

  async unfence(engine) {
    const { db: d, run } = db(engine);
    run('lifting the fence on', () => d.transaction(() => ownTriggers(d, 'fence').forEach((n) => d.exec(`DROP TRIGGER ${q(n)}`)))());
  },

  async highestIssuedKey(engine, table) {
    const { db: d } = db(engine);
    if (!hasTable(d, 'sqlite_sequence')) return null;
    const seq = d.prepare(`SELECT seq FROM sqlite_sequence WHERE name = ?`).safeIntegers(true).pluck().get(table) as bigint | undefined;
    return seq ?? null;
  },

  async oneInstant(engine, fn) {
    const { db: d, run } = db(engine);
    // A deferred transaction's first read fixes the instant every later read of it sees (WAL).
    run('reading one instant of', () => {
      d.exec('BEGIN');
      d.prepare(`SELECT count(*) FROM sqlite_schema`).get();
    });
    try {
      return await fn();
    } finally {
      if (d.inTransaction) d.exec('COMMIT');
    }
  },

  async remove(engine) {
    const { db: d, run } = db(engine);
    run('removing change capture from', () =>
      d.transaction(() => {
        for (const n of [...ownTriggers(d, 'capture'), ...ownTriggers(d, 'fence')]) d.exec(`DROP TRIGGER ${q(n)}`);
        d.exec(`DROP TABLE IF EXISTS ${CHANGES_TABLE}`);
        d.exec(`DROP TABLE IF EXISTS ${CAPTURE_TABLE}`);
        // The AUTOINCREMENT counter is SQLite's bookkeeping for the log: it goes with it.
        if (hasTable(d, 'sqlite_sequence')) d.prepare(`DELETE FROM sqlite_sequence WHERE name = ?`).run(CHANGES_TABLE);
      })(),
    );
  },
};
