/**
 * `ferry copy` / `ferry verify` on bad input: each case must fail with one clear message naming the
 * thing at fault (no stack trace), the right non-zero exit code, and leave the target unchanged:
 * no table created in PostgreSQL, no SQLite file created. Passwords never appear in any output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ferry, type CliResult } from '../support/cli.js';
import { freshPostgresDatabase, type FreshDatabase } from '../support/postgres.js';
import { tempDir } from '../support/sqlite-fixtures.js';
import { pgCount, pgTables, withPg } from '../support/copy-fixtures.js';

/** A small valid source: two tables. */
function source(dir: string): string {
  const file = path.join(dir, 'src.db');
  const db = new Database(file);
  db.exec(`
    CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, score REAL);
    CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
  `);
  const n = db.prepare('INSERT INTO notes VALUES (?, ?, ?)');
  const t = db.prepare('INSERT INTO tags VALUES (?, ?)');
  db.transaction(() => {
    for (let i = 1; i <= 2000; i++) n.run(i, `note ${i} ${'x'.repeat(i % 300)}`, i / 7);
    for (let i = 1; i <= 50; i++) t.run(i, `tag${i}`);
  })();
  db.close();
  return file;
}

/** One message, no stack trace, names `subject`, and exits with `code`. */
function assertFails(r: CliResult, code: number, ...mentions: RegExp[]): void {
  assert.equal(r.status, code, `exit ${code}:\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, /^error: /m, `an error line: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+/, `no stack trace: ${r.stderr}`);
  for (const m of mentions) assert.match(r.stderr, m);
}

async function assertPgUntouched(db: FreshDatabase, expected: string[] = []): Promise<void> {
  assert.deepEqual(await pgTables(db.url), expected, 'no table was created in PostgreSQL');
}

/** A URL to the same server as `db` but for another user/database/port. */
function variant(db: FreshDatabase, change: (u: URL) => void): string {
  const u = new URL(db.url);
  change(u);
  return u.toString();
}

test('malformed and unsupported URLs fail naming the URL; nothing is created', async () => {
  const dir = tempDir('copy-bad');
  source(dir);
  const a = await ferry(dir, 'copy', 'src.db', 'postgres://:::');
  assertFails(a, 1, /postgres:\/\/:::/, /not a valid URL/);
  const b = await ferry(dir, 'copy', 'src.db', 'mysql://x');
  assertFails(b, 1, /mysql/, /not supported/);
  const c = await ferry(dir, 'copy', 'mysql://x', 'out.db');
  assertFails(c, 1, /mysql/);
  assert.equal(fs.existsSync(path.join(dir, 'out.db')), false, 'no SQLite file created');
  // SQLite to SQLite is not a copy.
  const d = await ferry(dir, 'copy', 'src.db', 'other.db');
  assertFails(d, 2, /both SQLite/, /consolidate|backup/);
  assert.equal(fs.existsSync(path.join(dir, 'other.db')), false);
  const e = await ferry(dir, 'copy', 'src.db');
  assert.equal(e.status, 2, `no target: ${e.stderr}`);
  assert.match(e.stderr, /Say where to copy to/);
});

test('a refused connection names host and port; the password never appears (text and --json)', async () => {
  const dir = tempDir('copy-bad');
  source(dir);
  const url = 'postgres://alice:s3cret@127.0.0.1:1/appdb';
  const r = await ferry(dir, 'copy', 'src.db', url);
  assertFails(r, 1, /127\.0\.0\.1:1/, /refused/);
  const j = await ferry(dir, 'copy', 'src.db', url, '--json');
  assert.equal(j.status, 1);
  const doc = JSON.parse(j.stdout) as { ok: boolean; error: { code: string; message: string; subject: string } };
  assert.equal(doc.ok, false);
  assert.equal(doc.error.code, 'CONNECT');
  const v = await ferry(dir, 'verify', 'src.db', url);
  assert.equal(v.status, 1);
  const vj = await ferry(dir, 'verify', url, 'src.db', '--json');
  assert.equal(vj.status, 1);
  // PostgreSQL -> SQLite with the same URL as the source: no SQLite file appears.
  const back = await ferry(dir, 'copy', url, 'out.db');
  assert.equal(back.status, 1);
  assert.equal(fs.existsSync(path.join(dir, 'out.db')), false, 'no SQLite file created');
  for (const out of [r, j, v, vj, back]) {
    assert.doesNotMatch(out.stdout + out.stderr, /s3cret/, `the password is masked:\n${out.stdout}${out.stderr}`);
  }
  assert.match(r.stderr, /alice:\*\*\*@/, 'the URL is shown with the password masked');
});

