import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { connect } from '../../src/engines/registry.js';
import { ferry } from '../support/cli.js';
import { freshPostgresDatabase } from '../support/postgres.js';
import { tempDir, emptySqliteFile } from '../support/sqlite-fixtures.js';
import { sqlRevision } from '../support/revision-fixtures.js';

async function exec(url: string, sql: string): Promise<void> {
  const e = await connect(url);
  try {
    await e.exec(sql);
  } finally {
    await e.close();
  }
}

test('ferry check: changed files, line endings, schema drift, skipped revisions and --roundtrip, on both engines', { timeout: 120_000 }, async (t) => {
  const dbs: { name: string; url: string }[] = [{ name: 'sqlite', url: emptySqliteFile(path.join(tempDir('rev-check-db'), 'app.db')) }];
  const pg = await freshPostgresDatabase(t);
  if (pg) dbs.push({ name: 'postgres', url: pg.url });
  for (const db of dbs) {
    const dir = tempDir(`rev-check-${db.name}`);
    const mig = path.join(dir, 'migrations');
    fs.mkdirSync(mig);
    const a = sqlRevision(mig, 'a50000000001', [], 'users', 'CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);', 'DROP TABLE users;');
    sqlRevision(mig, 'b50000000002', ['a50000000001'], 'index names', 'CREATE INDEX users_name ON users (name);', 'DROP INDEX users_name;');
    const f = (...args: string[]) => ferry(dir, ...args, '--url', db.url);
    assert.equal((await f('upgrade', '--no-backup')).status, 0);

    const ok = await f('check');
    assert.equal(ok.status, 0, `${ok.stdout}${ok.stderr}`);
    assert.match(ok.stdout, /OK/);

    // Line endings and trailing whitespace do not count; a real edit does.
    const text = fs.readFileSync(a, 'utf8');
    fs.writeFileSync(a, text.replace(/\n/g, '  \r\n'));
    assert.equal((await f('check')).status, 0, 'CRLF and trailing spaces are the same file');
    fs.writeFileSync(a, text.replace('name TEXT NOT NULL', 'name TEXT'));
    const changed = await f('check', '--json');
    assert.equal(changed.status, 4);
    const problems = (JSON.parse(changed.stdout) as { problems: { kind: string; revision?: string }[] }).problems;
    assert.ok(
      problems.some((p) => p.kind === 'changed' && p.revision === 'a50000000001'),
      changed.stdout,
    );
    // The edited file also no longer makes the live schema (NOT NULL differs).
    assert.ok(
      problems.some((p) => p.kind === 'schema'),
      changed.stdout,
    );
    fs.writeFileSync(a, text);

    // Drift: a column added by hand.
    await exec(db.url, 'ALTER TABLE users ADD COLUMN nickname TEXT');
    const drift = await f('check');
    assert.equal(drift.status, 4);
    assert.match(drift.stdout, /nickname/);
    assert.match(drift.stdout, /not made by any revision/);
    await exec(db.url, 'ALTER TABLE users DROP COLUMN nickname');
    assert.equal((await f('check')).status, 0);

    // A down that does not undo its up: --roundtrip names the revision.
    sqlRevision(
      mig,
      'c50000000003',
      ['b50000000002'],
      'add email',
      'ALTER TABLE users ADD COLUMN email TEXT;\nCREATE INDEX users_email ON users (email);',
      'DROP INDEX users_email;',
    );
    const rt = await f('check', '--roundtrip');
    assert.equal(rt.status, 4, rt.stdout);
    assert.match(rt.stdout, /c50000000003_add_email\.sql/);
    assert.match(rt.stdout, /email/);
    assert.doesNotMatch(rt.stdout, /a50000000001_users|b50000000002_index/, 'the good revisions pass');
    assert.match(rt.stdout, /1 revision\(s\) not applied yet/);

    // A revision counted as applied that never ran (the version table moved past it by hand).
    sqlRevision(mig, 'd50000000004', ['c50000000003'], 'more', 'SELECT 1;', 'SELECT 1;');
    await exec(db.url, "DELETE FROM ferry_version; INSERT INTO ferry_version (revision) VALUES ('d50000000004')");
    const behind = await f('check', '--json');
    assert.equal(behind.status, 4);
    const kinds = (JSON.parse(behind.stdout) as { problems: { kind: string; revision?: string }[] }).problems
      .filter((p) => p.kind === 'never-applied')
      .map((p) => p.revision)
      .sort();
    assert.deepEqual(kinds, ['c50000000003', 'd50000000004']);
  }
});
