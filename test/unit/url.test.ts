import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { parseUrl as parseAnyUrl } from '../../src/engines/registry.js';
import type { ConnectionTarget } from '../../src/engine/types.js';
import type { PostgresTarget } from '../../src/engines/postgres/postgres-url.js';
import type { SqliteTarget } from '../../src/engines/sqlite/sqlite-url.js';

/** A parsed target with every engine's fields readable (the tests check them by engine). */
type AnyTarget = ConnectionTarget & Partial<Omit<PostgresTarget, 'dialect' | 'url'>> & Partial<Omit<SqliteTarget, 'dialect' | 'url'>>;
const parseUrl = (input: string): AnyTarget => parseAnyUrl(input);
import { maskPassword } from '../../src/engine/secrets.js';
import { FerryError } from '../../src/errors.js';

test('SQLite URLs and bare paths', () => {
  assert.deepEqual(parseUrl('sqlite::memory:'), { dialect: 'sqlite', url: 'sqlite::memory:', file: ':memory:', memory: true, displayUrl: 'sqlite::memory:' });
  assert.equal((parseUrl('sqlite:data/app.db') as { file: string }).file, path.resolve('data/app.db'));
  assert.equal((parseUrl('sqlite:///var/app.db') as { file: string }).file, '/var/app.db');
  assert.equal(parseUrl('legacy/app.sqlite').dialect, 'sqlite');
  assert.equal(parseUrl('./x.DB').dialect, 'sqlite');
});

test('PostgreSQL URLs keep their parts and never show the password', () => {
  const t = parseUrl('postgres://app:s3cr%40t@db.local:6543/My%20DB');
  assert.equal(t.dialect, 'postgres');
  if (t.dialect !== 'postgres') return;
  assert.equal(t.database, 'My DB');
  assert.equal(t.port, 6543);
  assert.equal(t.user, 'app');
  assert.equal(t.displayUrl, 'postgres://app:***@db.local:6543/My%20DB');
  assert.equal(parseUrl('postgresql://h/db').dialect, 'postgres');
});

test('bad URLs are one clear BAD_URL error without the password', () => {
  for (const bad of ['', 'mysql://root:pw@h/db', 'notes.txt', 'sqlite:']) {
    assert.throws(
      () => parseUrl(bad),
      (e: unknown) => e instanceof FerryError && e.code === 'BAD_URL' && !e.message.includes(':pw@'),
    );
  }
  assert.equal(maskPassword('failed for postgres://u:hunter2@h/db and mysql://a:b@c'), 'failed for postgres://u:***@h/db and mysql://a:***@c');
});