test('an unknown role (the local server trusts 127.0.0.1, so a wrong password cannot be tested) is an auth error', async (t) => {
  const db = await freshPostgresDatabase(t);
  if (!db) return;
  const dir = tempDir('copy-bad');
  source(dir);
  const url = variant(db, (u) => {
    u.username = `no_such_role_${crypto.randomBytes(3).toString('hex')}`;
    u.password = 's3cret';
  });
  const r = await ferry(dir, 'copy', 'src.db', url);
  assertFails(r, 1, /no_such_role_/, /does not exist|refused user/);
  assert.doesNotMatch(r.stdout + r.stderr, /s3cret/);
  await assertPgUntouched(db);
});

test('a missing database names it and says how to create it', async (t) => {
  const db = await freshPostgresDatabase(t);
  if (!db) return;
  const dir = tempDir('copy-bad');
  source(dir);
  const name = `${db.name}_missing`;
  const r = await ferry(
    dir,
    'copy',
    'src.db',
    variant(db, (u) => (u.pathname = `/${name}`)),
  );
  assertFails(r, 1, new RegExp(name), /does not exist/, /createdb|CREATE DATABASE/);
  const exists = await withPg(db.url, async (c) => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rows.length);
  assert.equal(exists, 0, 'ferry did not create the database');
});

test('a user without CREATE on schema public is refused before anything is written', async (t) => {
  const db = await freshPostgresDatabase(t);
  if (!db) return;
  const role = `ferry_noprivs_${crypto.randomBytes(4).toString('hex')}`;
  await withPg(db.url, async (c) => {
    await c.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
    await c.query(`CREATE ROLE "${role}" LOGIN`);
  });
  t.after(async () => {
    await db.drop();
    await withPg(db.serverUrl, (c) => c.query(`DROP ROLE IF EXISTS "${role}"`));
  });
  const dir = tempDir('copy-bad');
  source(dir);
  const r = await ferry(
    dir,
    'copy',
    'src.db',
    variant(db, (u) => {
      u.username = role;
      u.password = '';
    }),
  );
  assertFails(r, 1, new RegExp(role), /may not create tables/, /GRANT CREATE ON SCHEMA public/);
  await assertPgUntouched(db);
});

test('a source that is not SQLite, a corrupt source and a missing source are refused; the target is untouched', async (t) => {
  const db = await freshPostgresDatabase(t);
  if (!db) return;
  const dir = tempDir('copy-bad');
  fs.writeFileSync(path.join(dir, 'x.db'), 'this is a text file, not a database\n'.repeat(50));
  const notSqlite = await ferry(dir, 'copy', 'x.db', db.url);
  assertFails(notSqlite, 1, /x\.db/, /not a SQLite database/);

  const missing = await ferry(dir, 'copy', 'missing.db', db.url);
  assertFails(missing, 1, /missing\.db/, /does not exist/);
  assert.equal(fs.existsSync(path.join(dir, 'missing.db')), false, 'the missing source was not created');

  // A real SQLite file with garbage written over the middle of the table's pages.
  const file = source(dir);
  const bytes = fs.readFileSync(file);
  const pageSize = bytes.readUInt16BE(16) === 1 ? 65536 : bytes.readUInt16BE(16);
  const pages = bytes.length / pageSize;
  assert.ok(pages > 10, `enough pages to corrupt (${pages})`);
  const garbage = crypto.randomBytes(pageSize * 3);
  garbage.copy(bytes, pageSize * Math.floor(pages / 2));
  fs.writeFileSync(path.join(dir, 'corrupt.db'), bytes);
  const corrupt = await ferry(dir, 'copy', 'corrupt.db', db.url);
  await assertPgUntouched(db);
  assertFails(corrupt, 1, /corrupt\.db/, /corrupt|malformed/i);
  assert.doesNotMatch(corrupt.stderr, /Unexpected error|bug in ferry/, 'a corrupt file is bad input, not an internal error');
});

