import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '../../src/engines/registry.js';
import type { Row, Value } from '../../src/values/value.js';
import { BinaryCopyEncoder, pgTypeKind, type CopyEncoder } from '../../src/engines/postgres/postgres-copy-binary.js';
import { TextCopyEncoder } from '../../src/engines/postgres/postgres-copy-text-encoder.js';
import type { PostgresEngine } from '../../src/engines/postgres/postgres-engine.js';
import { FerryError } from '../../src/errors.js';
import { ConversionError, converterFor, normalizerFor } from '../../src/values/convert-value.js';
import type { LogicalType } from '../../src/values/column-type.js';
import { freshPostgresDatabase, NO_POSTGRES_MESSAGE } from '../support/postgres.js';

const db = await freshPostgresDatabase();
const skip = db ? false : NO_POSTGRES_MESSAGE;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

/** One column per binary kind: its PostgreSQL type, logical type and awkward source values. */
const COLUMNS: { name: string; type: string; logical: LogicalType; values: Value[] }[] = [
  { name: 'i2', type: 'smallint', logical: 'int64', values: [-32768n, 32767n, 0n] },
  { name: 'i4', type: 'integer', logical: 'int64', values: [-2147483648n, 2147483647n, 1n] },
  { name: 'i8', type: 'bigint', logical: 'int64', values: [INT64_MIN, INT64_MAX, 0n, -1n] },
  { name: 'f4', type: 'real', logical: 'float64', values: [0.5, -0, Math.fround(0.1), NaN, Infinity, -Infinity, 3.4028234663852886e38, 1.401298464324817e-45] },
  {
    name: 'f8',
    type: 'double precision',
    logical: 'float64',
    values: [-0, NaN, Infinity, -Infinity, 1e-300, 5e-324, 1.7976931348623157e308, 0.1, 601002.052186677, 2 ** 53 + 2],
  },
  {
    name: 'num',
    type: 'numeric',
    logical: 'numeric',
    values: [
      '12.50',
      12.5,
      100n,
      '1e2',
      '-0.000',
      NaN,
      'Infinity',
      '-Infinity',
      1e-300,
      1.7976931348623157e308,
      '123456789012345678901234567890.000000001',
      INT64_MIN,
      '-.5e-3',
    ],
  },
  { name: 'b', type: 'boolean', logical: 'boolean', values: [true, false, 1n, 0n] },
  {
    name: 'txt',
    type: 'text',
    logical: 'text',
    values: ['', '😀 emoji', 'back\\slash', '\\N', 'tab\tnew\nline\rcr', '"quotes" \'single\'', '\\.', 'é'.repeat(50_000)],
  },
  { name: 'vc', type: 'character varying(20)', logical: 'text', values: ['short', '', '\\'] },
  { name: 'by', type: 'bytea', logical: 'bytes', values: [Buffer.from([0, 0, 0]), Buffer.alloc(0), ALL_BYTES, Buffer.alloc(100_000, 7)] },
  { name: 'd', type: 'date', logical: 'date', values: ['2024-02-29', '0001-01-01', '9999-12-31', '10000-01-01', '1970-01-01'] },
  {
    name: 'ts',
    type: 'timestamp',
    logical: 'timestamp',
    values: ['2024-01-02 03:04:05.123456', '2024-01-02T03:04:05', '0001-01-01 00:00:00', '294276-12-31 23:59:59.999999', '1969-12-31 23:59:59.999999'],
  },
  {
    name: 'tz',
    type: 'timestamptz',
    logical: 'timestamptz',
    values: ['2024-01-02T03:04:05.123Z', '2024-01-02 05:04:05.123+02:00', '2024-01-01 22:04:05.123-0500', '0001-01-01 00:00:00+00'],
  },
  { name: 'j', type: 'json', logical: 'json', values: ['{"b": 1, "a": [1.50]}', '[]', '"\\u0000"', '12345678901234567890', '{"a":1,"a":2}'] },
  { name: 'jb', type: 'jsonb', logical: 'jsonb', values: ['{"b": 1, "a": [1.50, {"z": null, "y": "é"}]}', '{"a":1,"a":2}', '12345678901234567890.10', '[]'] },
  {
    name: 'u',
    type: 'uuid',
    logical: 'pgtext',
    values: ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '{a0eebc999c0b4ef8bb6d6bb9bd380a11}'],
  },
];
const ROWS = Math.max(...COLUMNS.map((c) => c.values.length));
const NAMES = ['id', ...COLUMNS.map((c) => c.name)];
const KINDS = ['int8', ...COLUMNS.map((c) => pgTypeKind(c.type))] as const;

