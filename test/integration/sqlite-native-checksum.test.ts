import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { checksumCall } from '../../src/engines/sqlite/sqlite-checksum.js';
import { loadNativeExtension, nativeExtensionFile } from '../../src/engines/sqlite/sqlite-native.js';
import { ChecksumAccumulator } from '../../src/values/checksum.js';
import { tempDir } from '../support/sqlite-fixtures.js';

const compilerPresent = spawnSync(process.env.CC || 'cc', ['--version']).status === 0;

test('the native checksum is built wherever a C compiler is present', () => {
  // Without a compiler ferry falls back to the JavaScript checksum (same digests); with one,
  // `npm run build` must have produced the extension.
  if (compilerPresent) assert.ok(nativeExtensionFile(), 'npm run build should have compiled src/engines/sqlite/native/ferry-sqlite.c');
  else assert.equal(nativeExtensionFile(), null);
});

test('native and JavaScript checksums give identical digests on awkward values', () => {
  const db = new Database(path.join(tempDir('native'), 'n.db'));
  db.defaultSafeIntegers(true);
  db.exec(`CREATE TABLE t (a, b, c)`);
  const ins = db.prepare(`INSERT INTO t VALUES (?, ?, ?)`);
  const values: unknown[] = [
    null,
    0n,
    -1n,
    -9223372036854775808n,
    9223372036854775807n,
    0.1,
    -2.5e-300,
    1.7976931348623157e308,
    5e-324,
    601002.052186677,
    '',
    'a',
    'ab',
    'abc',
    'naïve café',
    '😀',
    'x😀y',
    'tab\there\nnew "q" \'s\' \\',
    '\u0000inside\u0000',
    'ÿ'.repeat(1001),
    Buffer.alloc(0),
    Buffer.from([0]),
    Buffer.from([0, 255, 16, 1]),
    Buffer.alloc(777, 0xab),
  ];
  for (let i = 0; i < values.length; i++) ins.run(values[i], values[(i * 7) % values.length], values[(i * 13 + 5) % values.length]);
  const sum = (call: string, where = '') => ChecksumAccumulator.fromDigest(db.prepare(`SELECT ${call} FROM t${where}`).pluck().get() as string);
  const js = sum(checksumCall(db, ['a', 'b', 'c'], { allowNative: false }));
  // The plain-value path (used for PostgreSQL rows and transforms) agrees with the SQL path.
  const plain = new ChecksumAccumulator();
  for (const r of db.prepare('SELECT a, b, c FROM t').raw(true).all() as never[][]) plain.addRow(r);
  assert.equal(js.digest(), plain.digest());
  if (loadNativeExtension(db)) {
    assert.equal(sum(checksumCall(db, ['a', 'b', 'c'])).digest(), js.digest());
    assert.equal(sum(checksumCall(db, ['a']), ' WHERE 0').digest(), new ChecksumAccumulator().digest(), 'empty input');
  } else {
    assert.equal(compilerPresent, false, 'the native checksum failed to load although it could be built');
  }
  db.close();
});

test('native timestamp normalisation and profile agree with the JavaScript normalisers and the SQL profile', async () => {
  const { normalizerFor } = await import('../../src/values/convert-value.js');
  const { digestSqliteTable } = await import('../../src/engines/sqlite/sqlite-digest.js');
  const db = new Database(path.join(tempDir('native-ts'), 'n.db'));
  db.defaultSafeIntegers(true);
  db.exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, local TEXT, zoned TEXT)`);
  const local = [
    '2024-01-02 03:04',
    '2024-01-02T03:04:05',
    '1999-12-31 23:59:59.5',
    '2000-02-29 00:00:00.123456',
    '0001-01-01 00:00:00',
    '1969-12-31 23:59:59.999999',
    '9999-12-31 23:59:59',
    null,
  ];
  const zoned = [
    '2024-01-02T03:04:05Z',
    '2024-01-02 03:04:05+01:00',
    '2024-01-02 03:04:05.25-0530',
    '2024-01-02 03:04:05+00',
    '1970-01-01T00:00:00Z',
    '1960-06-15 12:00:00.000001-11:00',
    '2400-02-29 10:00+14',
    null,
  ];
  const ins = db.prepare('INSERT INTO t (local, zoned) VALUES (?, ?)');
  for (let i = 0; i < local.length; i++) ins.run(local[i], zoned[i]);
  const nl = normalizerFor('timestamp');
  const nz = normalizerFor('timestamptz');
  const expected = new ChecksumAccumulator();
  for (const r of db.prepare('SELECT id, local, zoned FROM t').raw(true).all() as [bigint, string | null, string | null][])
    expected.addRow([r[0], nl(r[1]), nz(r[2])]);
  const task = { table: 't', columns: ['id', 'local', 'zoned'], logicals: ['int64', 'timestamp', 'timestamptz'] as const };
  assert.equal(digestSqliteTable(db, { ...task, logicals: [...task.logicals] }).digest(), expected.digest());
  if (loadNativeExtension(db)) {
    // The native path was taken (no fallback): its own result must be the one above.
    const [r] = db.prepare(`SELECT ferry_checksum_modes('xTZ', id, local, zoned) FROM t`).raw(true).get() as [string];
    assert.equal(r, `${expected.digest()} 0`);
    // An unparseable value is counted, so the caller falls back to JavaScript.
    db.prepare('INSERT INTO t (local, zoned) VALUES (?, ?)').run('2024-02-30 00:00', 'yesterday');
    const [bad] = db.prepare(`SELECT ferry_checksum_modes('xTZ', id, local, zoned) FROM t`).raw(true).get() as [string];
    assert.match(bad, / 2$/);
    const withBad = new ChecksumAccumulator();
    for (const r of db.prepare('SELECT id, local, zoned FROM t').raw(true).all() as [bigint, string | null, string | null][])
      withBad.addRow([r[0], nl(r[1]), nz(r[2])]);
    assert.equal(digestSqliteTable(db, { ...task, logicals: [...task.logicals] }).digest(), withBad.digest());
    // ferry_profile counts the same shapes the SQL profile does.
    const [p] = db.prepare(`SELECT ferry_profile(local, 1) || ' | ' || ferry_profile(zoned, 1) FROM t`).raw(true).get() as [string];
    const [l, z] = p.split(' | ').map((x) => x.split(' ').map(Number)) as [number[], number[]];
    assert.deepEqual([l[3], l[9], l[10], l[11]], [8, 0, 7, 0], 'local: 8 texts, 7 zone-less date-times (2024-02-30 is no date)');
    assert.deepEqual([z[3], z[9], z[10], z[11]], [8, 0, 0, 7], 'zoned: 8 texts, 7 zoned date-times');
  }
  db.close();
});
