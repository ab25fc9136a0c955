/**
 * Issue 11's acceptance test: a third engine registered with the core and no optional roles
 * (FakeDB, test/support/fake-engine.ts, loaded through FERRY_ENGINES as any outside engine is)
 * makes every command that needs a role it lacks fail with one NOT_SUPPORTED error naming the
 * engine: exit 1, no stack trace, and nothing written anywhere (the SQLite file keeps its bytes,
 * no target file, backup set, revision file or PostgreSQL table appears). A FERRY_ENGINES module
 * that cannot be loaded, or exports no driver, is a usage error (exit 2).
 *
 * `ferry consolidate` is not here: its sources are the files of a folder, so it cannot be given a
 * FakeDB database at all.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { ferryWithEnv, sha256, type CliResult } from '../support/cli.js';
import { pgTables } from '../support/copy-fixtures.js';
import fakeDriver from '../support/fake-engine.js';
import { freshPostgresDatabase } from '../support/postgres.js';
import { sqlRevision } from '../support/revision-fixtures.js';
import { tempDir } from '../support/sqlite-fixtures.js';

/** The compiled fake engine, as FERRY_ENGINES names it. */
const FAKE_ENGINE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'support', 'fake-engine.js');

/** A folder with a SQLite database, one revision and a declared schema; nothing in it may change. */
interface Fixture {
  dir: string;
  app: string;
  /** Every file under `dir` with its SHA-256, as it was before any command ran. */
  before: Record<string, string>;
}

function fixture(): Fixture {
  const dir = tempDir('fake-engine');
  const app = path.join(dir, 'app.db');
  const db = new Database(app);
  db.exec(`CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes VALUES (1, 'first note'), (2, 'second note'), (3, NULL);`);
  db.close();
  fs.mkdirSync(path.join(dir, 'migrations'));
  sqlRevision(path.join(dir, 'migrations'), 'a1', [], 'add tags', 'CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT);', 'DROP TABLE tags;');
  fs.writeFileSync(path.join(dir, 'schema.sql'), 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, pinned INTEGER);\n');
  return { dir, app, before: filesUnder(dir) };
}

/** Every file under `dir` (relative path -> SHA-256), so a new or changed file shows up. */
function filesUnder(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()) {
    const file = path.join(dir, name);
    if (fs.statSync(file).isFile()) out[name] = sha256(file);
  }
  return out;
}