test('--tables with an unknown table suggests the nearest name; nothing is written', async (t) => {
  const db = await freshPostgresDatabase(t);
  if (!db) return;
  const dir = tempDir('copy-bad');
  source(dir);
  const r = await ferry(dir, 'copy', 'src.db', db.url, '--tables', 'notes,tag');
  assertFails(r, 1, /"tag"/, /did you mean "tags"\?/);
  const x = await ferry(dir, 'copy', 'src.db', db.url, '--exclude', 'nots');
  assertFails(x, 1, /"nots"/, /did you mean "notes"\?/);
  await assertPgUntouched(db);
  // PostgreSQL -> SQLite with an unknown table: the new SQLite file is not left behind.
  await withPg(db.url, (c) => c.query('CREATE TABLE present (id bigint PRIMARY KEY)'));
  const back = await ferry(dir, 'copy', db.url, 'out.db', '--tables', 'presnt');
  assertFails(back, 1, /did you mean "present"\?/);
  assert.equal(fs.existsSync(path.join(dir, 'out.db')), false, 'no SQLite file created');
});

test('--if-exists fail (the default) with a non-empty target table: nothing is written to any table', async (t) => {
  const db = await freshPostgresDatabase(t);
  if (!db) return;
  const dir = tempDir('copy-bad');
  source(dir);
  await withPg(db.url, async (c) => {
    await c.query('CREATE TABLE tags (id bigint PRIMARY KEY, name text NOT NULL)');
    await c.query(`INSERT INTO tags VALUES (1, 'existing'), (2, 'rows')`);
  });
  const r = await ferry(dir, 'copy', 'src.db', db.url);
  assertFails(r, 1, /tags \(2 rows\)/, /nothing was written/, /--if-exists truncate/);
  await assertPgUntouched(db, ['tags']);
  assert.equal(await pgCount(db.url, 'tags'), 2);
  const rows = await withPg(db.url, async (c) => (await c.query<{ name: string }>('SELECT name FROM tags ORDER BY id')).rows.map((x) => x.name));
  assert.deepEqual(rows, ['existing', 'rows'], 'the existing rows are untouched');
  const j = await ferry(dir, 'copy', 'src.db', db.url, '--if-exists', 'sometimes');
  assertFails(j, 2, /--if-exists must be fail, truncate or append/);
  await assertPgUntouched(db, ['tags']);
});

test('--data-only into a database without the tables names the missing tables', async (t) => {
  const db = await freshPostgresDatabase(t);
  if (!db) return;
  const dir = tempDir('copy-bad');
  source(dir);
  const r = await ferry(dir, 'copy', 'src.db', db.url, '--data-only');
  assertFails(r, 1, /--data-only/, /missing: notes, tags|missing: tags, notes/);
  await assertPgUntouched(db);
});

