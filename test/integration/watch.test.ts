/**
 * `ferry watch` against a real PostgreSQL: sessions held open on purpose (an old snapshot under a
 * concurrent index build, a lock in front of a ferry-named session), ferry's steps table, and what
 * --kill-blockers ends and spares.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { connect } from '../../src/engines/registry.js';
import { FERRY, ferry } from '../support/cli.js';
import { freshPostgresDatabase } from '../support/postgres.js';
import { tempDir } from '../support/sqlite-fixtures.js';
import { until } from '../support/until.js';

interface Session {
  pid: number;
  application: string;
  state: string | null;
  transactionMs: number | null;
  waitingFor: string | null;
  blockedBy: number[];
  ferry: boolean;
}
interface Report {
  ok: boolean;
  self: number;
  chains: { root: Session; waiters: (Session & { depth: number })[]; blocksFerry: boolean }[];
  long: (Session & { why: string })[];
  ferryRuns: Session[];
  indexBuilds: { pid: number; table: string; index: string | null; command: string; phase: string; percent: number | null }[];
  steps: { revision: string; kind: string; label: string; table: string | null; rowsDone: number; rowsTotal: number | null }[];
  tables: { table: string; dead: number; live: number; reasons: string[] }[];
  blockers: Session[];
  terminated?: { pid: number; terminated: boolean; reason?: string }[];
}

/** A session of the test's own, named so the watch shows who it is. */
async function session(url: string, application: string): Promise<pg.Client & { pid: number }> {
  const client = new pg.Client({ connectionString: url, application_name: application });
  // A terminated session's client reports the end here instead of crashing the test.
  client.on('error', () => undefined);
  await client.connect();
  const [row] = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows;
  return Object.assign(client, { pid: row!.pid });
}

async function watchJson(cwd: string, url: string, ...args: string[]): Promise<Report> {
  const r = await ferry(cwd, 'watch', '--once', '--json', '--url', url, ...args);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  return JSON.parse(r.stdout) as Report;
}

