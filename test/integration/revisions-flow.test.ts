import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { connect } from '../../src/engines/registry.js';
import { ferry, FERRY } from '../support/cli.js';
import { freshPostgresDatabase } from '../support/postgres.js';
import { tempDir, emptySqliteFile } from '../support/sqlite-fixtures.js';
import { sqlRevision } from '../support/revision-fixtures.js';

interface Db {
  name: 'sqlite' | 'postgres';
  url: string;
}

async function databases(t: Parameters<typeof freshPostgresDatabase>[0]): Promise<Db[]> {
  const dir = tempDir('rev-db');
  const out: Db[] = [{ name: 'sqlite', url: emptySqliteFile(path.join(dir, 'app.db')) }];
  const pg = await freshPostgresDatabase(t);
  if (pg) out.push({ name: 'postgres', url: pg.url });
  return out;
}

async function tables(url: string): Promise<string[]> {
  const e = await connect(url);
  try {
    return (await e.introspect()).tables
      .map((t) => t.name)
      .filter((n) => !n.startsWith('ferry_'))
      .sort();
  } finally {
    await e.close();
  }
}

async function historyRows(url: string): Promise<{ revision: string; direction: string }[]> {
  const e = await connect(url);
  try {
    return await e.query<{ revision: string; direction: string }>('SELECT revision, direction FROM ferry_history ORDER BY seq');
  } finally {
    await e.close();
  }
}

/** base -> a1 -> (b1 | c1) -> m1 (merge) -> d1 */
function graphFixture(dir: string): void {
  sqlRevision(dir, 'a10000000001', [], 'create users', 'CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);', 'DROP TABLE users;');
  sqlRevision(
    dir,
    'b10000000002',
    ['a10000000001'],
    'create posts',
    'CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id) ON DELETE CASCADE, body TEXT);',
    'DROP TABLE posts;',
  );
  sqlRevision(
    dir,
    'c10000000003',
    ['a10000000001'],
    'create tags',
    "CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT DEFAULT 'x');\nINSERT INTO tags (id, label) VALUES (1, 'semi;colon'), (2, 'two');",
    'DROP TABLE tags;',
  );
  sqlRevision(dir, 'd10000000004', ['b10000000002', 'c10000000003'], 'merge posts and tags', '', '');
  sqlRevision(dir, 'e10000000005', ['d10000000004'], 'add email', 'ALTER TABLE users ADD COLUMN email TEXT;', 'ALTER TABLE users DROP COLUMN email;');
}