/** Source rows: id, then each column's values in turn; the last row is all NULL. */
function sourceRows(): Row[] {
  const rows: Row[] = [];
  for (let r = 0; r < ROWS; r++) rows.push([BigInt(r), ...COLUMNS.map((c) => c.values[r % c.values.length]!)]);
  rows.push([BigInt(ROWS), ...COLUMNS.map(() => null)]);
  return rows;
}

const converters = COLUMNS.map((c) => converterFor(c.logical));

/** Encodes source rows (converted to canonical values) into COPY chunks. */
function encode(encoder: CopyEncoder, rows: Row[]): Buffer[] {
  const chunks: Buffer[] = [];
  for (const row of rows) chunks.push(...encoder.encodeRow([row[0]!, ...COLUMNS.map((_, i) => converters[i]!(row[i + 1]!))]));
  chunks.push(...encoder.finish());
  return chunks;
}

function bits(n: number): string {
  return Buffer.from(new Float64Array([n]).buffer).toString('hex');
}

/** What PostgreSQL gives back for a source value, normalised; uuid text comes back in its canonical form. */
function expected(column: (typeof COLUMNS)[number], v: Value): Value {
  if (v !== null && column.type === 'uuid') {
    const hex = (v as string).replace(/[{}-]/g, '').toLowerCase();
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
  return normalizerFor(column.logical)(v);
}

/** Asserts rows read back (any form pg or COPY gives) hold exactly the source values. */
function assertSame(read: Row[], source: Row[], how: string): void {
  assert.equal(read.length, source.length, `${how}: row count`);
  for (let r = 0; r < source.length; r++) {
    assert.equal(normalizerFor('int64', { pgText: true })(read[r]![0]!), source[r]![0], `${how}: id of row ${r}`);
    COLUMNS.forEach((column, i) => {
      const got = normalizerFor(column.logical, { pgText: true })(read[r]![i + 1]!);
      const want = expected(column, source[r]![i + 1]!);
      const where = `${how}: row ${r} column ${column.name}`;
      // A real comes back as the double nearest its shortest float4 text; as a float4 it is exact.
      if (column.type === 'real' && typeof got === 'number') assert.equal(bits(Math.fround(got)), bits(want as number), where);
      else if (typeof want === 'number') assert.equal(bits(got as number), bits(want), where);
      else assert.deepEqual(got, want, where);
    });
  }
}

async function readCopyOut(engine: PostgresEngine, table: string): Promise<Row[]> {
  const rows: Row[] = [];
  for await (const batch of engine.copyOut(`SELECT * FROM ${engine.quoteTable(table)} ORDER BY id`, 3)) rows.push(...batch);
  return rows;
}

async function readStream(engine: PostgresEngine, table: string): Promise<Row[]> {
  const rows: Row[] = [];
  for await (const batch of engine.streamRows(table, { orderBy: ['id'], batchSize: 4 })) rows.push(...batch);
  return rows;
}

describe('PostgreSQL COPY', { skip }, () => {
  let engine: PostgresEngine;

  before(async () => {
    engine = (await connect(db!.url)) as PostgresEngine;
    for (const format of ['binary', 'text']) {
      await engine.exec(`CREATE TABLE "all_${format}" (id bigint PRIMARY KEY, ${COLUMNS.map((c) => `"${c.name}" ${c.type}`).join(', ')})`);
    }
  });

  after(async () => {
    await engine?.close();
    await db?.drop();
  });

  for (const format of ['binary', 'text'] as const) {
    test(`${format} COPY stores every awkward value exactly (read back by COPY TO and by cursor)`, async () => {
      const rows = sourceRows();
      // Small chunks, so rows and the 100 KB values cross chunk boundaries.
      const encoder = format === 'binary' ? new BinaryCopyEncoder([...KINDS], 4096) : new TextCopyEncoder([...KINDS], 4096);
      const chunks = encode(encoder, rows);
      assert.ok(chunks.length > 3);
      await engine.transaction(() => engine.copyIn(`all_${format}`, NAMES, chunks, format));
      assertSame(await readCopyOut(engine, `all_${format}`), rows, `${format} via copyOut`);
      assertSame(await readStream(engine, `all_${format}`), rows, `${format} via streamRows`);
    });
  }

  test('binary and text COPY give the same stored text, numeric scale included', async () => {
    const binary = await readCopyOut(engine, 'all_binary');
    const text = await readCopyOut(engine, 'all_text');
    assert.ok(binary.length > 0);
    assert.deepEqual(binary, text);
    const num = NAMES.indexOf('num');
    assert.deepEqual(
      binary.slice(0, 5).map((r) => r[num]),
      ['12.50', '12.5', '100', '100', '0.000'],
    );
    assert.equal(binary[5]![num], 'NaN');
    assert.equal(binary[8]![num], `0.${'0'.repeat(299)}1`);
  });

  test('a row with a NUL in text is refused alone; the rows around it go in', async () => {
    await engine.exec('CREATE TABLE nul_rows (id bigint, s text, j jsonb)');
    for (const encoder of [new BinaryCopyEncoder(['int8', 'text', 'jsonb']), new TextCopyEncoder(['int8', 'text', 'jsonb'])]) {
      const chunks: Buffer[] = [];
      const refused: number[] = [];
      const input: Row[] = [
        [1n, 'before', '{}'],
        [2n, 'bad\u0000text', '{}'],
        [3n, 'ok', '"x\u0000"'],
        [4n, 'after', '[]'],
      ];
      for (const row of input) {
        try {
          chunks.push(...encoder.encodeRow(row));
        } catch (e) {
          assert.ok(e instanceof ConversionError);
          assert.match(e.reason, /NUL character/);
          refused.push(Number(row[0]));
          assert.equal(e.column, row[0] === 2n ? 1 : 2);
        }
      }
      chunks.push(...encoder.finish());
      assert.deepEqual(refused, [2, 3]);
      await engine.transaction(async () => {
        await engine.exec('TRUNCATE nul_rows');
        await engine.copyIn('nul_rows', ['id', 's', 'j'], chunks, encoder instanceof BinaryCopyEncoder ? 'binary' : 'text');
      });
      assert.deepEqual(await engine.query('SELECT id::int AS id, s FROM nul_rows ORDER BY id'), [
        { id: 1, s: 'before' },
        { id: 4, s: 'after' },
      ]);
    }
  });

  test('out-of-range values are refused by the encoder, not the server', () => {
    const encoder = new BinaryCopyEncoder(['int2', 'int4', 'float4', 'timestamp', 'numeric', 'uuid', 'date']);
    const ok: Row = [1n, 1n, 0.5, 0n, '1', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '2024-01-01'];
    const bad: [number, Value][] = [
      [0, 32768n],
      [1, -2147483649n],
      [2, 0.1],
      [3, 9224318016000000000n],
      [4, '1e1001'],
      [5, 'not-a-uuid'],
      [6, '2023-02-29'],
    ];
    for (const [i, v] of bad) {
      const row = [...ok];
      row[i] = v;
      assert.throws(
        () => encoder.encodeRow(row),
        (e: unknown) => e instanceof ConversionError && e.column === i,
        `column ${i}`,
      );
    }
    assert.throws(() => new BinaryCopyEncoder(['other']), TypeError);
  });

  test('a COPY the server refuses rejects with the pg error code and rolls back with the transaction', async () => {
    await engine.exec('CREATE TABLE strict_rows (id bigint NOT NULL, s text)');
    const encoder = new BinaryCopyEncoder(['int8', 'text'], 1024);
    const chunks: Buffer[] = [];
    for (let i = 0; i < 5000; i++) chunks.push(...encoder.encodeRow([i === 4321 ? null : BigInt(i), `row ${i}`]));
    chunks.push(...encoder.finish());
    const error = await engine
      .transaction(() => engine.copyIn('strict_rows', ['id', 's'], chunks, 'binary'))
      .then(
        () => assert.fail('expected the COPY to fail'),
        (e: unknown) => e,
      );
    assert.ok(error instanceof FerryError, String(error));
    assert.equal(error.data?.sqlstate, '23502');
    const cause = error.cause as { code?: string; where?: string; column?: string };
    assert.equal(cause.code, '23502');
    assert.equal(cause.column, 'id');
    // The line number lets a caller find the refused row: the 4322nd row of this COPY.
    assert.match(cause.where ?? '', /line 4322/);
    assert.equal(error.data?.copyLine, 4322);
    assert.equal(await engine.countRows('strict_rows'), 0);
    // The connection is fine afterwards, and a good COPY goes in.
    const good = new TextCopyEncoder(['int8', 'text']);
    await engine.transaction(() => engine.copyIn('strict_rows', ['id', 's'], [...good.encodeRow([1n, 'x']), ...good.finish()], 'text'));
    assert.equal(await engine.countRows('strict_rows'), 1);
  });

  test('a value the server refuses is named by its COPY line and column', async () => {
    await engine.exec('CREATE TABLE short_text (id bigint, vc varchar(3))');
    const encoder = new BinaryCopyEncoder(['int8', 'text']);
    const chunks = [...encoder.encodeRow([1n, 'abc']), ...encoder.encodeRow([2n, 'abcd']), ...encoder.finish()];
    await assert.rejects(
      engine.transaction(() => engine.copyIn('short_text', ['id', 'vc'], chunks, 'binary')),
      (e: unknown) => {
        assert.ok(e instanceof FerryError);
        assert.equal(e.data?.sqlstate, '22001');
        assert.equal(e.data?.copyLine, 2);
        assert.equal(e.data?.copyColumn, 'vc');
        return true;
      },
    );
  });

  test('a failing source cancels the COPY and its own error comes out', async () => {
    await engine.exec('CREATE TABLE source_fails (id bigint)');
    async function* chunks() {
      const encoder = new BinaryCopyEncoder(['int8']);
      for (let i = 0; i < 50_000; i++) yield* encoder.encodeRow([BigInt(i)]);
      throw new Error('the source broke');
    }
    await assert.rejects(
      engine.transaction(() => engine.copyIn('source_fails', ['id'], chunks(), 'binary')),
      /the source broke/,
    );
    assert.equal(await engine.countRows('source_fails'), 0);
    assert.deepEqual(await engine.query('SELECT 1 AS one'), [{ one: 1 }]);
  });

  test('copyIn into a missing table gives TABLE_MISSING; a bad copyOut query gives QUERY', async () => {
    await assert.rejects(engine.copyIn('no_such_table', ['id'], [], 'binary'), (e: unknown) => e instanceof FerryError && e.code === 'TABLE_MISSING');
    await assert.rejects(
      (async () => {
        for await (const _ of engine.copyOut('SELECT no_such_column FROM all_binary')) void _;
      })(),
      (e: unknown) => e instanceof FerryError && e.code === 'QUERY' && e.data?.sqlstate === '42703',
    );
  });

  test('copyOut batches rows and can stop early', async () => {
    await engine.exec("CREATE TABLE many AS SELECT g AS id, repeat('x', g % 50) AS s FROM generate_series(1, 20000) g");
    let total = 0;
    let batches = 0;
    for await (const batch of engine.copyOut('SELECT id, s FROM many', 1000)) {
      total += batch.length;
      batches++;
    }
    assert.equal(total, 20000);
    assert.ok(batches >= 5, `${batches} batches`);
    for await (const batch of engine.copyOut('SELECT id, s FROM many', 100)) {
      assert.ok(batch.length >= 100);
      break;
    }
    assert.equal(await engine.countRows('many'), 20000);
  });
});