const alive = async (admin: pg.Client, pid: number) => (await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rowCount === 1;

test('ferry watch --once --json shows a concurrent index build and the old snapshot it waits for', async (t) => {
  const db = await freshPostgresDatabase(t);
  if (!db) return;
  const cwd = tempDir('watch');
  const admin = await session(db.url, 'test-admin');
  await admin.query('CREATE TABLE t (id bigint PRIMARY KEY, v int); INSERT INTO t SELECT g, g % 1000 FROM generate_series(1, 200000) g');
  const old = await session(db.url, 'old-snapshot');
  const builder = await session(db.url, 'index-builder');
  try {
    await old.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await old.query('SELECT count(*) FROM t');
    const build = builder.query('CREATE INDEX CONCURRENTLY t_v_idx ON t (v)');
    await until('the build to wait for old snapshots', async () => {
      const { rows } = await admin.query("SELECT 1 FROM pg_stat_progress_create_index WHERE phase = 'waiting for old snapshots'");
      return rows.length > 0;
    });
    // The default --long (1 min): a session idle in a transaction is listed whatever its age.
    const r = await watchJson(cwd, db.url);
    assert.equal(r.ok, true);
    const ix = r.indexBuilds.find((b) => b.pid === builder.pid);
    assert.ok(ix, JSON.stringify(r.indexBuilds));
    assert.equal(ix.table, 't');
    assert.equal(ix.index, 't_v_idx');
    assert.equal(ix.command, 'CREATE INDEX CONCURRENTLY');
    assert.equal(ix.phase, 'waiting for old snapshots');
    const idle = r.long.find((s) => s.pid === old.pid);
    assert.ok(idle, JSON.stringify(r.long));
    assert.equal(idle.why, 'idle in transaction');
    assert.equal(idle.state, 'idle in transaction');
    assert.ok(idle.transactionMs !== null && idle.transactionMs > 0, `its age: ${idle.transactionMs}`);
    // The build waits for the old transaction: a chain, and the table it changes, with its tuples.
    const chain = r.chains.find((c) => c.root.pid === old.pid);
    assert.ok(
      chain?.waiters.some((w) => w.pid === builder.pid),
      JSON.stringify(r.chains),
    );
    const table = r.tables.find((x) => x.table === 't');
    assert.ok(table?.reasons.includes('index build'), JSON.stringify(r.tables));
    assert.ok(![...r.long, ...r.ferryRuns, ...r.chains.map((c) => c.root)].some((s) => s.pid === r.self), 'the watch does not list itself');
    await old.query('COMMIT');
    await build;
  } finally {
    await Promise.all([old.end(), builder.end(), admin.end()].map((p) => p.catch(() => undefined)));
  }
});

test('a blocking chain in front of a ferry run: shown, left alone without --kill-blockers, ended with it', async (t) => {
  const db = await freshPostgresDatabase(t);
  if (!db) return;
  const cwd = tempDir('watch');
  const admin = await session(db.url, 'test-admin');
  await admin.query('CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 10)');
  const holder = await session(db.url, 'holder');
  const run = await session(`${db.url}?application_name=ferry-test`, 'ignored: the URL wins');
  try {
    await holder.query('BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE');
    const waiting = run.query<{ n: string }>('SELECT count(*) AS n FROM t');
    await until('the ferry session to wait', async () => {
      const { rows } = await admin.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'", [run.pid]);
      return rows.length > 0;
    });

    const r = await watchJson(cwd, db.url, '--long', '0s');
    const chain = r.chains.find((c) => c.root.pid === holder.pid);
    assert.ok(chain, JSON.stringify(r.chains));
    assert.equal(chain.blocksFerry, true);
    assert.deepEqual(
      chain.waiters.map((w) => [w.pid, w.application, w.depth, w.blockedBy]),
      [[run.pid, 'ferry-test', 1, [holder.pid]]],
    );
    assert.match(chain.waiters[0]!.waitingFor ?? '', /^AccessShareLock on relation t$/);
    assert.deepEqual(
      r.ferryRuns.map((s) => s.pid),
      [run.pid],
    );
    assert.deepEqual(
      r.blockers.map((s) => s.pid),
      [holder.pid],
    );
    assert.equal(r.terminated, undefined);
    assert.ok(![...r.long, ...r.ferryRuns, chain.root, ...chain.waiters].some((s) => s.pid === r.self), 'the watch does not list itself');
    assert.ok(await alive(admin, holder.pid), 'nothing is terminated without --kill-blockers');

    const killed = await ferry(cwd, 'watch', '--once', '--kill-blockers', '--url', db.url);
    assert.equal(killed.status, 0, killed.stderr + killed.stdout);
    assert.match(killed.stdout, new RegExp(`Terminating 1 session\\(s\\) that block a ferry run:\\n  ${holder.pid} user \\S+, holder, idle in transaction, `));
    assert.match(killed.stdout, new RegExp(`terminated ${holder.pid}\\b`));
    await until('the holder to be gone', async () => !(await alive(admin, holder.pid)));
    assert.equal((await waiting).rows[0]!.n, '10', 'the ferry run went on');
    assert.ok(await alive(admin, run.pid), 'the ferry session is never terminated');
  } finally {
    await Promise.all([holder.end(), run.end(), admin.end()].map((p) => p.catch(() => undefined)));
  }
});

test('--kill-blockers never ends a ferry session, even one that blocks a ferry run', async (t) => {
  const db = await freshPostgresDatabase(t);
  if (!db) return;
  const cwd = tempDir('watch');
  const admin = await session(db.url, 'test-admin');
  await admin.query('CREATE TABLE t (id int PRIMARY KEY)');
  const first = await session(db.url, 'ferry-first');
  const second = await session(db.url, 'ferry-second');
  try {
    await first.query('BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE');
    const waiting = second.query('SELECT count(*) FROM t');
    await until('the second run to wait', async () => {
      const { rows } = await admin.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'", [second.pid]);
      return rows.length > 0;
    });
    const r = await watchJson(cwd, db.url, '--kill-blockers');
    assert.ok(r.chains.some((c) => c.root.pid === first.pid && c.blocksFerry));
    assert.deepEqual(r.blockers, []);
    assert.deepEqual(r.terminated, []);
    assert.ok(await alive(admin, first.pid));
    await first.query('COMMIT');
    await waiting;
  } finally {
    await Promise.all([first.end(), second.end(), admin.end()].map((p) => p.catch(() => undefined)));
  }
});

test('a pending ferry backfill shows with its progress and its table with its dead tuples', async (t) => {
  const db = await freshPostgresDatabase(t);
  if (!db) return;
  const cwd = tempDir('watch');
  const admin = await session(db.url, 'test-admin');
  try {
    await admin.query(`CREATE TABLE bf (id int PRIMARY KEY, v int) WITH (autovacuum_enabled = false);
      INSERT INTO bf SELECT g, g FROM generate_series(1, 1000) g;
      UPDATE bf SET v = v + 1 WHERE id <= 300;
      CREATE TABLE ferry_steps (revision TEXT NOT NULL, direction TEXT NOT NULL, position INTEGER NOT NULL, step TEXT NOT NULL,
        done INTEGER NOT NULL DEFAULT 0, cursor_keys TEXT, rows_done BIGINT NOT NULL DEFAULT 0, rows_total BIGINT, PRIMARY KEY (revision, direction, position))`);
    const backfill = { kind: 'backfill', label: 'backfill bf.v', table: 'bf', set: { v: 'v * 2' }, batchSize: 100, batchMs: 200, pauseMs: 0 };
    const validate = { kind: 'sql', label: 'validate bf_v_check', statements: ['SELECT 1'], transactional: true };
    await admin.query(
      `INSERT INTO ferry_steps VALUES ('000000000001', 'up', 0, $1, 1, NULL, 0, NULL), ('000000000002', 'up', 0, $2, 0, '[500]', 500, 1000), ('000000000002', 'up', 1, $3, 0, NULL, 0, NULL)`,
      [JSON.stringify(validate), JSON.stringify(backfill), JSON.stringify(validate)],
    );
    // Statistics reach the views a moment after the transaction that made them.
    await until('the dead tuples to be counted', async () => {
      const { rows } = await admin.query<{ dead: string }>("SELECT n_dead_tup::text AS dead FROM pg_stat_user_tables WHERE relname = 'bf'");
      return Number(rows[0]?.dead) >= 300;
    });

    const r = await watchJson(cwd, db.url);
    assert.deepEqual(
      r.steps.map((s) => [s.revision, s.kind, s.label, s.table, s.rowsDone, s.rowsTotal]),
      [
        ['000000000002', 'backfill', 'backfill bf.v', 'bf', 500, 1000],
        ['000000000002', 'sql', 'validate bf_v_check', null, 0, null],
      ],
    );
    const bf = r.tables.find((x) => x.table === 'bf');
    assert.ok(bf, JSON.stringify(r.tables));
    assert.ok(bf.dead >= 300, `dead tuples: ${bf.dead}`);
    assert.deepEqual(bf.reasons, ['backfill']);

    const text = await ferry(cwd, 'watch', '--once', '--url', db.url);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /000000000002 up backfill backfill bf\.v: 500\/1,000 rows \(50%\)/);
    assert.match(text.stdout, /bf {2}dead [\d,]+, live [\d,]+ \([\d.]+% dead\), last autovacuum never {2}\[backfill\]/);
  } finally {
    await admin.end();
  }
});