function show(r: CliResult): string {
  return `exit ${r.status}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
}

function runWithFake(dir: string, ...args: string[]): Promise<CliResult> {
  return ferryWithEnv(dir, { FERRY_ENGINES: FAKE_ENGINE }, ...args, '--json');
}

/** The --json error of a failed run, checked to be one document with no stack trace. */
function jsonError(r: CliResult, status: number): { code: string; message: string; hint?: string; data?: Record<string, unknown> } {
  assert.equal(r.status, status, show(r));
  assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at .+:\d+:\d+/, `no stack trace: ${show(r)}`);
  const start = r.stdout.indexOf('{');
  assert.ok(start >= 0, `a JSON document on stdout: ${show(r)}`);
  const doc = JSON.parse(r.stdout.slice(start)) as { ok: boolean; error: { code: string; message: string; hint?: string; data?: Record<string, unknown> } };
  assert.equal(doc.ok, false, show(r));
  return doc.error;
}

/** Exit 1, NOT_SUPPORTED, naming FakeDB and the role it lacks; and no file in the folder changed. */
function assertNotSupported(f: Fixture, r: CliResult, what: string): void {
  const error = jsonError(r, 1);
  assert.equal(error.code, 'NOT_SUPPORTED', `${what}: ${show(r)}`);
  assert.match(error.message, /FakeDB/, `${what} names the engine: ${error.message}`);
  assert.equal(error.data?.engine, 'fake', `${what}: ${show(r)}`);
  assert.equal(typeof error.data?.role, 'string', `${what} names the role: ${show(r)}`);
  assert.match(error.message, new RegExp(`no ${String(error.data?.role)} role`), `${what}: ${error.message}`);
  assert.deepEqual(filesUnder(f.dir), f.before, `${what} created or changed no file`);
}

test('FakeDB is a real engine: it reads, writes, counts, introspects and rolls back', async () => {
  const engine = await fakeDriver.open(fakeDriver.parseUrl('fake:engine-self-test'), {});
  try {
    await engine.exec('CREATE TABLE "pairs" (k INTEGER PRIMARY KEY, v TEXT NOT NULL)');
    assert.equal(await engine.writeRows('pairs', ['v', 'k'], [[['b', 2n]], [['a', 1n]]]), 2);
    const rows: unknown[] = [];
    for await (const batch of engine.streamRows('pairs', { orderBy: ['k'], batchSize: 1 })) rows.push(...batch);
    assert.deepEqual(rows, [
      [1n, 'a'],
      [2n, 'b'],
    ]);
    await assert.rejects(
      engine.transaction(async () => {
        await engine.exec('DELETE FROM pairs');
        throw new Error('undo');
      }),
      /undo/,
    );
    assert.equal(await engine.countRows('pairs'), 2, 'the failed transaction rolled back');
    assert.deepEqual(await engine.query('SELECT count(*) AS n FROM pairs'), [{ n: 2n }]);
    const [pairs] = (await engine.introspect()).tables;
    assert.deepEqual(
      pairs?.columns.map((c) => [c.name, c.type, c.nullable]),
      [
        ['k', 'INTEGER', false],
        ['v', 'TEXT', false],
      ],
    );
    assert.deepEqual(pairs?.primaryKey, { columns: ['k'] });
    const demo = await fakeDriver.open(fakeDriver.parseUrl('fake:demo'), {});
    assert.equal(await demo.countRows('notes'), 3, 'fake:demo starts with three notes');
    await demo.close();
  } finally {
    await engine.close();
  }
  assert.deepEqual(fakeDriver.roles, {}, 'FakeDB has no optional role');
});

test('ferry copy to and from FakeDB is NOT_SUPPORTED; no file is written', async () => {
  const f = fixture();
  assertNotSupported(f, await runWithFake(f.dir, 'copy', 'app.db', 'fake:demo'), 'copy SQLite -> FakeDB');
  assertNotSupported(f, await runWithFake(f.dir, 'copy', 'fake:demo', 'out.db'), 'copy FakeDB -> SQLite');
  assert.equal(fs.existsSync(path.join(f.dir, 'out.db')), false, 'no SQLite target created');
});

test('ferry copy from FakeDB into PostgreSQL is NOT_SUPPORTED; no table is created', async (t) => {
  const pg = await freshPostgresDatabase(t);
  if (!pg) return;
  const f = fixture();
  assertNotSupported(f, await runWithFake(f.dir, 'copy', 'fake:demo', pg.url), 'copy FakeDB -> PostgreSQL');
  assert.deepEqual(await pgTables(pg.url), [], 'nothing was created in PostgreSQL');
});

// Passes once verify asks the engines for a digester role (requireRole) instead of treating every
// engine that is not PostgreSQL as SQLite, as src/transfer/verify-copy.ts still does.
test('ferry verify between FakeDB and SQLite is NOT_SUPPORTED', async () => {
  const f = fixture();
  assertNotSupported(f, await runWithFake(f.dir, 'verify', 'fake:demo', 'app.db'), 'verify FakeDB vs SQLite');
  assertNotSupported(f, await runWithFake(f.dir, 'verify', 'app.db', 'fake:demo'), 'verify SQLite vs FakeDB');
});

test('the revision commands on a FakeDB database are NOT_SUPPORTED; no revision file is written', async () => {
  const f = fixture();
  const on = ['--url', 'fake:demo', '--dir', 'migrations'];
  const commands: [string, string[]][] = [
    ['upgrade', ['upgrade', ...on]],
    ['upgrade --sql', ['upgrade', '--sql', ...on]],
    ['upgrade --dry-run', ['upgrade', '--dry-run', ...on]],
    ['downgrade', ['downgrade', 'base', ...on]],
    ['stamp', ['stamp', 'heads', ...on]],
    ['current', ['current', ...on]],
    ['history --applied', ['history', '--applied', ...on]],
    ['history --indicate-current', ['history', '--indicate-current', ...on]],
    ['check', ['check', ...on]],
    ['check --roundtrip', ['check', '--roundtrip', ...on]],
    ['revision --autogenerate', ['revision', '--autogenerate', '-m', 'pin notes', '--schema', 'schema.sql', ...on]],
  ];
  for (const [what, args] of commands) assertNotSupported(f, await runWithFake(f.dir, ...args), what);
});

test('ferry backup of a FakeDB database is NOT_SUPPORTED; no backup set is made', async () => {
  const f = fixture();
  assertNotSupported(f, await runWithFake(f.dir, 'backup', 'fake:demo', '--dir', 'bk'), 'backup');
  assert.equal(fs.existsSync(path.join(f.dir, 'bk')), false, 'no backup folder');
});

test('a FERRY_ENGINES module that is missing or exports no driver is a usage error (exit 2)', async () => {
  const f = fixture();
  const notADriver = path.join(f.dir, 'not-a-driver.mjs');
  fs.writeFileSync(notADriver, 'export default { name: "nothing" };\n');
  const cases: [string, string][] = [
    ['a missing module', path.join(f.dir, 'no-such-engine.js')],
    ['a module without a driver', notADriver],
  ];
  for (const [what, module] of cases) {
    const r = await ferryWithEnv(f.dir, { FERRY_ENGINES: module }, 'current', '--url', 'app.db', '--dir', 'migrations', '--json');
    const error = jsonError(r, 2);
    assert.equal(error.code, 'USAGE', `${what}: ${show(r)}`);
    assert.ok(error.message.includes(module), `${what}: the message names the module: ${error.message}`);
    assert.match(error.message, /FERRY_ENGINES/, what);
  }
  assert.equal(sha256(f.app), f.before['app.db'], 'the SQLite file is unchanged');
});
