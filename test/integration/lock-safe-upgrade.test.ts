/**
 * Lock-safe revision runs on PostgreSQL: a revision that waits for a lock gives up after a short
 * lock_timeout, is rolled back and tried again with growing waits (as GitLab's with_lock_retries),
 * so it never queues the app's queries behind it for long. A blocker that ends lets it through; one
 * that never ends fails the run cleanly, naming the revision, with nothing of it applied.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { connect } from '../../src/engines/registry.js';
import { ferry } from '../support/cli.js';
import { freshPostgresDatabase } from '../support/postgres.js';
import { tempDir } from '../support/sqlite-fixtures.js';

function revision(dir: string, id: string, parent: string | null, up: string, header = ''): void {
  fs.writeFileSync(
    path.join(dir, 'migrations', `${id}_r.sql`),
    `-- ferry:revision ${id}\n${parent ? `-- ferry:parents ${parent}\n` : ''}-- ferry:message r${id.slice(-1)}\n${header}-- ferry:up\n${up}\n-- ferry:down\nSELECT 1;\n`,
  );
}

test('a revision waiting for a lock is retried with growing waits until the blocker ends; one that never gets it fails cleanly', async (t) => {
  const pg = await freshPostgresDatabase(t);
  if (!pg) return;
  const dir = tempDir('lock-safe');
  fs.mkdirSync(path.join(dir, 'migrations'));
  revision(dir, '000000000001', null, 'CREATE TABLE t (id bigint PRIMARY KEY);\nINSERT INTO t SELECT g FROM generate_series(1, 100) g;');
  assert.equal((await ferry(dir, 'upgrade', '--url', pg.url)).status, 0);
  // Two pending revisions: sent in one batch, where the second's lock wait stops the batch at once.
  revision(dir, '000000000002', '000000000001', 'CREATE TABLE other (id bigint PRIMARY KEY);');
  revision(dir, '000000000003', '000000000002', 'ALTER TABLE t ADD COLUMN c int;');
  const blocker = await connect(pg.url);
  try {
    // The app's long transaction: it read t, so it holds a lock the ALTER must wait for.
    await blocker.exec('BEGIN; SELECT count(*) FROM t');
    const released = new Promise((r) => setTimeout(r, 2500)).then(() => blocker.exec('COMMIT'));
    const run = await ferry(dir, 'upgrade', '--url', pg.url);
    await released;
    assert.equal(run.status, 0, run.stderr);
    const retries = run.stderr.split('\n').filter((l) => l.includes('lock wait: 000000000003 waited'));
    assert.ok(retries.length >= 2, run.stderr);
    assert.match(retries[0]!, /waited 100 ms for a lock \(attempt 1\); rolled back, trying again/);
    assert.match(retries[1]!, /waited 200 ms for a lock \(attempt 2\)/);
    const cols = await blocker.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_name = 't' ORDER BY ordinal_position`,
    );
    assert.deepEqual(
      cols.map((c) => c.column_name),
      ['id', 'c'],
    );

    const history = async () =>
      (
        JSON.parse((await ferry(dir, 'history', '--applied', '--url', pg.url, '--json')).stdout) as {
          revision: string;
          direction: string;
          durationMs: number;
        }[]
      )
        .filter((h) => h.direction === 'lock-wait')
        .reverse(); // oldest first: the history lists the newest first
    const waited = await history();
    assert.equal(waited.length, retries.length, 'each attempt is recorded in ferry_history');
    assert.deepEqual(
      waited.slice(0, 2).map((h) => [h.revision, h.durationMs]),
      [
        ['000000000003', 100],
        ['000000000003', 200],
      ],
    );
    // A blocker that does not end: the per-revision limit (300 ms) ends the run after three attempts.
    revision(dir, '000000000004', '000000000003', 'ALTER TABLE t ADD COLUMN d int;', '-- ferry:lock-timeout 300ms\n');
    await blocker.exec('BEGIN; SELECT count(*) FROM t');
    const failed = await ferry(dir, 'upgrade', '--url', pg.url, '--json');
    await blocker.exec('COMMIT');
    assert.equal(failed.status, 1);
    const err = (JSON.parse(failed.stdout) as { error: { code: string; message: string } }).error;
    assert.equal(err.code, 'LOCKED');
    assert.match(
      err.message,
      /Revision 000000000004 \(r4, .*000000000004_r\.sql\) could not get its locks: 3 attempt\(s\), the last waiting 300 ms; nothing of it was applied/,
    );
    const current = JSON.parse((await ferry(dir, 'current', '--url', pg.url, '--json')).stdout) as { heads: { id: string }[] };
    assert.deepEqual(
      current.heads.map((h) => h.id),
      ['000000000003'],
    );
    const after = await blocker.query<{ n: number }>(`SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 't' AND column_name = 'd'`);
    assert.deepEqual(after, [{ n: 0 }]);
    assert.deepEqual(
      (await history()).filter((h) => h.revision === '000000000004').map((h) => h.durationMs),
      [100, 200, 300],
    );
    // ferry check is not misled by the attempts: the revisions are as applied.
    const check = await ferry(dir, 'check', '--url', pg.url);
    assert.equal(check.status, 0, check.stdout + check.stderr);
    // revisions.lockTimeout in the config sets the run's limit when the revision names none.
    fs.writeFileSync(
      path.join(dir, 'migrations', '000000000004_r.sql'),
      fs.readFileSync(path.join(dir, 'migrations', '000000000004_r.sql'), 'utf8').replace('-- ferry:lock-timeout 300ms\n', ''),
    );
    fs.writeFileSync(path.join(dir, 'ferry.config.json'), JSON.stringify({ revisions: { lockTimeout: '200ms' } }));
    await blocker.exec('BEGIN; SELECT count(*) FROM t');
    const configured = await ferry(dir, 'upgrade', '--url', pg.url, '--json');
    await blocker.exec('COMMIT');
    fs.rmSync(path.join(dir, 'ferry.config.json'));
    assert.match((JSON.parse(configured.stdout) as { error: { message: string } }).error.message, /2 attempt\(s\), the last waiting 200 ms/);
    // With the blocker gone, the same command goes through.
    assert.equal((await ferry(dir, 'upgrade', '--url', pg.url)).status, 0);

    // CREATE INDEX CONCURRENTLY waits for older transactions; timed out, it leaves an INVALID index,
    // which ferry drops before trying again.
    revision(dir, '000000000005', '000000000004', 'CREATE INDEX CONCURRENTLY t_c ON t (c);', '-- ferry:no-transaction\n');
    // A snapshot held open (REPEATABLE READ): the index build waits for it to end.
    await blocker.exec('BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM t');
    const later = new Promise((r) => setTimeout(r, 2000)).then(() => blocker.exec('COMMIT'));
    const concurrent = await ferry(dir, 'upgrade', '--url', pg.url);
    await later;
    assert.equal(concurrent.status, 0, concurrent.stderr);
    assert.match(concurrent.stderr, /lock wait: 000000000005 waited 100 ms/);
    assert.deepEqual(
      await blocker.query(
        `SELECT c.relname AS name, i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname LIKE 't\\_c%'`,
      ),
      [{ name: 't_c', valid: true }],
    );

    // A script revision says its limit with `export const lockTimeout`.
    fs.writeFileSync(
      path.join(dir, 'migrations', '000000000006_r.mjs'),
      "export const revision = '000000000006';\nexport const parents = ['000000000005'];\nexport const message = 'r6';\nexport const lockTimeout = '300ms';\n" +
        "export async function up(ctx) {\n  await ctx.sql('ALTER TABLE t ADD COLUMN e int');\n}\nexport async function down(ctx) {\n  await ctx.sql('ALTER TABLE t DROP COLUMN e');\n}\n",
    );
    await blocker.exec('BEGIN; SELECT count(*) FROM t');
    const script = await ferry(dir, 'upgrade', '--url', pg.url, '--json');
    await blocker.exec('COMMIT');
    assert.equal(script.status, 1);
    assert.match(
      (JSON.parse(script.stdout) as { error: { message: string } }).error.message,
      /Revision 000000000006 .* 3 attempt\(s\), the last waiting 300 ms/,
    );
  } finally {
    await blocker.close();
  }
});