test('upgrade, current, heads, history, downgrade, stamp and merge on both engines', { timeout: 120_000 }, async (t) => {
  for (const db of await databases(t)) {
    const dir = tempDir(`rev-${db.name}`);
    const mig = path.join(dir, 'migrations');
    fs.mkdirSync(mig);
    graphFixture(mig);
    const run = (...args: string[]) => ferry(dir, ...args, '--url', db.url, '--no-backup');
    const plain = (...args: string[]) => ferry(dir, ...args, '--url', db.url);

    const heads = await plain('heads');
    assert.equal(heads.status, 0, heads.stderr);
    assert.match(heads.stdout, /e10000000005 \(head\)/);

    const sql = await run('upgrade', '--sql');
    assert.equal(sql.status, 0, sql.stderr);
    assert.match(sql.stdout, /CREATE TABLE users/);
    assert.match(sql.stdout, /'semi;colon'/);
    assert.deepEqual(await tables(db.url), [], '--sql runs nothing');

    const up = await run('upgrade', 'c1');
    assert.equal(up.status, 0, up.stderr);
    assert.deepEqual(await tables(db.url), ['tags', 'users'], 'a prefix target brings its ancestors only');
    const cur = await plain('current', '--json');
    assert.deepEqual(
      (JSON.parse(cur.stdout) as { heads: { id: string }[] }).heads.map((h) => h.id),
      ['c10000000003'],
    );

    const all = await run('upgrade');
    assert.equal(all.status, 0, all.stderr);
    assert.deepEqual(await tables(db.url), ['posts', 'tags', 'users']);
    assert.match((await plain('current')).stdout, /e10000000005/);

    const hist = await plain('history', '--indicate-current', '--json');
    const rows = JSON.parse(hist.stdout) as { id: string; applied: boolean }[];
    assert.equal(rows[0]!.id, 'e10000000005', 'newest first');
    assert.ok(rows.every((r) => r.applied));

    const down1 = await run('downgrade', '-1');
    assert.equal(down1.status, 0, down1.stderr);
    assert.match((await plain('current')).stdout, /d10000000004/);
    const downPosts = await run('downgrade', 'c10000000003');
    assert.equal(downPosts.status, 0, downPosts.stderr);
    // Only the descendants of c1 go (the merge); b1, on the other branch, stays: two heads now.
    assert.deepEqual(await tables(db.url), ['posts', 'tags', 'users']);
    assert.deepEqual(
      (JSON.parse((await plain('current', '--json')).stdout) as { heads: { id: string }[] }).heads.map((h) => h.id),
      ['b10000000002', 'c10000000003'],
    );
    const base = await run('downgrade', 'base');
    assert.equal(base.status, 0, base.stderr);
    assert.deepEqual(await tables(db.url), []);
    assert.equal((await historyRows(db.url)).filter((r) => r.direction === 'up').length, 5 + 0, 'each revision applied once');

    const st = await plain('stamp', 'e1');
    assert.equal(st.status, 0, st.stderr);
    assert.match((await plain('current')).stdout, /e10000000005/);
    assert.deepEqual(await tables(db.url), [], 'stamp runs nothing');
    await plain('stamp', 'base');

    // A second head, then a merge.
    sqlRevision(mig, 'f10000000006', ['d10000000004'], 'create audit', 'CREATE TABLE audit (id INTEGER PRIMARY KEY);', 'DROP TABLE audit;');
    const twoHeads = await run('upgrade', 'head');
    assert.notEqual(twoHeads.status, 0);
    assert.match(twoHeads.stderr, /e10000000005/);
    assert.match(twoHeads.stderr, /f10000000006/);
    const merged = await plain('merge', '-m', 'merge heads');
    assert.equal(merged.status, 0, merged.stderr);
    assert.equal((await plain('heads', '--json')).stdout.match(/"id"/g)?.length, 1);
    const upAll = await run('upgrade', 'head');
    assert.equal(upAll.status, 0, upAll.stderr);
    assert.deepEqual(await tables(db.url), ['audit', 'posts', 'tags', 'users']);
  }
});

test('a failing revision is rolled back whole, earlier ones stay, and the error names file and line', { timeout: 60_000 }, async (t) => {
  for (const db of await databases(t)) {
    const dir = tempDir(`rev-fail-${db.name}`);
    const mig = path.join(dir, 'migrations');
    fs.mkdirSync(mig);
    sqlRevision(mig, 'a20000000001', [], 'one', 'CREATE TABLE one (id INTEGER PRIMARY KEY);', 'DROP TABLE one;');
    sqlRevision(
      mig,
      'b20000000002',
      ['a20000000001'],
      'two',
      'CREATE TABLE two (id INTEGER PRIMARY KEY);\nINSERT INTO two VALUES (1);\nINSERT INTO nowhere VALUES (1);',
      'DROP TABLE two;',
    );
    const r = await ferry(dir, 'upgrade', '--url', db.url, '--no-backup');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /b20000000002/);
    assert.match(r.stderr, /b20000000002_two\.sql:7/, 'file and line of the failing statement');
    assert.deepEqual(await tables(db.url), ['one'], 'revision two left nothing behind');
    assert.match((await ferry(dir, 'current', '--url', db.url)).stdout, /a20000000001/);
    // Fixed, the same command goes on from there: no "dirty" state to force.
    fs.writeFileSync(
      path.join(mig, 'b20000000002_two.sql'),
      fs.readFileSync(path.join(mig, 'b20000000002_two.sql'), 'utf8').replace('INSERT INTO nowhere VALUES (1);', ''),
    );
    const again = await ferry(dir, 'upgrade', '--url', db.url, '--no-backup');
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(await tables(db.url), ['one', 'two']);
    // No down section: downgrading past it is refused, nothing changes.
    sqlRevision(mig, 'c20000000003', ['b20000000002'], 'three', 'CREATE TABLE three (id INTEGER PRIMARY KEY);', null);
    assert.equal((await ferry(dir, 'upgrade', '--url', db.url, '--no-backup')).status, 0);
    const d = await ferry(dir, 'downgrade', 'base', '--url', db.url, '--no-backup');
    assert.equal(d.status, 1);
    assert.match(d.stderr, /no down section/);
    assert.deepEqual(await tables(db.url), ['one', 'three', 'two']);
  }
});

