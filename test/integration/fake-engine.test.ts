import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { connect, registerEngine, unregisterEngine } from '../../src/engines/registry.js';
import { FerryError } from '../../src/errors.js';
import { copy, verify, upgrade, current } from '../../src/index.js';
import { ferryWithEnv } from '../support/cli.js';
import { sqlRevision } from '../support/revision-fixtures.js';
import { tempDir } from '../support/sqlite-fixtures.js';
import fakeDriver from '../support/fake-engine.js';

// Issue 11: a third engine registered with the core and no optional roles. Every command that
// needs a role it lacks fails with NOT_SUPPORTED naming the engine, exit 1, one message, no crash.

const FAKE_MODULE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'support', 'fake-engine.js');

function estate(): { dir: string; db: string; other: string } {
  const dir = tempDir('fake-engine');
  const db = path.join(dir, 'app.db');
  const other = path.join(dir, 'other.db');
  for (const file of [db, other]) {
    const d = new Database(file);
    d.exec("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO items VALUES (1, 'one'), (2, 'two');");
    d.close();
  }
  fs.mkdirSync(path.join(dir, 'migrations'));
  sqlRevision(path.join(dir, 'migrations'), 'a00000000001', [], 'add notes', 'CREATE TABLE notes (id INTEGER PRIMARY KEY);', 'DROP TABLE notes;');
  return { dir, db, other };
}

test('the core works: a registered engine opens, reads and introspects through the registry', async () => {
  registerEngine(fakeDriver);
  try {
    const { db } = estate();
    const engine = await connect(`fake:${db}`);
    try {
      assert.equal(engine.dialect, 'fake');
      assert.deepEqual(
        (await engine.introspect()).tables.map((t) => t.name),
        ['items'],
      );
      assert.equal(await engine.countRows('items'), 2);
    } finally {
      await engine.close();
    }
  } finally {
    unregisterEngine('fake');
  }
});

test('library: copy, verify and the revision commands on the fake engine reject with NOT_SUPPORTED', async () => {
  registerEngine(fakeDriver);
  try {
    const { dir, db, other } = estate();
    const calls: [string, () => Promise<unknown>][] = [
      ['copy from it', () => copy({ from: `fake:${db}`, to: path.join(dir, 'copy1.db'), cwd: dir })],
      ['copy into it', () => copy({ from: db, to: `fake:${other}`, cwd: dir })],
      ['verify', () => verify({ from: `fake:${db}`, to: other, cwd: dir })],
      ['upgrade', () => upgrade({ url: `fake:${db}`, dir: path.join(dir, 'migrations'), backup: false })],
      ['current', () => current({ url: `fake:${db}`, dir: path.join(dir, 'migrations') })],
    ];
    for (const [what, call] of calls) {
      await assert.rejects(call, (e: unknown) => {
        assert.ok(e instanceof FerryError, `${what}: a FerryError, not ${String(e)}`);
        assert.equal(e.code, 'NOT_SUPPORTED', `${what}: ${e.message}`);
        assert.match(e.message, /FakeDB/, what);
        return true;
      });
    }
  } finally {
    unregisterEngine('fake');
  }
});

test('CLI: every command that needs a missing role exits 1 with NOT_SUPPORTED naming FakeDB, and writes nothing', async () => {
  const { dir, db, other } = estate();
  const before = [fs.readFileSync(db), fs.readFileSync(other)];
  const url = `fake:${db}`;
  const commands: string[][] = [
    ['copy', url, path.join(dir, 'copy1.db')],
    ['copy', db, `fake:${other}`],
    ['verify', url, other],
    ['upgrade', '--url', url, '--no-backup'],
    ['downgrade', 'base', '--url', url, '--no-backup'],
    ['stamp', 'heads', '--url', url],
    ['current', '--url', url],
    ['history', '--applied', '--url', url],
    ['check', '--url', url],
    ['revision', '--autogenerate', '-m', 'x', '--url', url],
    ['backup', url, '--dir', path.join(dir, 'backups')],
  ];
  for (const args of commands) {
    const r = await ferryWithEnv(dir, { FERRY_ENGINES: FAKE_MODULE }, ...args, '--json');
    const shown = `ferry ${args.join(' ')} -> ${r.status}\n${r.stdout}\n${r.stderr}`;
    assert.equal(r.status, 1, shown);
    const doc = JSON.parse(r.stdout) as { ok: boolean; error: { code: string; message: string } };
    assert.equal(doc.ok, false, shown);
    assert.equal(doc.error.code, 'NOT_SUPPORTED', shown);
    assert.match(doc.error.message, /FakeDB/, shown);
    assert.doesNotMatch(r.stderr, /\bat .*\.js:\d+/, `no stack trace: ${shown}`);
  }
  assert.deepEqual([fs.readFileSync(db), fs.readFileSync(other)], before, 'nothing was written');
  assert.equal(fs.existsSync(path.join(dir, 'copy1.db')), false);
  assert.equal(fs.existsSync(path.join(dir, 'backups')), false);
});

test('CLI: a FERRY_ENGINES module that cannot be loaded is one clear error', async () => {
  const dir = tempDir('fake-engine-bad');
  const r = await ferryWithEnv(dir, { FERRY_ENGINES: path.join(dir, 'missing.js') }, 'current', '--url', path.join(dir, 'x.db'), '--json');
  assert.equal(r.status, 2, `a usage error: ${r.stderr}`);
  const doc = JSON.parse(r.stdout) as { error: { code: string; message: string } };
  assert.equal(doc.error.code, 'USAGE');
  assert.match(doc.error.message, /FERRY_ENGINES/);
});
