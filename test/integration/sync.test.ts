/**
 * `ferry sync start|status|stop` against a real PostgreSQL, with a second real process writing to
 * the SQLite source as an app would (its own connection, a busy timeout) while the sync copies and
 * catches up: PostgreSQL ends equal value for value, a kill -9 at any point and the same command
 * again ends exact, stop leaves nothing behind, and bad input changes nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { connect } from '../../src/engines/registry.js';
import { changedRowsDiffer } from '../../src/sync/changed-rows.js';
import { runCopy } from '../../src/transfer/run-copy.js';
import { ends, syncedTables } from '../../src/sync/sync-steps.js';
import { ferry, FERRY } from '../support/cli.js';
import { freshPostgresDatabase } from '../support/postgres.js';
import { tempDir } from '../support/sqlite-fixtures.js';

function makeSource(file: string, options: { wal?: boolean; rows?: number; keyless?: boolean } = {}): void {
  const db = new Database(file);
  if (options.wal ?? true) db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, score REAL, active BOOLEAN NOT NULL, seen DATETIME, photo BLOB);
    CREATE TABLE tags (name TEXT PRIMARY KEY, uses INTEGER NOT NULL);
    CREATE TABLE likes (user_id INTEGER NOT NULL, tag TEXT NOT NULL, at TIMESTAMP, PRIMARY KEY (user_id, tag));`);
  if (options.keyless) db.exec(`CREATE TABLE audit (what TEXT)`);
  const rows = options.rows ?? 3000;
  db.transaction(() => {
    const u = db.prepare(`INSERT INTO users VALUES (?, ?, ?, ?, ?, ?)`);
    for (let i = 1; i <= rows; i++) u.run(i, `u${i}@example.com`, i / 7, i % 2, `2024-01-0${(i % 9) + 1} 10:00:00`, i % 5 ? null : Buffer.from([i % 256, 0]));
    const t = db.prepare(`INSERT INTO tags VALUES (?, ?)`);
    for (let i = 1; i <= 100; i++) t.run(`tag ${i} ü`, i);
    const l = db.prepare(`INSERT INTO likes VALUES (?, ?, ?)`);
    for (let i = 1; i <= rows; i++) l.run(i, `tag ${(i % 100) + 1} ü`, '2024-02-03T04:05:06Z');
  })();
  db.close();
}

/** A fresh PostgreSQL database and, in a new folder, a source app.db (makeSource); null without PostgreSQL. */
async function syncSetup(
  t: Parameters<typeof freshPostgresDatabase>[0],
  label: string,
  options?: Parameters<typeof makeSource>[1],
): Promise<{ pg: NonNullable<Awaited<ReturnType<typeof freshPostgresDatabase>>>; dir: string; file: string } | null> {
  const pg = await freshPostgresDatabase(t);
  if (!pg) return null;
  const dir = tempDir(label);
  const file = path.join(dir, 'app.db');
  makeSource(file, options);
  return { pg, dir, file };
}

/**
 * The app: inserts, updates (one changing a key) and deletes, about `perSecond` writes a second for
 * `seconds`, each in its own transaction. Prints how many writes failed and why.
 */
const WRITER = `
const Database = require('better-sqlite3');
const [file, perSecond, seconds, from] = process.argv.slice(1);
const db = new Database(file, { timeout: 5000 });
const failures = [];
let next = Number(from);
const write = (sql, ...p) => { try { db.prepare(sql).run(...p); } catch (e) { failures.push(e.message); } };
const end = Date.now() + Number(seconds) * 1000;
const tick = () => {
  for (let i = 0; i < Number(perSecond) / 20; i++) {
    const n = next++;
    write('INSERT INTO users VALUES (?, ?, ?, ?, ?, ?)', n, 'w' + n + '@example.com', n / 3, n % 2, '2025-05-05 05:05:05', Buffer.from('x' + n));
    write('UPDATE users SET score = score + 1, active = 1 - active WHERE id = ?', (n * 7) % 2000 + 1);
    write('UPDATE tags SET uses = uses + 1 WHERE name = ?', 'tag ' + ((n % 100) + 1) + ' ü');
    write('INSERT OR REPLACE INTO likes VALUES (?, ?, ?)', n % 500 + 1, 'tag ' + (n % 7 + 1) + ' ü', '2025-06-07T08:09:10Z');
    if (n % 10 === 0) write('DELETE FROM users WHERE id = ?', n - 5);
    if (n % 25 === 0) write('UPDATE users SET id = ? WHERE id = ?', n + 1000000, n - 3);
  }
  if (Date.now() < end) setTimeout(tick, 50); else { console.log(JSON.stringify({ last: next, failures: failures.slice(0, 5), failed: failures.length })); db.close(); }
};
tick();
`;

interface WriterResult {
  last: number;
  failures: string[];
  failed: number;
}

function startWriter(file: string, perSecond: number, seconds: number, from: number): { done: Promise<WriterResult> } {
  const child = spawn(process.execPath, ['-e', WRITER, file, String(perSecond), String(seconds), String(from)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const done = new Promise<WriterResult>((resolve, reject) =>
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as WriterResult) : reject(new Error(`writer exited ${code}: ${err}`)))),
  );
  return { done };
}

