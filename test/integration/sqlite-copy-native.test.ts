import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { BinaryCopyEncoder, type PgTypeKind } from '../../src/engines/postgres/postgres-copy-binary.js';
import { loadNativeExtension } from '../../src/engines/sqlite/sqlite-native.js';
import { NativeCopyReader } from '../../src/engines/sqlite/sqlite-copy-native.js';
import { converterFor } from '../../src/values/convert-value.js';
import type { LogicalType } from '../../src/values/column-type.js';
import { tempDir } from '../support/sqlite-fixtures.js';

// SQLite's native COPY encoder (ferry_copy_rows) and the JavaScript converters + BinaryCopyEncoder
// must write the same bytes for the same rows: a copy mixes both within one COPY stream.
const COLUMNS: [string, string, LogicalType, PgTypeKind][] = [
  ['i', 'i', 'int64', 'int8'],
  ['f', 'f', 'float64', 'float8'],
  ['o', 'o', 'boolean', 'bool'],
  ['t', 't', 'text', 'text'],
  ['j', 'j', 'json', 'json'],
  ['jb', 'J', 'jsonb', 'jsonb'],
  ['b', 'b', 'bytes', 'bytea'],
  ['ts', 'T', 'timestamp', 'timestamp'],
  ['tz', 'Z', 'timestamptz', 'timestamptz'],
  ['i4', 'I', 'int64', 'int4'],
  ['i2', 'S', 'int64', 'int2'],
  ['u', 'U', 'uuid', 'uuid'],
];

const ROWS: unknown[][] = [
  [0n, 0.1, 1n, '', '{}', '{"b":1,"a":[1.50]}', Buffer.alloc(0), '2024-01-02 03:04:05', '2024-01-02T03:04:05Z', 0n, 0n, '0b3f5e4c-5d6e-4f80-9a1b-2c3d4e5f6a7b'],
  [
    -9223372036854775808n,
    -2.5e-300,
    0n,
    'emoji 😀 tab\t nl\n back\\ \\N quote\'"',
    '[1, 2]',
    '"x"',
    Buffer.from([0, 255, 10]),
    '1999-12-31T23:59:59.999999',
    '1960-01-01 00:00:00.5+05:30',
    -2147483648n,
    -32768n,
    '0B3F5E4C5D6E4F809A1B2C3D4E5F6A7B',
  ],
  [
    9223372036854775807n,
    1.7976931348623157e308,
    1n,
    'x'.repeat(70000),
    'null',
    '123',
    Buffer.alloc(100000, 7),
    '0001-01-01 00:00',
    '2400-02-29 10:00-0800',
    2147483647n,
    32767n,
    'ffffffff-ffff-ffff-ffff-ffffffffffff',
  ],
  [null, null, null, null, null, null, null, null, null, null, null, null],
  // A date alone in a timestamp column is its midnight; a space may come before the zone.
  [
    42n,
    -Infinity,
    0n,
    'ÿ naïve',
    '1.50',
    '{"k": null}',
    Buffer.from('abc'),
    '2000-01-01',
    '2000-01-01 00:00:00.438 +00:00',
    7n,
    -7n,
    '00000000-0000-0000-0000-000000000000',
  ],
];

function jsTuples(rows: unknown[][]): Buffer {
  const converters = COLUMNS.map((c) => converterFor(c[2]));
  const enc = new BinaryCopyEncoder(COLUMNS.map((c) => c[3]));
  const parts: Buffer[] = [];
  for (const r of rows) parts.push(...enc.encodeRow(r.map((v, i) => converters[i]!(v as never))));
  parts.push(...enc.finish());
  const all = Buffer.concat(parts);
  // Without the 19-byte header and the 2-byte trailer.
  return all.subarray(19, all.length - 2);
}

test('native COPY tuples are byte-identical to the JavaScript encoder, and odd values fall back', () => {
  const db = new Database(path.join(tempDir('copy-native'), 'n.db'));
  db.defaultSafeIntegers(true);
  if (!loadNativeExtension(db)) {
    // Only a machine without a C compiler lacks the extension; there the JavaScript path is all.
    assert.notEqual(spawnSync(process.env.CC || 'cc', ['--version']).status, 0, 'a C compiler is present but the native extension did not load');
    return;
  }
  db.exec(`CREATE TABLE r (${COLUMNS.map((c) => `"${c[0]}"`).join(', ')})`);
  const ins = db.prepare(`INSERT INTO r VALUES (${COLUMNS.map(() => '?').join(', ')})`);
  for (const row of ROWS) ins.run(...row);
  const reader = NativeCopyReader.open(
    db,
    'n.db',
    'r',
    COLUMNS.map((c) => c[0]),
    COLUMNS.map((c) => c[1]).join(''),
  )!;
  assert.ok(reader);
  const all = reader.read(null, 100);
  assert.equal(all.rows, ROWS.length);
  assert.deepEqual(all.lastKey, [BigInt(ROWS.length)]);
  assert.ok(all.encoded);
  assert.equal(Buffer.compare(all.encoded!, jsTuples(ROWS)), 0);
  // Runs continue after a key, and end empty.
  const second = reader.read([2n], 2);
  assert.equal(second.rows, 2);
  assert.equal(Buffer.compare(second.encoded!, jsTuples(ROWS.slice(2, 4))), 0);
  assert.equal(reader.read([BigInt(ROWS.length)], 10).rows, 0);
  // Values the C encoder does not take make the run NULL (the caller redoes it in JavaScript):
  // text in an integer column, an integer in a text column, NUL in text, 2 in a boolean, a zoned
  // date-time where a zone-less one belongs and back, integers out of int4/int2 range, a bad UUID,
  // invalid UTF-8.
  const odd: [number, unknown][] = [
    [0, 'abc'],
    [3, 5n],
    [3, 'a\u0000b'],
    [2, 2n],
    [7, '2024-01-02T03:04:05Z'],
    [8, '2024-01-02 03:04:05'],
    [8, '2024-01-02 +00:00'],
    [1, 3n],
    [9, 2147483648n],
    [10, 32768n],
    [11, 'not-a-uuid'],
    [11, 5n],
  ];
  for (const [col, value] of odd) {
    db.exec('DELETE FROM r');
    const row = [...ROWS[0]!];
    row[col] = value;
    ins.run(...row);
    const r = reader.read(null, 10);
    assert.equal(r.rows, 1);
    assert.equal(r.encoded, null, `column ${COLUMNS[col]![0]} with ${String(value)}`);
  }
  db.exec('DELETE FROM r');
  db.prepare(`INSERT INTO r (t) VALUES (CAST(X'ff61' AS TEXT))`).run();
  assert.equal(reader.read(null, 10).encoded, null, 'invalid UTF-8');
  db.close();
});
