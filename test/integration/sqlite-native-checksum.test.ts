import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { checksumOnConnection, loadNativeChecksum, nativeChecksumFile } from '../../src/engines/sqlite/sqlite-checksum.js';
import { ChecksumAccumulator } from '../../src/transfer/checksum.js';
import { tempDir } from '../support/sqlite-fixtures.js';

const compilerPresent = spawnSync(process.env.CC || 'cc', ['--version']).status === 0;

test('the native checksum is built wherever a C compiler is present', () => {
  // Without a compiler ferry falls back to the JavaScript checksum (same digests); with one,
  // `npm run build` must have produced the extension.
  if (compilerPresent) assert.ok(nativeChecksumFile(), 'npm run build should have compiled src/engines/sqlite/native/ferry-checksum.c');
  else assert.equal(nativeChecksumFile(), null);
});

test('native and JavaScript checksums give identical digests on awkward values', () => {
  const db = new Database(path.join(tempDir('native'), 'n.db'));
  db.defaultSafeIntegers(true);
  db.exec(`CREATE TABLE t (a, b, c)`);
  const ins = db.prepare(`INSERT INTO t VALUES (?, ?, ?)`);
  const values: unknown[] = [
    null, 0n, -1n, -9223372036854775808n, 9223372036854775807n, 0.1, -2.5e-300, 1.7976931348623157e308, 5e-324, 601002.052186677,
    '', 'a', 'ab', 'abc', 'naïve café', '😀', 'x😀y', 'tab\there\nnew "q" \'s\' \\', '\u0000inside\u0000', 'ÿ'.repeat(1001),
    Buffer.alloc(0), Buffer.from([0]), Buffer.from([0, 255, 16, 1]), Buffer.alloc(777, 0xab),
  ];
  for (let i = 0; i < values.length; i++) ins.run(values[i], values[(i * 7) % values.length], values[(i * 13 + 5) % values.length]);
  const q = { exprs: ['a', 'b', 'c'], from: 't' };
  const js = checksumOnConnection(db, q, { allowNative: false });
  // The plain-value path (used for PostgreSQL rows and transforms) agrees with the SQL path.
  const plain = new ChecksumAccumulator();
  for (const r of db.prepare('SELECT a, b, c FROM t').raw(true).all() as never[][]) plain.addRow(r);
  assert.equal(js.digest(), plain.digest());
  if (loadNativeChecksum(db)) {
    assert.equal(checksumOnConnection(db, q).digest(), js.digest());
    assert.equal(checksumOnConnection(db, { exprs: ['a'], from: 't', where: '0' }).digest(), new ChecksumAccumulator().digest(), 'empty input');
  } else {
    assert.equal(compilerPresent, false, 'the native checksum failed to load although it could be built');
  }
  db.close();
});
