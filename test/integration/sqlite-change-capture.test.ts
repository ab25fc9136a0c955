/**
 * SQLite's change capture (the groundwork of `ferry sync`, issue 12), on real files with a second
 * real process writing through its own connection: the log replays to exactly the writer's final
 * rows, a fence refuses the writer's writes with the message, and removing capture leaves nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { connect, roleOf } from '../../src/engines/registry.js';
import type { CapturedTable } from '../../src/engine/sync-roles.js';
import type { Engine } from '../../src/engine/types.js';
import type { Row } from '../../src/values/value.js';
import { ferry } from '../support/cli.js';
import { tempDir } from '../support/sqlite-fixtures.js';

const TABLES: CapturedTable[] = [
  { table: 'users', key: ['id'] },
  { table: 'tags', key: ['name', 'blob key'] },
  { table: 'events', key: [] },
];

function makeSource(file: string, wal = true): void {
  const db = new Database(file);
  if (wal) db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, score REAL);
    CREATE TABLE tags (name TEXT NOT NULL, "blob key" BLOB NOT NULL, note TEXT, PRIMARY KEY (name, "blob key")) WITHOUT ROWID;
    CREATE TABLE events (what TEXT, at INTEGER);`);
  const u = db.prepare(`INSERT INTO users VALUES (?, ?, ?)`);
  for (let i = 1; i <= 50; i++) u.run(i, `u${i}@example.com`, i / 3);
  db.prepare(`INSERT INTO tags VALUES (?, ?, ?)`).run("it's", Buffer.from([0, 255]), 'first');
  db.prepare(`INSERT INTO events VALUES (?, ?)`).run('boot', 1);
  db.close();
}

/** A second process, as an app: its own connection with a busy timeout, inserts, updates (one changing a key) and deletes. */
const WRITER = `
const Database = require('better-sqlite3');
const db = new Database(process.argv[1], { timeout: 5000 });
const out = [];
const tryRun = (sql, ...p) => { try { db.prepare(sql).run(...p); out.push('ok'); } catch (e) { out.push(e.message); } };
for (let i = 51; i <= 120; i++) tryRun('INSERT INTO users VALUES (?, ?, ?)', i, 'u' + i + '@example.com', i * 1.5);
for (let i = 1; i <= 30; i++) tryRun('UPDATE users SET score = score + 1, email = ? WHERE id = ?', 'new' + i + '@example.com', i);
tryRun('UPDATE users SET id = 1000 WHERE id = 40');
for (let i = 41; i <= 45; i++) tryRun('DELETE FROM users WHERE id = ?', i);
tryRun('INSERT INTO tags VALUES (?, ?, ?)', 'b', Buffer.from([1, 2, 3]), null);
tryRun('UPDATE tags SET note = ? WHERE name = ?', 'changed', "it's");
tryRun("INSERT INTO events VALUES ('tick', 2), ('tick', 3)");
tryRun("DELETE FROM events WHERE what = 'boot'");
console.log(JSON.stringify(out));
`;

function runWriter(file: string): string[] {
  const r = spawnSync(process.execPath, ['-e', WRITER, file], { encoding: 'utf8', cwd: path.resolve('.') });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as string[];
}

function tableRows(file: string, table: string, columns: string[]): Row[] {
  const db = new Database(file, { readonly: true });
  db.defaultSafeIntegers(true);
  try {
    return db
      .prepare(`SELECT ${columns.map((c) => `"${c}"`).join(', ')} FROM "${table}" ORDER BY 1, 2`)
      .raw(true)
      .all() as Row[];
  } finally {
    db.close();
  }
}

const COLUMNS: Record<string, string[]> = { users: ['id', 'email', 'score'], tags: ['name', 'blob key', 'note'], events: ['what', 'at'] };