test('config type overrides: a type that cannot hold the values, and an unknown type name', async (t) => {
  const db = await freshPostgresDatabase(t);
  if (!db) return;
  const dir = tempDir('copy-bad');
  const sdb = new Database(path.join(dir, 'src.db'));
  sdb.exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, c TEXT); INSERT INTO t VALUES (1, 'one'), (2, 'two');`);
  sdb.close();
  fs.writeFileSync(path.join(dir, 'ferry.config.json'), JSON.stringify({ copy: { tables: { t: { columns: { c: { type: 'int64' } } } } } }, null, 2));
  const r = await ferry(dir, 'copy', 'src.db', db.url);
  assertFails(r, 1, /t\.c/, /int64/, /2 text/);
  const j = await ferry(dir, 'copy', 'src.db', db.url, '--json');
  assert.equal(j.status, 1);
  assert.equal((JSON.parse(j.stdout) as { error: { code: string } }).error.code, 'TYPE_OVERRIDE');

  fs.writeFileSync(path.join(dir, 'ferry.config.json'), JSON.stringify({ copy: { tables: { t: { columns: { c: { type: 'int65' } } } } } }, null, 2));
  const u = await ferry(dir, 'copy', 'src.db', db.url, '--json');
  assert.equal(u.status, 1, u.stdout);
  const err = (JSON.parse(u.stdout) as { error: { code: string; message: string; hint: string } }).error;
  assert.equal(err.code, 'TYPE_OVERRIDE');
  assert.match(err.message, /unknown type override "int65"/);
  assert.match(err.hint, /int64/, 'the hint lists the valid names');

  // An override naming a column the table does not have.
  fs.writeFileSync(path.join(dir, 'ferry.config.json'), JSON.stringify({ copy: { tables: { t: { columns: { nope: { type: 'text' } } } } } }, null, 2));
  const m = await ferry(dir, 'copy', 'src.db', db.url);
  assertFails(m, 1, /"nope"/);
  await assertPgUntouched(db);
});

test('--schema-only with --data-only, and bad numbers, are usage errors (exit 2)', async (t) => {
  const db = await freshPostgresDatabase(t);
  if (!db) return;
  const dir = tempDir('copy-bad');
  source(dir);
  assertFails(await ferry(dir, 'copy', 'src.db', db.url, '--schema-only', '--data-only'), 2, /--schema-only/, /--data-only/);
  assertFails(await ferry(dir, 'copy', 'src.db', db.url, '--batch-size', 'lots'), 2, /--batch-size/);
  assertFails(await ferry(dir, 'copy', 'src.db', db.url, '--batch-size', '0'), 2, /--batch-size/);
  assertFails(await ferry(dir, 'copy', 'src.db', db.url, '--parallel', '-1'), 2, /--parallel/);
  assertFails(await ferry(dir, 'copy', 'src.db', db.url, '--max-rejects', '1.5'), 2, /--max-rejects/);
  const unknown = await ferry(dir, 'copy', 'src.db', db.url, '--no-such-flag');
  assert.equal(unknown.status, 2, unknown.stderr);
  await assertPgUntouched(db);
});

test('ferry verify: missing file and bad URL fail clearly; a changed row exits 4 and --detailed shows it', async (t) => {
  const db = await freshPostgresDatabase(t);
  if (!db) return;
  const dir = tempDir('copy-bad');
  source(dir);
  assertFails(await ferry(dir, 'verify', 'missing.db', db.url), 1, /missing\.db/, /does not exist/);
  assert.equal(fs.existsSync(path.join(dir, 'missing.db')), false);
  assertFails(await ferry(dir, 'verify', 'src.db', 'postgres://:::'), 1, /not a valid URL/);
  assertFails(await ferry(dir, 'verify', 'src.db', db.url, '--tables', 'note'), 1, /"note"/);

  const copy = await ferry(dir, 'copy', 'src.db', db.url);
  assert.equal(copy.status, 0, copy.stderr);
  assert.equal((await ferry(dir, 'verify', 'src.db', db.url)).status, 0);
  await withPg(db.url, (c) => c.query(`UPDATE notes SET body = 'changed' WHERE id = 1234`));
  const v = await ferry(dir, 'verify', 'src.db', db.url, '--detailed');
  assert.equal(v.status, 4, `${v.stdout}${v.stderr}`);
  assert.match(v.stdout, /notes: SQLite=2000, PostgreSQL=2000, checksums [0-9a-f]+ ≠ [0-9a-f]+ ✗/);
  assert.match(v.stdout, /different key "?1234"? in body/);
  assert.match(v.stdout, /"body":"changed"/);
  assert.match(v.stdout, /tags: .* ✓/);
  assert.match(v.stdout, /1 of 2 table\(s\) differ/);
  const vj = await ferry(dir, 'verify', 'src.db', db.url, '--detailed', '3', '--json');
  assert.equal(vj.status, 4);
  const report = JSON.parse(vj.stdout) as {
    ok: boolean;
    tables: { table: string; ok: boolean; differences?: { kind: string; key: unknown; columns?: string[] }[] }[];
  };
  assert.equal(report.ok, false);
  const notes = report.tables.find((x) => x.table === 'notes')!;
  assert.deepEqual(
    notes.differences?.map((d) => [d.kind, String(d.key), d.columns]),
    [['different', '1234', ['body']]],
  );
  // A deleted row and an extra row show up as missing/extra.
  await withPg(db.url, (c) => c.query(`DELETE FROM tags WHERE id = 7; INSERT INTO tags VALUES (999, 'extra')`));
  const v2 = await ferry(dir, 'verify', 'src.db', db.url, '--detailed', '--tables', 'tags');
  assert.equal(v2.status, 4);
  assert.match(v2.stdout, /missing-in-target key "?7"?/);
  assert.match(v2.stdout, /extra-in-target key "?999"?/);
});