test('eight concurrent upgrades apply each revision exactly once', { timeout: 120_000 }, async (t) => {
  for (const db of await databases(t)) {
    const dir = tempDir(`rev-conc-${db.name}`);
    const mig = path.join(dir, 'migrations');
    fs.mkdirSync(mig);
    let parent: string[] = [];
    for (let i = 0; i < 20; i++) {
      const id = `c3${String(i).padStart(10, '0')}`;
      sqlRevision(mig, id, parent, `t${i}`, `CREATE TABLE t${i} (id INTEGER PRIMARY KEY);`, `DROP TABLE t${i};`);
      parent = [id];
    }
    const runs = await Promise.all(Array.from({ length: 8 }, () => ferry(dir, 'upgrade', '--url', db.url, '--no-backup', '--lock-timeout', '60000')));
    for (const r of runs) assert.equal(r.status, 0, r.stderr);
    const rows = await historyRows(db.url);
    assert.equal(rows.length, 20, 'twenty history rows, one per revision');
    assert.equal(new Set(rows.map((r) => r.revision)).size, 20);
    assert.equal((await tables(db.url)).length, 20);
  }
});

test('a run killed mid-upgrade leaves no lock and no half revision; the next run completes', { timeout: 120_000 }, async (t) => {
  for (const db of await databases(t)) {
    const dir = tempDir(`rev-kill-${db.name}`);
    const mig = path.join(dir, 'migrations');
    fs.mkdirSync(mig);
    sqlRevision(mig, 'a40000000001', [], 'fast', 'CREATE TABLE fast (id INTEGER PRIMARY KEY);', 'DROP TABLE fast;');
    // A slow revision: a big insert, so the kill lands inside its transaction.
    const slow =
      db.name === 'postgres'
        ? 'CREATE TABLE slow (id BIGINT PRIMARY KEY, v TEXT);\nINSERT INTO slow SELECT g, md5(g::text) FROM generate_series(1, 1000000) g;'
        : 'CREATE TABLE slow (id INTEGER PRIMARY KEY, v TEXT);\nWITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 1000000) INSERT INTO slow SELECT i, hex(randomblob(16)) FROM c;';
    sqlRevision(mig, 'b40000000002', ['a40000000001'], 'slow', slow, 'DROP TABLE slow;');
    const child = spawn(process.execPath, [FERRY, 'upgrade', '--url', db.url, '--no-backup'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    // Kill once the first revision has committed (its table is there), while the slow one runs.
    // (Polled in the database: on PostgreSQL both revisions go in one round trip, so progress
    // lines come only at the end.)
    await new Promise<void>((resolve) => {
      let exited = false;
      child.on('exit', () => ((exited = true), resolve()));
      const poll = async () => {
        while (!exited) {
          const present = await tables(db.url).catch(() => [] as string[]);
          if (present.includes('fast')) {
            setTimeout(() => (child.kill('SIGKILL'), resolve()), 300);
            return;
          }
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      void poll();
    });
    await new Promise((r) => child.on('close', r));
    assert.deepEqual(await tables(db.url), ['fast'], `the slow revision left nothing: ${err}`);
    // PostgreSQL notices the vanished client within a second (client_connection_check_interval).
    const again = await ferry(dir, 'upgrade', '--url', db.url, '--no-backup', '--lock-timeout', '15000');
    assert.equal(again.status, 0, `no stale lock: ${again.stderr}`);
    assert.deepEqual(await tables(db.url), ['fast', 'slow']);
  }
});
