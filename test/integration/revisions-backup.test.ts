import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { BackupManifest } from '../../src/backup/manifest.js';
import { connect } from '../../src/engines/registry.js';
import { ferry } from '../support/cli.js';
import { freshPostgresDatabase } from '../support/postgres.js';
import { tempDir, emptySqliteFile } from '../support/sqlite-fixtures.js';
import { sqlRevision } from '../support/revision-fixtures.js';

/** Backups around upgrade/downgrade: SQLite files get a backup set first, PostgreSQL none. */

/** Backup set folders under `dir` (hidden .partial folders are not sets). */
function sets(dir: string): string[] {
  return fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((n) => !n.startsWith('.'))
        .sort()
    : [];
}

function dump(file: string, sql: string): unknown[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(sql).all();
  } finally {
    db.close();
  }
}

function project(label: string): { dir: string; mig: string } {
  const dir = tempDir(label);
  const mig = path.join(dir, 'migrations');
  fs.mkdirSync(mig);
  sqlRevision(
    mig,
    'a60000000001',
    [],
    'notes',
    "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, secret TEXT);\nINSERT INTO notes VALUES (1, 'one', 's1'), (2, 'two', 's2');",
    'DROP TABLE notes;',
  );
  // A destructive revision: exactly what a backup is for.
  sqlRevision(
    mig,
    'b60000000002',
    ['a60000000001'],
    'drop secrets',
    'DELETE FROM notes WHERE id = 2;\nALTER TABLE notes DROP COLUMN secret;',
    'ALTER TABLE notes ADD COLUMN secret TEXT;',
  );
  return { dir, mig };
}

test('SQLite: upgrade writes a backup set first, restore brings the pre-upgrade file back, --no-backup writes none', { timeout: 60_000 }, async () => {
  const { dir } = project('rev-backup-sqlite');
  const db = emptySqliteFile(path.join(dir, 'app.db'));
  const backupDir = path.join(dir, 'backup');

  const first = await ferry(dir, 'upgrade', 'a6', '--url', db, '--no-backup');
  assert.equal(first.status, 0, first.stderr);
  assert.deepEqual(sets(backupDir), [], '--no-backup writes no set');
  assert.doesNotMatch(first.stderr, /backed up/);
  const before = dump(db, 'SELECT * FROM notes ORDER BY id');
  assert.equal(before.length, 2);

  const up = await ferry(dir, 'upgrade', '--url', db);
  assert.equal(up.status, 0, up.stderr);
  const made = sets(backupDir);
  assert.equal(made.length, 1, `one backup set: ${made.join(', ')}`);
  assert.match(made[0]!, /^\d{8}_\d{6}(_\d+)?$/, 'named YYYYMMDD_HHMMSS');
  const setDir = path.join(backupDir, made[0]!);
  assert.match(up.stderr, new RegExp(`backed up to .*${made[0]}`));
  assert.ok(up.stderr.indexOf('backed up') < up.stderr.indexOf('upgraded b60000000002'), 'the backup comes before the revision runs');
  const manifest = JSON.parse(fs.readFileSync(path.join(setDir, 'manifest.json'), 'utf8')) as BackupManifest;
  assert.equal(manifest.files.length, 1);
  assert.equal(manifest.files[0]!.source, db);
  assert.match(manifest.reason, /upgrade/);
  assert.equal(manifest.files[0]!.tables.notes, 2, 'the set holds the pre-upgrade rows');
  // The copy is the database as it was before the upgrade.
  assert.deepEqual(dump(path.join(setDir, manifest.files[0]!.name), 'SELECT * FROM notes ORDER BY id'), before);
  assert.deepEqual(dump(path.join(setDir, manifest.files[0]!.name), 'SELECT revision FROM ferry_version'), [{ revision: 'a60000000001' }]);
  assert.deepEqual(dump(db, 'SELECT * FROM notes ORDER BY id'), [{ id: 1, body: 'one' }], 'the upgrade ran');

  // Restore the latest set (the pre-upgrade file).
  const restore = await ferry(dir, 'restore', '--json');
  assert.equal(restore.status, 0, `${restore.stdout}${restore.stderr}`);
  assert.deepEqual(dump(db, 'SELECT * FROM notes ORDER BY id'), before, 'the pre-upgrade rows are back');
  const cur = await ferry(dir, 'current', '--url', db, '--json');
  assert.deepEqual(
    (JSON.parse(cur.stdout) as { heads: { id: string }[] }).heads.map((h) => h.id),
    ['a60000000001'],
    'and the pre-upgrade revision',
  );

  // The restore kept what it replaced as a set of its own (so it can be undone).
  assert.equal(sets(backupDir).length, 2, "the upgrade's set and the restore's before-restore set");
  // --no-backup on a real change writes no new set; a downgrade (without it) writes one.
  const again = await ferry(dir, 'upgrade', '--url', db, '--no-backup');
  assert.equal(again.status, 0, again.stderr);
  assert.equal(sets(backupDir).length, 2, '--no-backup: no new set');
  const down = await ferry(dir, 'downgrade', '-1', '--url', db);
  assert.equal(down.status, 0, down.stderr);
  assert.equal(sets(backupDir).length, 3, 'downgrade backs up first too');
  // Nothing to do: nothing to back up.
  const noop = await ferry(dir, 'downgrade', 'a6', '--url', db);
  assert.equal(noop.status, 0, noop.stderr);
  assert.equal(sets(backupDir).length, 3, 'an empty plan writes no set');
});

test('PostgreSQL: upgrade without --no-backup takes no backup and does not fail', { timeout: 60_000 }, async (t) => {
  const pg = await freshPostgresDatabase(t);
  if (!pg) return;
  const { dir } = project('rev-backup-pg');
  const up = await ferry(dir, 'upgrade', '--url', pg.url);
  assert.equal(up.status, 0, up.stderr);
  assert.doesNotMatch(up.stderr, /backed up/);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['migrations'], 'no backup folder, no lock file');
  const down = await ferry(dir, 'downgrade', 'base', '--url', pg.url);
  assert.equal(down.status, 0, down.stderr);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['migrations']);
  const e = await connect(pg.url);
  try {
    assert.deepEqual(
      (await e.introspect()).tables.map((x) => x.name).filter((n) => !n.startsWith('ferry_')),
      [],
    );
  } finally {
    await e.close();
  }
});