test('the log replays to exactly what a second process wrote, in commit order, whatever the key', async () => {
  const dir = tempDir('capture');
  const file = path.join(dir, 'app.db');
  makeSource(file);
  const engine: Engine = await connect(`sqlite:${file}`);
  const capture = roleOf(engine, 'changeCapture');
  try {
    assert.equal(await capture.captureProblem(engine), null);
    assert.equal(await capture.state(engine), null);
    // The replica starts as the snapshot a sync would copy, keyed by each table's key token.
    const replica = new Map<string, Map<string, Row>>();
    await capture.install(engine, TABLES);
    await capture.install(engine, TABLES); // again: nothing more
    const start = await capture.position(engine);
    assert.equal(start, 0);
    for (const t of TABLES) {
      const all = await capture.rowsByKey(engine, t, COLUMNS[t.table]!, await allKeys(engine, t));
      replica.set(t.table, all);
    }
    assert.deepEqual(
      runWriter(file).filter((r) => r !== 'ok'),
      [],
    );
    const changes = await capture.changesAfter(engine, start, 10_000);
    // 70 inserts, 30 updates, a key change (old key deleted, new key written), 5 deletes, 2 tag and 3 event writes.
    assert.equal(changes.length, 112);
    assert.deepEqual(
      changes.map((c) => c.position),
      [...changes.map((c) => c.position)].sort((a, b) => a - b),
    );
    assert.ok(
      changes.some((c) => c.op === 'delete' && c.table === 'users' && c.key === '40'),
      'a key change logs the old key as deleted',
    );
    // Apply as a sync does: re-read the current row of each changed key; no row means deleted.
    for (const t of TABLES) {
      const keys = [...new Set(changes.filter((c) => c.table === t.table).map((c) => c.key))];
      const now = await capture.rowsByKey(engine, t, COLUMNS[t.table]!, keys);
      for (const k of keys) {
        const row = now.get(k);
        if (row) replica.get(t.table)!.set(k, row);
        else replica.get(t.table)!.delete(k);
      }
    }
    for (const t of TABLES) {
      const width = t.key.length || 1;
      const replayed = [...replica.get(t.table)!.values()].map((r) => r.slice(width));
      assert.deepEqual(sortRows(replayed), sortRows(tableRows(file, t.table, COLUMNS[t.table]!)), `${t.table} replays exactly`);
    }
    await capture.forget(engine, changes.at(-1)!.position);
    assert.deepEqual(await capture.changesAfter(engine, 0, 10), []);
    assert.equal(await capture.position(engine), changes.at(-1)!.position, 'positions are never reused');
  } finally {
    await engine.close();
  }
});

async function allKeys(engine: Engine, t: CapturedTable): Promise<string[]> {
  const key = t.key.length ? t.key : ['rowid'];
  const rows = await engine.query<{ k: string }>(`SELECT ${key.map((k) => `quote("${k}")`).join(` || ', ' || `)} AS k FROM "${t.table}"`);
  return rows.map((r) => r.k);
}

function sortRows(rows: Row[]): string[] {
  return rows.map((r) => JSON.stringify(r, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))).sort();
}

test('a fence refuses the app writes with the message, and lifting it lets them through', async () => {
  const dir = tempDir('fence');
  const file = path.join(dir, 'app.db');
  makeSource(file);
  const engine = await connect(`sqlite:${file}`);
  const capture = roleOf(engine, 'changeCapture');
  try {
    await capture.install(engine, TABLES);
    await capture.fence(engine, ['users', 'tags', 'events'], 'this database moved to PostgreSQL');
    assert.deepEqual((await capture.state(engine))!.fenced, ['events', 'tags', 'users']);
    const refused = runWriter(file);
    assert.ok(refused.length > 0 && refused.every((r) => r.includes('this database moved to PostgreSQL')), refused.slice(0, 3).join(' | '));
    assert.deepEqual(await capture.changesAfter(engine, 0, 10), [], 'a refused write logs nothing');
    await capture.unfence(engine);
    assert.deepEqual((await capture.state(engine))!.fenced, []);
    assert.ok(runWriter(file).every((r) => r === 'ok'));
  } finally {
    await engine.close();
  }
});

test('removing capture leaves no trigger, table or counter; verify ignores the log meanwhile', async () => {
  const dir = tempDir('remove');
  const file = path.join(dir, 'app.db');
  const before = path.join(dir, 'before.db');
  makeSource(file);
  makeSource(before);
  const schemaOf = (f: string) => {
    const db = new Database(f, { readonly: true });
    try {
      return db.prepare(`SELECT type, name, sql FROM sqlite_schema ORDER BY name`).all();
    } finally {
      db.close();
    }
  };
  const original = schemaOf(file);
  const engine = await connect(`sqlite:${file}`);
  const capture = roleOf(engine, 'changeCapture');
  try {
    await capture.install(engine, TABLES);
    await capture.fence(engine, ['users'], 'moved');
    // ferry's log and triggers are not the app's: the two files still verify as equal.
    const v = await ferry(dir, 'verify', file, before, '--json');
    assert.equal(v.status, 0, v.stdout + v.stderr);
    await capture.remove(engine);
    assert.equal(await capture.state(engine), null);
  } finally {
    await engine.close();
  }
  const after = schemaOf(file).filter((o) => (o as { name: string }).name !== 'sqlite_sequence');
  assert.deepEqual(after, original);
  const db = new Database(file, { readonly: true });
  try {
    assert.equal(
      db.prepare(`SELECT count(*) FROM sqlite_schema WHERE name = 'sqlite_sequence'`).pluck().get() === 0 ||
        db.prepare(`SELECT count(*) FROM sqlite_sequence`).pluck().get() === 0,
      true,
    );
  } finally {
    db.close();
  }
});

test('a source not in WAL mode is named, with how to switch', async () => {
  const dir = tempDir('nowal');
  const file = path.join(dir, 'app.db');
  makeSource(file, false);
  const engine = await connect(`sqlite:${file}`);
  try {
    assert.match((await roleOf(engine, 'changeCapture').captureProblem(engine)) ?? '', /not in WAL mode.*journal_mode=WAL/);
  } finally {
    await engine.close();
  }
});