/** The app on PostgreSQL after a cutover: new users (numbered by PostgreSQL) and counter updates, about `perSecond` a second. */
const PG_WRITER = `
const pg = require('pg');
const [url, perSecond, seconds] = process.argv.slice(1);
const client = new pg.Client({ connectionString: url });
const failures = [];
let writes = 0;
const write = async (sql, p) => { writes++; try { await client.query(sql, p); } catch (e) { failures.push(e.message); } };
(async () => {
  await client.connect();
  const end = Date.now() + Number(seconds) * 1000;
  for (let n = 0; Date.now() < end; n++) {
    await write('INSERT INTO users (email, active, seen) VALUES ($1, true, now())', ['pgapp' + n + '@example.com']);
    await write('UPDATE tags SET uses = uses + 1 WHERE name = $1', ['tag ' + ((n % 100) + 1) + ' ü']);
    await new Promise((r) => setTimeout(r, 2000 / Number(perSecond)));
  }
  await client.end();
  console.log(JSON.stringify({ writes, failed: failures.length, failures: failures.slice(0, 5) }));
})();
`;

function startPostgresWriter(url: string, perSecond: number, seconds: number): { done: Promise<{ writes: number; failed: number; failures: string[] }> } {
  const child = spawn(process.execPath, ['-e', PG_WRITER, url, String(perSecond), String(seconds)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  return {
    done: new Promise((resolve, reject) =>
      child.on('close', (code) =>
        code === 0 ? resolve(JSON.parse(out) as { writes: number; failed: number; failures: string[] }) : reject(new Error(`writer exited ${code}: ${err}`)),
      ),
    ),
  };
}

/** `ferry sync start` in the background, to be killed or stopped. */
function startSync(cwd: string, ...args: string[]): { child: ChildProcess; done: Promise<{ status: number | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, [FERRY, 'sync', 'start', ...args], { cwd, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (status) => resolve({ status, stdout, stderr })),
  );
  return { child, done };
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function ferryObjects(file: string, url: string): Promise<{ source: string[]; target: string[]; triggers?: string[] }> {
  const db = new Database(file, { readonly: true });
  const source = db.prepare(`SELECT name FROM sqlite_schema WHERE name LIKE '%ferry%' AND name <> '_ferry_origin' ORDER BY name`).pluck().all() as string[];
  db.close();
  const pg = await connect(url);
  const target = (
    await pg.query<{ tablename: string }>(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename IN ('_ferry_sync', '_ferry_copy_state')`)
  ).map((r) => r.tablename);
  await pg.close();
  return { source, target };
}

async function assertEqual(dir: string, file: string, url: string): Promise<void> {
  const v = await ferry(dir, 'verify', file, url, '--json');
  const report = JSON.parse(v.stdout || '{}') as { ok?: boolean; tables?: { table: string; ok: boolean; sourceRows: number; targetRows: number }[] };
  assert.equal(v.status, 0, `verify: ${JSON.stringify(report.tables?.filter((t) => !t.ok))} ${v.stderr}`);
}

test('with the app writing throughout, the sync catches up and PostgreSQL equals SQLite value for value; stop leaves nothing', async (t) => {
  const setup = await syncSetup(t, 'sync-live');
  if (!setup) return;
  const { pg, dir, file } = setup;
  const writer = startWriter(file, 500, 4, 10_000);
  const first = await ferry(dir, 'sync', 'start', file, pg.url, '--until-caught-up', '--json');
  assert.equal(first.status, 0, first.stderr);
  assert.equal((JSON.parse(first.stdout) as { phase: string }).phase, 'catch-up');
  const wrote = await writer.done;
  assert.equal(wrote.failed, 0, `the app's writes all succeed with capture on: ${wrote.failures.join(' | ')}`);
  const second = await ferry(dir, 'sync', 'start', file, pg.url, '--until-caught-up', '--json');
  assert.equal(second.status, 0, second.stderr);
  const caught = JSON.parse(second.stdout) as { applied: number; pending: number };
  assert.ok(caught.applied > 1000, `${caught.applied} changes applied`);
  assert.equal(caught.pending, 0);
  await assertEqual(dir, file, pg.url);
  const status = await ferry(dir, 'sync', 'status', file, pg.url, '--json');
  assert.equal(status.status, 0, status.stderr);
  assert.deepEqual((({ phase, pending }) => ({ phase, pending }))(JSON.parse(status.stdout) as { phase: string; pending: number }), {
    phase: 'catch-up',
    pending: 0,
  });
  const stop = await ferry(dir, 'sync', 'stop', file, pg.url);
  assert.equal(stop.status, 0, stop.stderr);
  assert.deepEqual(await ferryObjects(file, pg.url), { source: [], target: [] });
});

test('kill -9 during the snapshot and during catch-up, then the same command: exact, nothing lost or applied twice', async (t) => {
  const setup = await syncSetup(t, 'sync-kill', { rows: 60_000 });
  if (!setup) return;
  const { pg, dir, file } = setup;
  // Killed while copying the snapshot.
  const during = startSync(dir, file, pg.url, '--until-caught-up');
  await wait(900);
  during.child.kill('SIGKILL');
  await during.done;
  const writer = startWriter(file, 1000, 2, 100_000);
  // Killed while applying small batches of the app's changes.
  const resumed = await ferry(dir, 'sync', 'start', file, pg.url, '--until-caught-up', '--batch-size', '20');
  assert.equal(resumed.status, 0, resumed.stderr);
  await writer.done;
  const catching = startSync(dir, file, pg.url, '--batch-size', '10');
  await wait(700);
  catching.child.kill('SIGKILL');
  await catching.done;
  const last = await ferry(dir, 'sync', 'start', file, pg.url, '--until-caught-up');
  assert.equal(last.status, 0, last.stderr);
  await assertEqual(dir, file, pg.url);
  assert.equal((await ferry(dir, 'sync', 'stop', file, pg.url)).status, 0);
});

test('a second start while one runs is refused; a schema change stops the running sync; nothing is applied wrongly', async (t) => {
  const setup = await syncSetup(t, 'sync-lock', { rows: 500 });
  if (!setup) return;
  const { pg, dir, file } = setup;
  const running = startSync(dir, file, pg.url);
  // Until it has copied the snapshot and is waiting for changes.
  for (let i = 0; i < 100; i++) {
    const s = await ferry(dir, 'sync', 'status', file, pg.url, '--json');
    if (s.status === 0 && (JSON.parse(s.stdout) as { phase: string }).phase === 'catch-up') break;
    await wait(100);
  }
  const second = await ferry(dir, 'sync', 'start', file, pg.url, '--json');
  assert.equal(second.status, 1);
  assert.equal((JSON.parse(second.stdout) as { error: { code: string } }).error.code, 'LOCKED');
  const stopWhileRunning = await ferry(dir, 'sync', 'stop', file, pg.url);
  assert.equal(stopWhileRunning.status, 1);
  assert.match(stopWhileRunning.stderr, /is running/);
  const db = new Database(file);
  db.exec(`ALTER TABLE users ADD COLUMN nickname TEXT`);
  db.prepare(`UPDATE users SET nickname = 'x' WHERE id = 1`).run();
  db.close();
  const ended = await running.done;
  assert.equal(ended.status, 1);
  assert.match(ended.stderr, /schema of the synced tables .* changed/);
  assert.equal((await ferry(dir, 'sync', 'stop', file, pg.url)).status, 0);
  assert.deepEqual(await ferryObjects(file, pg.url), { source: [], target: [] });
});

test('bad input: a source not in WAL mode, a key PostgreSQL could not hold; nothing is changed on either side', async (t) => {
  const pg = await freshPostgresDatabase(t);
  if (!pg) return;
  const dir = tempDir('sync-bad');
  const noWal = path.join(dir, 'nowal.db');
  makeSource(noWal, { wal: false, rows: 10 });
  const r = await ferry(dir, 'sync', 'start', noWal, pg.url, '--until-caught-up');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /not in WAL mode.*journal_mode=WAL/s);
  assert.deepEqual(await ferryObjects(noWal, pg.url), { source: [], target: [] });
  // SQLite lets a TEXT primary key hold NULL; PostgreSQL could not key that row on the way back.
  const nullKey = path.join(dir, 'nullkey.db');
  makeSource(nullKey, { rows: 10 });
  const db = new Database(nullKey);
  db.prepare(`INSERT INTO tags VALUES (NULL, 1)`).run();
  db.close();
  const k = await ferry(dir, 'sync', 'start', nullKey, pg.url, '--until-caught-up', '--json');
  assert.equal(k.status, 1);
  const err = (JSON.parse(k.stdout) as { error: { code: string; message: string } }).error;
  assert.equal(err.code, 'NOT_SUPPORTED');
  assert.match(err.message, /"tags" \(its primary key \(name\) is NULL in 1 row\(s\)/);
  assert.deepEqual(await ferryObjects(nullKey, pg.url), { source: [], target: [] });
});

test('a table without a primary key is followed by its rowid both ways, said in the plan; stop drops the rowid key column', async (t) => {
  const setup = await syncSetup(t, 'sync-keyless', { rows: 100, keyless: true });
  if (!setup) return;
  const { pg, dir, file } = setup;
  const db = new Database(file);
  db.transaction(() => {
    for (let i = 1; i <= 50; i++) db.prepare(`INSERT INTO audit VALUES (?)`).run(`event ${i}`);
  })();
  const started = await ferry(dir, 'sync', 'start', file, pg.url, '--until-caught-up');
  assert.equal(started.status, 0, started.stderr);
  assert.match(started.stderr, /audit has no primary key: its rowid is copied as the column _ferry_rowid/);
  assert.doesNotMatch(started.stderr, /_ferry_capture/, "ferry's own triggers are not the app's: no warning about them");
  // Changes by rowid: an update, a delete, a new row (the same text twice: only the rowid tells them apart).
  db.exec(`UPDATE audit SET what = 'changed' WHERE rowid = 5; DELETE FROM audit WHERE rowid = 6; INSERT INTO audit VALUES ('event 1')`);
  db.close();
  const cut = await ferry(dir, 'sync', 'cutover', file, pg.url);
  assert.equal(cut.status, 0, cut.stderr);
  await assertEqual(dir, file, pg.url);
  const engine = await connect(pg.url);
  try {
    assert.deepEqual(await engine.query(`SELECT _ferry_rowid, what FROM audit WHERE _ferry_rowid IN (5, 6, 51) ORDER BY 1`), [
      { _ferry_rowid: 5n, what: 'changed' },
      { _ferry_rowid: 51n, what: 'event 1' },
    ]);
    // The app on PostgreSQL inserts as it did on SQLite, without the key column.
    await engine.exec(
      `INSERT INTO audit (what) VALUES ('on postgres'); UPDATE audit SET what = 'pg changed' WHERE _ferry_rowid = 3; DELETE FROM audit WHERE _ferry_rowid = 4`,
    );
  } finally {
    await engine.close();
  }
  const rb = await ferry(dir, 'sync', 'rollback', file, pg.url);
  assert.equal(rb.status, 0, rb.stderr);
  const back = new Database(file, { readonly: true });
  try {
    assert.deepEqual(back.prepare(`SELECT rowid, what FROM audit WHERE rowid IN (3, 4, 52) ORDER BY rowid`).all(), [
      { rowid: 3, what: 'pg changed' },
      { rowid: 52, what: 'on postgres' },
    ]);
  } finally {
    back.close();
  }
  assert.equal((await ferry(dir, 'sync', 'stop', file, pg.url)).status, 0);
  const after = await connect(pg.url);
  try {
    const columns = await after.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'audit' ORDER BY ordinal_position`,
    );
    assert.deepEqual(
      columns.map((c) => c.column_name),
      ['what'],
    );
  } finally {
    await after.close();
  }
  assert.deepEqual(await ferryObjects(file, pg.url), { source: [], target: [] });
  // A later copy back brings the app's schema, without ferry's capture triggers (they did not travel with the copy).
  assert.equal((await ferry(dir, 'copy', pg.url, 'back.db')).status, 0);
  const copiedBack = new Database(path.join(dir, 'back.db'), { readonly: true });
  try {
    assert.deepEqual(copiedBack.prepare(`SELECT name FROM sqlite_schema WHERE name LIKE '%ferry%' AND name <> '_ferry_origin'`).pluck().all(), []);
    assert.equal(copiedBack.prepare(`SELECT count(*) FROM audit`).pluck().get(), 50);
  } finally {
    copiedBack.close();
  }
});

test('cutover with the app writing: its writes after the fence fail with the message, PostgreSQL equals the fenced file, and writes there are captured', async (t) => {
  const setup = await syncSetup(t, 'sync-cutover', { rows: 2000 });
  if (!setup) return;
  const { pg, dir, file } = setup;
  const early = await ferry(dir, 'sync', 'cutover', file, pg.url, '--json');
  assert.equal(early.status, 1, 'cutover before any snapshot');
  assert.equal((JSON.parse(early.stdout) as { error: { code: string } }).error.code, 'SYNC_NOT_READY');
  assert.equal((await ferry(dir, 'sync', 'start', file, pg.url, '--until-caught-up')).status, 0);
  // Long enough to be writing still when the fence comes, after the comparisons made before it.
  const writer = startWriter(file, 400, 8, 50_000);
  await wait(1000);
  const cut = await ferry(dir, 'sync', 'cutover', file, pg.url, '--json');
  assert.equal(cut.status, 0, cut.stderr);
  const report = JSON.parse(cut.stdout) as { phase: string; pauseMs: number; databaseUrl: string; pending: number };
  assert.equal(report.phase, 'cut-over');
  assert.equal(report.pending, 0);
  assert.ok(report.pauseMs >= 0 && report.pauseMs < 20_000, `pause ${report.pauseMs} ms`);
  assert.match(report.databaseUrl, new RegExp(`^postgres(ql)?://.*/${pg.name}$`), 'the URL to switch the app to');
  const wrote = await writer.done;
  assert.ok(wrote.failed > 0, 'the app kept writing after the fence');
  assert.ok(
    wrote.failures.every((f) => f.includes('this database moved to PostgreSQL')),
    wrote.failures.join(' | '),
  );
  // The fenced file and PostgreSQL hold the same rows: nothing written before the fence was lost.
  await assertEqual(dir, file, pg.url);
  const engine = await connect(pg.url);
  try {
    await engine.exec(`UPDATE users SET score = 42 WHERE id = 2; INSERT INTO tags VALUES ('after cutover', 1)`);
    const logged = await engine.query<{ tbl: string; op: string; key: string }>(`SELECT tbl, op, key FROM _ferry_changes ORDER BY position`);
    assert.deepEqual(logged, [
      { tbl: 'users', op: 'U', key: "'2'" },
      { tbl: 'tags', op: 'I', key: "'after cutover'" },
    ]);
  } finally {
    await engine.close();
  }
  // The app's own insert, with no key: PostgreSQL numbers it past every row the sync wrote,
  // including those written on SQLite after the snapshot.
  const app = await connect(pg.url);
  try {
    const [row] = await app.query<{ id: string; top: string }>(
      `INSERT INTO users (email, active) VALUES ('new@example.com', true) RETURNING id, (SELECT max(id) FROM users) AS top`,
    );
    assert.ok(BigInt(row!.id) > BigInt(row!.top), `new id ${row!.id} after ${row!.top}`);
  } finally {
    await app.close();
  }
  const again = await ferry(dir, 'sync', 'start', file, pg.url, '--until-caught-up');
  assert.equal(again.status, 1, 'no catching up after a cutover');
  assert.equal((await ferry(dir, 'sync', 'stop', file, pg.url)).status, 0);
  assert.deepEqual(await ferryObjects(file, pg.url), { source: [], target: [] });
  const left = await connect(pg.url);
  try {
    const own = await left.query(
      `SELECT tgname FROM pg_trigger WHERE NOT tgisinternal UNION ALL SELECT proname FROM pg_proc WHERE proname LIKE '\\_ferry%' UNION ALL SELECT tablename FROM pg_tables WHERE tablename IN ('_ferry_changes', '_ferry_capture')`,
    );
    assert.deepEqual(own, []);
  } finally {
    await left.close();
  }
  const unfenced = new Database(file);
  unfenced.prepare(`UPDATE users SET score = 1 WHERE id = 3`).run();
  unfenced.close();
});

test('rollback after a cutover, with the app writing on PostgreSQL: every row it wrote there comes back to SQLite, in the app forms, and PostgreSQL is fenced', async (t) => {
  const setup = await syncSetup(t, 'sync-rollback', { rows: 1000 });
  if (!setup) return;
  const { pg, dir, file } = setup;
  const early = await ferry(dir, 'sync', 'rollback', file, pg.url, '--json');
  assert.equal(early.status, 1, 'rollback without a cutover');
  assert.equal((JSON.parse(early.stdout) as { error: { code: string } }).error.code, 'SYNC_NOT_READY');
  assert.equal((await ferry(dir, 'sync', 'start', file, pg.url, '--until-caught-up')).status, 0);
  assert.equal((await ferry(dir, 'sync', 'cutover', file, pg.url)).status, 0);
  // The app on PostgreSQL: new rows, changed rows, a changed key, deleted rows.
  const engine = await connect(pg.url);
  try {
    await engine.exec(`INSERT INTO users (id, email, score, active, seen, photo) SELECT g, 'pg' || g || '@example.com', g / 4.0, g % 2 = 0, '2026-12-06 01:02:03', '\\x00ff'::bytea FROM generate_series(20001, 30000) g;
      UPDATE users SET score = -1, active = true, seen = '2030-01-01 00:00:00' WHERE id <= 200;
      UPDATE users SET id = 999999 WHERE id = 300;
      DELETE FROM likes WHERE user_id BETWEEN 400 AND 450;
      DELETE FROM users WHERE id BETWEEN 400 AND 450;
      INSERT INTO tags VALUES ('back home', 7);`);
  } finally {
    await engine.close();
  }
  // The app keeps writing on PostgreSQL through the rollback, from a process of its own.
  const app = startPostgresWriter(pg.url, 200, 4);
  await wait(700);
  const rb = await ferry(dir, 'sync', 'rollback', file, pg.url, '--json');
  assert.equal(rb.status, 0, rb.stdout + rb.stderr);
  const report = JSON.parse(rb.stdout) as { broughtBack: number; phase: string };
  assert.equal(report.phase, 'rolled-back');
  assert.ok(report.broughtBack >= 10_000 + 200 + 2 + 102 + 1, `${report.broughtBack} changes brought back`);
  const wrote = await app.done;
  assert.ok(wrote.writes > wrote.failed, 'the app wrote on PostgreSQL before the fence');
  assert.ok(wrote.failed > 0, 'and kept trying after it');
  assert.ok(
    wrote.failures.every((f) => f.includes('moved back to SQLite')),
    wrote.failures.join(' | '),
  );
  // Every write PostgreSQL took is in the SQLite file.
  await assertEqual(dir, file, pg.url);
  const db = new Database(file);
  try {
    // The app's own forms: its date-time text style and 0/1 booleans, as it wrote them.
    assert.deepEqual(db.prepare(`SELECT seen, active, typeof(active) AS t FROM users WHERE id = 1`).get(), {
      seen: '2030-01-01 00:00:00',
      active: 1,
      t: 'integer',
    });
    assert.equal(db.prepare(`SELECT count(*) FROM users WHERE id = 999999`).pluck().get(), 1);
    // The app writes to SQLite again.
    db.prepare(`UPDATE users SET score = 5 WHERE id = 2`).run();
  } finally {
    db.close();
  }
  const fenced = await connect(pg.url);
  try {
    await assert.rejects(fenced.exec(`UPDATE users SET score = 0 WHERE id = 2`), /moved back to SQLite/);
  } finally {
    await fenced.close();
  }
  assert.equal((await ferry(dir, 'sync', 'stop', file, pg.url)).status, 0);
  assert.deepEqual(await ferryObjects(file, pg.url), { source: [], target: [] });
});

test('kill -9 during a rollback, then the same command: every row written on PostgreSQL comes back once', async (t) => {
  const setup = await syncSetup(t, 'sync-rollback-kill', { rows: 500 });
  if (!setup) return;
  const { pg, dir, file } = setup;
  assert.equal((await ferry(dir, 'sync', 'start', file, pg.url, '--until-caught-up')).status, 0);
  assert.equal((await ferry(dir, 'sync', 'cutover', file, pg.url)).status, 0);
  const engine = await connect(pg.url);
  try {
    await engine.exec(`INSERT INTO users (id, email, score, active) SELECT g, 'k' || g || '@example.com', g, true FROM generate_series(100001, 160000) g;
      UPDATE users SET score = 0 WHERE id <= 100; DELETE FROM likes WHERE user_id <= 10;`);
  } finally {
    await engine.close();
  }
  // Small batches, so the kill lands between committed batches.
  const rollback = spawn(process.execPath, [FERRY, 'sync', 'rollback', file, pg.url, '--batch-size', '200'], { cwd: dir, stdio: 'ignore' });
  await wait(1000);
  rollback.kill('SIGKILL');
  await new Promise((r) => rollback.on('close', r));
  // Killed before it finished: the file is still fenced, so the app cannot write to half a rollback.
  const half = new Database(file);
  try {
    assert.throws(() => half.prepare(`UPDATE users SET score = 1 WHERE id = 1`).run(), /moved to PostgreSQL/);
  } finally {
    half.close();
  }
  const again = await ferry(dir, 'sync', 'rollback', file, pg.url);
  assert.equal(again.status, 0, again.stdout + again.stderr);
  await assertEqual(dir, file, pg.url);
  assert.equal((await ferry(dir, 'sync', 'stop', file, pg.url)).status, 0);
});

test('a row the target refuses goes to the reject file and the cutover will not switch until it is fixed; a schema change on the target stops the sync', async (t) => {
  const setup = await syncSetup(t, 'sync-refused', { rows: 300 });
  if (!setup) return;
  const { pg, dir, file } = setup;
  assert.equal((await ferry(dir, 'sync', 'start', file, pg.url, '--until-caught-up', '--reject-file', 'refused.jsonl')).status, 0);
  const db = new Database(file);
  // SQLite takes text in a REAL column; PostgreSQL's double precision cannot.
  db.prepare(`UPDATE users SET score = 'lots' WHERE id = 7`).run();
  db.prepare(`UPDATE users SET score = 1.5 WHERE id = 8`).run();
  // The snapshot's ids all fit 32 bits, so users.id is integer (as ferry copy makes it); this one does not.
  db.prepare(`INSERT INTO users (id, email, active) VALUES (3000000000, 'big@example.com', 1)`).run();
  const refused = await ferry(dir, 'sync', 'start', file, pg.url, '--until-caught-up', '--json');
  assert.equal(refused.status, 3, refused.stderr);
  const r = JSON.parse(refused.stdout) as { rejected: number; rejectFile: string };
  assert.equal(r.rejected, 2);
  assert.equal(r.rejectFile, path.join(dir, 'refused.jsonl'), "later runs keep the first run's reject file");
  const lines = fs
    .readFileSync(r.rejectFile, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { table: string; key: unknown[]; reason: string });
  assert.deepEqual(
    lines.map((l) => [l.table, l.key]),
    [
      ['users', ['7']],
      ['users', ['3000000000']],
    ],
  );
  assert.match(lines[0]!.reason, /lots/);
  assert.match(lines[1]!.reason, /beyond the 32-bit integer column/);
  const cut = await ferry(dir, 'sync', 'cutover', file, pg.url, '--json');
  assert.equal(cut.status, 1);
  const err = (JSON.parse(cut.stdout) as { error: { code: string; message: string } }).error;
  assert.equal(err.code, 'VERIFY_FAILED');
  assert.match(err.message, /users/);
  // Not switched: the app still writes to SQLite.
  db.prepare(`UPDATE users SET score = 2 WHERE id = 7`).run();
  assert.equal((await ferry(dir, 'sync', 'start', file, pg.url, '--until-caught-up')).status, 0);
  const engine = await connect(pg.url);
  try {
    assert.deepEqual(await engine.query(`SELECT score FROM users WHERE id IN (7, 8) ORDER BY id`), [{ score: 2 }, { score: 1.5 }]);
    await engine.exec(`ALTER TABLE tags ADD COLUMN colour text`);
  } finally {
    await engine.close();
  }
  db.prepare(`UPDATE tags SET uses = 0 WHERE name = 'tag 1 ü'`).run();
  db.close();
  const stopped = await ferry(dir, 'sync', 'start', file, pg.url, '--until-caught-up');
  assert.equal(stopped.status, 1);
  assert.match(stopped.stderr, /schema of the synced tables in .* \(the target\) changed/);
  assert.equal((await ferry(dir, 'sync', 'stop', file, pg.url)).status, 0);
  assert.deepEqual(await ferryObjects(file, pg.url), { source: [], target: [] });
});

test('the check of changed rows finds a row that differs, one that is missing, and passes rows that agree', async (t) => {
  const setup = await syncSetup(t, 'sync-changed-rows', { rows: 50 });
  if (!setup) return;
  const { pg, dir, file } = setup;
  assert.equal((await ferry(dir, 'sync', 'start', file, pg.url, '--until-caught-up')).status, 0);
  const e = ends({ from: file, to: pg.url });
  const source = await connect(file);
  const target = await connect(pg.url);
  try {
    const state = (await e.sink.readState(target, source.displayUrl))!;
    const tables = await syncedTables(e.capture, source, state);
    const check = (changed: Record<string, string[]>) =>
      changedRowsDiffer({
        capture: e.capture,
        from: source,
        sink: e.sink,
        to: target,
        tables,
        changed: new Map(Object.entries(changed).map(([k, v]) => [k, new Set(v)])),
      });
    assert.deepEqual(await check({ users: ['3', '4'], likes: ["5, 'tag 6 ü'"], tags: ["'tag 2 ü'"] }), []);
    await target.exec(`UPDATE users SET score = 99 WHERE id = 3; DELETE FROM likes WHERE user_id = 5`);
    const found = await check({ users: ['3', '4'], likes: ["5, 'tag 6 ü'"] });
    assert.deepEqual(
      found.map((f) => [f.table, f.differences.map((d) => [d.kind, d.columns ?? null])]),
      [
        ['users', [['different', ['score']]]],
        ['likes', [['missing-in-target', null]]],
      ],
    );
  } finally {
    await source.close();
    await target.close();
  }
  assert.equal((await ferry(dir, 'sync', 'stop', file, pg.url)).status, 0);
});

test('a source held by a long write transaction is named, and neither start nor cutover changes anything', async (t) => {
  const setup = await syncSetup(t, 'sync-held', { rows: 100 });
  if (!setup) return;
  const { pg, dir, file } = setup;
  // The app's long write transaction, in its own process.
  const hold = (ms: number) => {
    const child = spawn(
      process.execPath,
      [
        '-e',
        `const d = new (require('better-sqlite3'))(process.argv[1]); d.exec('BEGIN IMMEDIATE'); console.log('held'); setTimeout(() => d.exec('COMMIT'), ${ms});`,
        file,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    // Wrapped: a promise resolved with a promise would wait for it.
    const closed = new Promise((r) => child.on('close', r));
    return new Promise<{ closed: Promise<unknown> }>((resolve) => child.stdout!.once('data', () => resolve({ closed })));
  };
  let released = await hold(4000);
  const start = await ferry(dir, 'sync', 'start', file, pg.url, '--until-caught-up', '--lock-timeout', '300', '--json');
  assert.equal(start.status, 1, start.stdout + start.stderr);
  const err = (JSON.parse(start.stdout) as { error: { code: string; message: string } }).error;
  assert.equal(err.code, 'LOCKED');
  assert.match(err.message, /held by a long write transaction: ferry waited 300 ms to install its change capture/);
  assert.deepEqual(await ferryObjects(file, pg.url), { source: [], target: [] });
  await released.closed;
  assert.equal((await ferry(dir, 'sync', 'start', file, pg.url, '--until-caught-up')).status, 0);
  released = await hold(4000);
  const cut = await ferry(dir, 'sync', 'cutover', file, pg.url, '--lock-timeout', '300');
  assert.equal(cut.status, 1);
  assert.match(cut.stderr, /held by a long write transaction/);
  await released.closed;
  // Not fenced: the app writes on.
  const db = new Database(file);
  db.prepare(`UPDATE users SET score = 3 WHERE id = 1`).run();
  db.close();
  const status = JSON.parse((await ferry(dir, 'sync', 'status', file, pg.url, '--json')).stdout) as { phase: string };
  assert.equal(status.phase, 'catch-up');
  assert.equal((await ferry(dir, 'sync', 'stop', file, pg.url)).status, 0);
});

test('kill -9 during a cutover at several points, then the same command: it finishes, and no write the app made is lost', async (t) => {
  const setup = await syncSetup(t, 'sync-cutover-kill', { rows: 20000 });
  if (!setup) return;
  const { pg, dir, file } = setup;
  assert.equal((await ferry(dir, 'sync', 'start', file, pg.url, '--until-caught-up')).status, 0);
  const writer = startWriter(file, 300, 8, 60_000);
  let finished = false;
  for (const delay of [250, 600, 1000, 1500]) {
    const cutover = spawn(process.execPath, [FERRY, 'sync', 'cutover', file, pg.url], { cwd: dir, stdio: 'ignore' });
    const closed = new Promise<number | null>((r) => cutover.on('close', r));
    await wait(delay);
    cutover.kill('SIGKILL');
    if ((await closed) === 0) {
      finished = true;
      break;
    }
  }
  // A kill can also land after the cutover recorded itself but before the process exited.
  const phase = async () => (JSON.parse((await ferry(dir, 'sync', 'status', file, pg.url, '--json')).stdout) as { phase: string }).phase;
  if (!finished && (await phase()) !== 'cut-over') {
    const again = await ferry(dir, 'sync', 'cutover', file, pg.url, '--json');
    assert.equal(again.status, 0, again.stdout + again.stderr);
  }
  const wrote = await writer.done;
  // Every write the app made either failed with the fence's message or is on PostgreSQL.
  assert.ok(
    wrote.failures.every((f) => f.includes('this database moved to PostgreSQL')),
    wrote.failures.join(' | '),
  );
  await assertEqual(dir, file, pg.url);
  const status = JSON.parse((await ferry(dir, 'sync', 'status', file, pg.url, '--json')).stdout) as { phase: string };
  assert.equal(status.phase, 'cut-over');
  assert.equal((await ferry(dir, 'sync', 'stop', file, pg.url)).status, 0);
  assert.deepEqual(await ferryObjects(file, pg.url), { source: [], target: [] });
});

test('a resumed snapshot of a source the app moved rows in keeps one row per key (the sync writes the current one)', async (t) => {
  const pg = await freshPostgresDatabase(t);
  if (!pg) return;
  const dir = tempDir('sync-resumed-snapshot');
  const file = path.join(dir, 'app.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE likes (user_id INTEGER NOT NULL, tag TEXT NOT NULL, at TEXT, PRIMARY KEY (user_id, tag))`);
  db.transaction(() => {
    for (let i = 1; i <= 300; i++) db.prepare(`INSERT INTO likes VALUES (?, ?, 'first')`).run(i, `t${i}`);
  })();
  // A copy stopped after its first committed chunk, as a kill would leave it.
  const copy = (resume: boolean, liveSource: boolean) =>
    runCopy({
      from: file,
      to: pg.url,
      batchSize: 100,
      resume,
      liveSource,
      verify: false,
      onEvent: (e) => {
        if (!resume && e.type === 'table-progress' && e.done >= 100) throw new Error('stopped');
      },
    });
  await assert.rejects(copy(false, true), /stopped/);
  // The app moves a row the first run copied: REPLACE deletes it and inserts it at a new rowid.
  db.prepare(`INSERT OR REPLACE INTO likes VALUES (1, 't1', 'moved')`).run();
  db.close();
  await copy(true, true);
  const engine = await connect(pg.url);
  try {
    assert.deepEqual(await engine.query(`SELECT count(*)::int AS n, count(DISTINCT (user_id, tag))::int AS keys FROM likes`), [{ n: 300, keys: 300 }]);
    assert.deepEqual(await engine.query(`SELECT at FROM likes WHERE user_id = 1`), [{ at: 'moved' }]);
  } finally {
    await engine.close();
  }
});

test('a snapshot of a live source reads each table at one instant: a row the app moves during the read is copied once', async (t) => {
  const pg = await freshPostgresDatabase(t);
  if (!pg) return;
  const dir = tempDir('sync-one-instant');
  const file = path.join(dir, 'app.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE likes (user_id INTEGER NOT NULL, tag TEXT NOT NULL, at TEXT, PRIMARY KEY (user_id, tag))`);
  db.transaction(() => {
    for (let i = 1; i <= 300; i++) db.prepare(`INSERT INTO likes VALUES (?, ?, 'first')`).run(i, `t${i}`);
  })();
  let moved = false;
  await runCopy({
    from: file,
    to: pg.url,
    batchSize: 100,
    liveSource: true,
    verify: false,
    onEvent: (e) => {
      // The app, between two chunks: REPLACE moves a row the reader has passed to a new rowid.
      if (e.type === 'table-progress' && e.done >= 100 && !moved) {
        db.prepare(`INSERT OR REPLACE INTO likes VALUES (1, 't1', 'moved')`).run();
        moved = true;
      }
    },
  });
  db.close();
  assert.ok(moved);
  const engine = await connect(pg.url);
  try {
    // The table as it was when its read began (the sync's change log then brings the move).
    assert.deepEqual(await engine.query(`SELECT count(*)::int AS n, count(DISTINCT (user_id, tag))::int AS keys FROM likes`), [{ n: 300, keys: 300 }]);
    assert.deepEqual(await engine.query(`SELECT at FROM likes WHERE user_id = 1`), [{ at: 'first' }]);
  } finally {
    await engine.close();
  }
});

test("sync start takes copy's --jsonb, --virtual-tables and --parallel: JSON becomes jsonb, an FTS table is left out, changes follow", async (t) => {
  const setup = await syncSetup(t, 'sync-copy-options', { rows: 200 });
  if (!setup) return;
  const { pg, dir, file } = setup;
  const db = new Database(file);
  db.exec(`CREATE TABLE prefs (id INTEGER PRIMARY KEY, doc JSON NOT NULL);
    INSERT INTO prefs VALUES (1, '{"theme":"dark","n":[1,2]}'), (2, '{"b":1,"a":2}');
    CREATE VIRTUAL TABLE notes_fts USING fts5(body);
    INSERT INTO notes_fts VALUES ('searchable text');`);
  // Without --virtual-tables skip the FTS table stops the start before anything is written; the hint names the flag.
  const refused = await ferry(dir, 'sync', 'start', file, pg.url, '--until-caught-up');
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /notes_fts/);
  assert.match(refused.stderr, /--virtual-tables skip/);
  assert.deepEqual(await ferryObjects(file, pg.url), { source: [], target: [] });
  for (const [flag, value, message] of [
    ['--virtual-tables', 'maybe', /--virtual-tables must be fail or skip, not "maybe"/],
    ['--parallel', '0', /--parallel must be a whole number above 0, not "0"/],
  ] as const) {
    const bad = await ferry(dir, 'sync', 'start', file, pg.url, flag, value);
    assert.equal(bad.status, 2, 'a usage error');
    assert.match(bad.stderr, message);
  }
  assert.deepEqual(await ferryObjects(file, pg.url), { source: [], target: [] });

  const started = await ferry(dir, 'sync', 'start', file, pg.url, '--until-caught-up', '--jsonb', '--virtual-tables', 'skip', '--parallel', '1');
  assert.equal(started.status, 0, started.stderr);
  db.exec(`UPDATE prefs SET doc = '{"theme":"light"}' WHERE id = 1; INSERT INTO prefs VALUES (3, '[true,null]')`);
  db.close();
  const cut = await ferry(dir, 'sync', 'cutover', file, pg.url);
  assert.equal(cut.status, 0, cut.stderr);
  const engine = await connect(pg.url);
  try {
    const [type] = await engine.query<{ data_type: string }>(
      `SELECT data_type FROM information_schema.columns WHERE table_name = 'prefs' AND column_name = 'doc'`,
    );
    assert.equal(type!.data_type, 'jsonb');
    // jsonb's own text form (keys sorted, spaces added): the cutover's check found the same meaning on both sides.
    assert.deepEqual(await engine.query(`SELECT id, doc::text AS doc FROM prefs ORDER BY id`), [
      { id: 1, doc: '{"theme": "light"}' },
      { id: 2, doc: '{"a": 2, "b": 1}' },
      { id: 3, doc: '[true, null]' },
    ]);
    const fts = await engine.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'notes_fts%'`);
    assert.deepEqual(fts, [], 'the FTS table and its shadow tables are not copied');
    // The app on PostgreSQL writes JSON; the rollback brings it back to SQLite as JSON text.
    await engine.exec(`UPDATE prefs SET doc = '{"x": [1, 2]}' WHERE id = 2`);
  } finally {
    await engine.close();
  }
  const rb = await ferry(dir, 'sync', 'rollback', file, pg.url);
  assert.equal(rb.status, 0, rb.stderr);
  const back = new Database(file, { readonly: true });
  try {
    const doc = back.prepare(`SELECT doc FROM prefs WHERE id = 2`).pluck().get() as string;
    assert.deepEqual(JSON.parse(doc), { x: [1, 2] });
    assert.equal(back.prepare(`SELECT json_valid(doc) FROM prefs WHERE id = 2`).pluck().get(), 1);
  } finally {
    back.close();
  }
  assert.equal((await ferry(dir, 'sync', 'stop', file, pg.url)).status, 0);
});

test('sync start runs until SIGTERM (a service manager stopping it), then reports where it stands and exits 0', async (t) => {
  const setup = await syncSetup(t, 'sync-sigterm', { rows: 100 });
  if (!setup) return;
  const { pg, dir, file } = setup;
  const run = startSync(dir, file, pg.url, '--json');
  t.after(() => void run.child.kill('SIGKILL'));
  let caughtUp = false;
  for (let i = 0; i < 200 && !caughtUp; i++) {
    await wait(100);
    const status = await ferry(dir, 'sync', 'status', file, pg.url, '--json');
    caughtUp = status.status === 0 && (JSON.parse(status.stdout) as { phase: string }).phase === 'catch-up';
  }
  assert.ok(caughtUp, 'the sync reached catch-up');
  const db = new Database(file);
  db.prepare(`UPDATE tags SET uses = 999 WHERE name = 'tag 1 ü'`).run();
  db.close();
  // Signalled once the running sync has applied the change (however long that takes on this machine).
  let pending = -1;
  for (let i = 0; i < 200 && pending !== 0; i++) {
    await wait(100);
    const status = await ferry(dir, 'sync', 'status', file, pg.url, '--json');
    if (status.status === 0) pending = (JSON.parse(status.stdout) as { pending: number }).pending;
  }
  assert.equal(pending, 0, 'the running sync applied the change');
  run.child.kill('SIGTERM');
  const done = await run.done;
  assert.equal(done.status, 0, done.stderr);
  const report = JSON.parse(done.stdout) as { phase: string; pending: number };
  assert.equal(report.phase, 'catch-up');
  assert.equal(report.pending, 0);
  await assertEqual(dir, file, pg.url);
  assert.equal((await ferry(dir, 'sync', 'stop', file, pg.url)).status, 0);
});
