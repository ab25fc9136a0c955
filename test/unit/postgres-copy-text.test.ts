import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CopyTextParser, parseLine, unescapeField } from '../../src/engines/postgres/postgres-copy-out.js';
import { pgTypeKind } from '../../src/engines/postgres/postgres-copy-binary.js';
import { copyTextField, TextCopyEncoder } from '../../src/engines/postgres/postgres-copy-text-encoder.js';
import { ConversionError } from '../../src/values/convert-value.js';

type Rows = (string | null)[][];

/** COPY TEXT output of these rows, as PostgreSQL writes it. */
const DATA = ['1\tplain\t\\N\n', '2\t\\\\N\t\n', '3\ttab\\there\\nnew\\rcr\\\\slash\t😀 é\n', '4\t\\b\\f\\v\t\\101\\x42\\303\\251\n', '5\t\t\\N\n'].join('');

const EXPECTED: Rows = [
  ['1', 'plain', null],
  ['2', '\\N', ''],
  ['3', 'tab\there\nnew\rcr\\slash', '😀 é'],
  ['4', '\b\f\v', 'ABé'],
  ['5', '', null],
];

function parseChunks(chunks: Buffer[]): Rows {
  const parser = new CopyTextParser();
  const out: Rows = [];
  for (const c of chunks) parser.push(c, out);
  parser.end(out);
  return out;
}

test('parses escapes, NULL, empty fields and the two-character text \\N', () => {
  assert.deepEqual(parseChunks([Buffer.from(DATA)]), EXPECTED);
});

test('a chunk boundary at every byte position (inside escapes and UTF-8 characters) changes nothing', () => {
  const bytes = Buffer.from(DATA);
  for (let cut = 0; cut <= bytes.length; cut++) {
    assert.deepEqual(parseChunks([bytes.subarray(0, cut), bytes.subarray(cut)]), EXPECTED, `cut at ${cut}`);
  }
  for (let cut = 1; cut + 3 <= bytes.length; cut++) {
    assert.deepEqual(
      parseChunks([bytes.subarray(0, cut), bytes.subarray(cut, cut + 3), Buffer.alloc(0), bytes.subarray(cut + 3)]),
      EXPECTED,
      `cuts at ${cut}, ${cut + 3}`,
    );
  }
  // One byte at a time.
  assert.deepEqual(parseChunks([...bytes].map((b) => Buffer.from([b]))), EXPECTED);
});

test('a huge row split over many chunks parses in one piece', () => {
  const big = 'x'.repeat(1_000_000);
  const bytes = Buffer.from(`1\t${big}\n2\t\\N\n`);
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 65536) chunks.push(bytes.subarray(i, i + 65536));
  assert.deepEqual(parseChunks(chunks), [
    ['1', big],
    ['2', null],
  ]);
});

test('field helpers: backslash before any other character, trailing backslash', () => {
  assert.equal(unescapeField('a\\qb'), 'aqb');
  assert.equal(unescapeField('\\\\\\\\'), '\\\\');
  assert.equal(unescapeField('\\0'), '\u0000');
  assert.equal(unescapeField('\\x4'), '\u0004');
  assert.deepEqual(parseLine('\\N\t\\\\N\tN'), [null, '\\N', 'N']);
  assert.deepEqual(parseLine(''), ['']);
});

test('copyTextField escapes exactly the COPY specials and refuses NUL', () => {
  assert.equal(copyTextField('plain'), 'plain');
  assert.equal(copyTextField('a\\b\tc\nd\re'), 'a\\\\b\\tc\\nd\\re');
  assert.equal(copyTextField('\\N'), '\\\\N');
  assert.equal(copyTextField('\\.'), '\\\\.');
  assert.throws(
    () => copyTextField('a\u0000b'),
    (e: unknown) => e instanceof ConversionError && /NUL/.test(e.reason),
  );
});

test('TextCopyEncoder output parses back to the same text', () => {
  const kinds = ['bigint', 'double precision', 'boolean', 'text', 'bytea', 'timestamp', 'timestamptz', 'interval'].map(pgTypeKind);
  assert.equal(kinds[7], 'other');
  const enc = new TextCopyEncoder(kinds, 64);
  const chunks: Buffer[] = [];
  chunks.push(...enc.encodeRow([-(2n ** 63n), -0, true, 'a\tb\\N', Buffer.from([0, 255]), 1704164645123456n, 0n, '1 day']));
  assert.throws(
    () => enc.encodeRow([1n, 1, false, 'bad\u0000', null, null, null, null]),
    (e: unknown) => e instanceof ConversionError && e.column === 3,
  );
  assert.throws(
    () => enc.encodeRow([2n ** 63n, 1, false, '', null, null, null, null]),
    (e: unknown) => e instanceof ConversionError && e.column === 0,
  );
  chunks.push(...enc.encodeRow([null, NaN, null, '', null, null, null, null]));
  chunks.push(...enc.finish());
  assert.deepEqual(parseChunks(chunks), [
    ['-9223372036854775808', '-0', 't', 'a\tb\\N', '\\x00ff', '2024-01-02 03:04:05.123456', '1970-01-01 00:00:00+00', '1 day'],
    [null, 'NaN', null, '', null, null, null, null],
  ]);
});

test('pgTypeKind reads the usual spellings', () => {
  const cases: [string, string][] = [
    ['bigint', 'int8'],
    ['INT8', 'int8'],
    ['integer', 'int4'],
    ['int', 'int4'],
    ['smallint', 'int2'],
    ['double precision', 'float8'],
    ['float8', 'float8'],
    ['real', 'float4'],
    ['float(24)', 'float4'],
    ['float(53)', 'float8'],
    ['numeric(10,2)', 'numeric'],
    ['DECIMAL', 'numeric'],
    ['boolean', 'bool'],
    ['text', 'text'],
    ['character varying(20)', 'text'],
    ['varchar', 'text'],
    ['character(3)', 'text'],
    ['bpchar', 'text'],
    ['bytea', 'bytea'],
    ['date', 'date'],
    ['timestamp', 'timestamp'],
    ['timestamp(3) without time zone', 'timestamp'],
    ['timestamptz', 'timestamptz'],
    ['timestamp with time zone', 'timestamptz'],
    ['json', 'json'],
    ['jsonb', 'jsonb'],
    ['uuid', 'uuid'],
    ['pg_catalog.int4', 'int4'],
    ['integer[]', 'other'],
    ['interval', 'other'],
    ['my_enum', 'other'],
  ];
  for (const [text, kind] of cases) assert.equal(pgTypeKind(text), kind, text);
});