test('ferry watch on a SQLite database fails with one clear message', async () => {
  const cwd = tempDir('watch');
  const file = path.join(cwd, 'app.db');
  const r = await ferry(cwd, 'watch', '--once', '--url', file);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^error: SQLite databases do not support watching sessions, locks and index builds while a migration runs \(ferry watch\)/);
  assert.ok(!fs.existsSync(file), 'the file is not created');
  const json = await ferry(cwd, 'watch', '--once', '--json', '--url', file);
  assert.equal(json.status, 1);
  assert.equal((JSON.parse(json.stdout) as { error: { code: string } }).error.code, 'NOT_SUPPORTED');
});

test('ferry watch --json streams a document per look and stops cleanly on SIGTERM', async (t) => {
  const db = await freshPostgresDatabase(t);
  if (!db) return;
  const admin = await session(db.url, 'test-admin');
  try {
    const child = spawn(process.execPath, [FERRY, 'watch', '--json', '--interval', '200ms', '--url', db.url], {
      cwd: tempDir('watch'),
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await until('two looks', async () => out.split('\n').filter(Boolean).length >= 2);
    const docs = out
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Report);
    const self = docs[0]!.self;
    assert.ok(
      docs.every((d) => d.ok && d.self === self),
      'one connection for the whole watch',
    );
    const named = await admin.query<{ name: string }>('SELECT application_name AS name FROM pg_stat_activity WHERE pid = $1', [self]);
    assert.equal(named.rows[0]?.name, 'ferry watch', 'a ferry session, which other watches do not list as a ferry run');
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    await until('the watch connection to close', async () => !(await alive(admin, self)), 5_000);
  } finally {
    await admin.end();
  }
});

test("ferry's connections name themselves ferry, unless the URL names them", async (t) => {
  const db = await freshPostgresDatabase(t);
  if (!db) return;
  for (const [url, name] of [
    [db.url, 'ferry'],
    [`${db.url}?application_name=billing-migrations`, 'billing-migrations'],
  ] as const) {
    const engine = await connect(url);
    try {
      const [row] = await engine.query<{ name: string }>("SELECT current_setting('application_name') AS name");
      assert.equal(row?.name, name);
    } finally {
      await engine.close();
    }
  }
});
