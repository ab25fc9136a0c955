import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '../../src/engines/registry.js';
import type { PostgresEngine } from '../../src/engines/postgres/postgres-engine.js';
import { digestPostgresTable } from '../../src/engines/postgres/postgres-digest.js';
import type { LogicalType } from '../../src/values/column-type.js';
import { freshPostgresDatabase } from '../support/postgres.js';

// The binary fast path of verify's PostgreSQL side hashes COPY BINARY fields directly; it must give
// exactly the digest of the text path (COPY text + normalizerFor), value kind by value kind.
const COLUMNS: [string, string, LogicalType, string[]][] = [
  ['i8', 'bigint', 'int64', ['0', '-1', '9223372036854775807', '-9223372036854775808', '4294967296', '-4294967297']],
  ['i4', 'integer', 'int64', ['0', '-1', '2147483647', '-2147483648']],
  ['i2', 'smallint', 'int64', ['0', '-1', '32767', '-32768']],
  ['f8', 'double precision', 'float64', ['0', '-0', '0.1', '1e-300', '1.7976931348623157e308', "'Infinity'", "'-Infinity'", "'NaN'", '601002.052186677']],
  ['f4', 'real', 'float64', ['0.1', '-2.5', "'NaN'", "'Infinity'"]],
  ['n', 'numeric', 'numeric', ['0', '12.50', '-0.001', '100000000', '123456789012345678901234567890.000000001', "'NaN'", "'Infinity'", '0.00000', '-7']],
  ['b', 'boolean', 'boolean', ['true', 'false']],
  ['t', 'text', 'text', ["''", "'plain'", "E'tab\\there\\nnew \\\\ back'", "'😀 emoji'", "'\\N'"]],
  ['vc', 'varchar(20)', 'text', ["'short'"]],
  ['by', 'bytea', 'bytes', ["'\\x'", "'\\x00ff10'", "decode(repeat('ab', 5000), 'hex')"]],
  [
    'ts',
    'timestamp',
    'timestamp',
    [
      "'2024-01-02 03:04:05.123456'",
      "'1999-12-31 23:59:59.999999'",
      "'1970-01-01 00:00:00'",
      "'0001-01-01 00:00:00'",
      "'1900-06-01 12:00'",
      "'2000-01-01 00:00:00'",
    ],
  ],
  ['tz', 'timestamptz', 'timestamptz', ["'2024-01-02 03:04:05+05:30'", "'1960-01-01 00:00:00Z'", "'2000-01-01 00:00:00.000001Z'"]],
  ['d', 'date', 'date', ["'2024-02-29'", "'1999-12-31'", "'0001-01-01'", "'2000-01-01'", "'1969-07-20'"]],
  ['j', 'json', 'json', [`'{"b": 1,  "a": [1.50]}'`]],
  ['jb', 'jsonb', 'jsonb', [`'{"b": 1, "a": [1.50, "x"], "c": {"z": null, "y": 2}}'`, "'[]'", "'1e2'"]],
];

test('the binary digest of every column kind equals the text-path digest', async (t) => {
  const db = await freshPostgresDatabase(t);
  if (!db) return;
  const pg = (await connect(db.url)) as PostgresEngine;
  try {
    const rows = Math.max(...COLUMNS.map((c) => c[3].length)) + 1;
    await pg.exec(`CREATE TABLE k (${COLUMNS.map(([n, type]) => `"${n}" ${type}`).join(', ')})`);
    for (let r = 0; r < rows; r++) {
      // The last row is all NULL; others cycle through each column's values.
      const values = COLUMNS.map(([, type, , vs]) => (r === rows - 1 ? 'NULL' : `(${vs[r % vs.length]})::${type}`));
      await pg.exec(`INSERT INTO k VALUES (${values.join(', ')})`);
    }
    const names = COLUMNS.map((c) => c[0]);
    const logicals = COLUMNS.map((c) => c[2]);
    const types = COLUMNS.map((c) => c[1]);
    const text = await digestPostgresTable(pg, 'k', names, logicals, types, false);
    const binary = await digestPostgresTable(pg, 'k', names, logicals, types);
    // Column by column too, so a failure names the kind.
    for (const [n, type, logical] of COLUMNS) {
      const a = await digestPostgresTable(pg, 'k', [n], [logical], [type], false);
      const b = await digestPostgresTable(pg, 'k', [n], [logical], [type]);
      assert.equal(b.digest(), a.digest(), `${n} ${type}`);
    }
    assert.equal(text.rows, rows);
    assert.equal(binary.digest(), text.digest());
    // A real holds 0.1 as a float4: its digest is not that of the double 0.1 (a lossy copy shows).
    const { ChecksumAccumulator } = await import('../../src/values/checksum.js');
    const {
      rows: [only],
    } = { rows: await pg.query<{ n: string }>(`SELECT count(*)::text AS n FROM k WHERE f4 = 0.1::real`) };
    assert.equal(only!.n, '3');
    const f4 = await digestPostgresTable(pg, 'k', ['f4'], ['float64'], ['real']);
    const asDouble = new ChecksumAccumulator();
    for (const v of [0.1, -2.5, NaN, Infinity, 0.1, -2.5, NaN, Infinity, 0.1, null]) asDouble.addRow([v]);
    assert.notEqual(f4.digest(), asDouble.digest());
    // Infinite timestamps have no binary fast path: the digest still comes out (via text).
    await pg.exec(`INSERT INTO k (ts, d) VALUES ('infinity', '-infinity')`);
    const t2 = await digestPostgresTable(pg, 'k', ['ts', 'd'], ['timestamp', 'date'], ['timestamp', 'date'], false);
    const b2 = await digestPostgresTable(pg, 'k', ['ts', 'd'], ['timestamp', 'date'], ['timestamp', 'date']);
    assert.equal(b2.digest(), t2.digest());
  } finally {
    await pg.close();
  }
});
