import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Value } from '../../src/values/value.js';
import { ConversionError, converterFor, INVALID_MARKER, normalizerFor } from '../../src/values/convert-value.js';
import { sqliteValueWriter } from '../../src/engines/sqlite/sqlite-value-writer.js';
import { sqliteDeclaredType } from '../../src/engines/sqlite/sqlite-type-mapper.js';
import type { ColumnPlan } from '../../src/engine/table-plan.js';
import { LOGICAL_TYPES, type LogicalType } from '../../src/values/column-type.js';
import { canonicalJson } from '../../src/values/json-canonical.js';
import { formatTimestamp, parseIsoTimestamp } from '../../src/values/time-text.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Asserts the converter refuses `v` with a ConversionError that has a reason. */
function refuses(logical: LogicalType, v: Value, options = {}): void {
  assert.throws(
    () => converterFor(logical, options)(v),
    (e: unknown) => e instanceof ConversionError && e.reason.length > 0,
    `${logical} should refuse ${String(v)}`,
  );
}

/** What a SQLite target created by ferry stores for a canonical value of `logical`. */
function sqliteValueFor(logical: LogicalType, v: Value, extra: Partial<ColumnPlan> = {}): Value {
  return sqliteValueWriter({ logical, targetType: extra.targetType ?? sqliteDeclaredType({ logical }), ...extra })(v);
}

function bitsOf(n: number): string {
  return Buffer.from(new Float64Array([n]).buffer).toString('hex');
}

test('every logical type passes NULL through', () => {
  for (const logical of LOGICAL_TYPES) {
    assert.equal(converterFor(logical)(null), null);
    assert.equal(normalizerFor(logical)(null), null);
    assert.equal(sqliteValueFor(logical, null), null);
  }
});

test('int64: bigint, whole numbers and booleans; text only from PostgreSQL output', () => {
  const c = converterFor('int64');
  for (const v of [0n, INT64_MIN, INT64_MAX]) assert.equal(c(v), v);
  assert.equal(c(42), 42n);
  assert.equal(c(-0), 0n);
  assert.equal(c(2 ** 60), 2n ** 60n);
  assert.equal(c(true), 1n);
  for (const bad of [1.5, NaN, Infinity, 2 ** 63, '12', '', Buffer.from([1])]) refuses('int64', bad);
  const pg = converterFor('int64', { pgText: true });
  assert.equal(pg('-9223372036854775808'), INT64_MIN);
  assert.equal(pg('9223372036854775807'), INT64_MAX);
  for (const bad of ['9223372036854775808', '1.0', ' 1', 'abc', '']) refuses('int64', bad, { pgText: true });
});

test('float64: bit-exact numbers, -0, NaN, ±Infinity; exact integers only', () => {
  const c = converterFor('float64');
  for (const v of [-0, 0, NaN, Infinity, -Infinity, 1e-300, 5e-324, 1.7976931348623157e308, 0.1, 601002.052186677]) {
    assert.equal(bitsOf(c(v) as number), bitsOf(v));
  }
  assert.equal(c(2n ** 53n), 2 ** 53);
  refuses('float64', 2n ** 53n + 1n);
  refuses('float64', '1.5');
  refuses('float64', true);
  // How ferry keeps NaN in SQLite, where a NaN real becomes NULL.
  assert.ok(Number.isNaN(c('NaN')));
  const pg = converterFor('float64', { pgText: true });
  assert.equal(bitsOf(pg('-0') as number), bitsOf(-0));
  assert.equal(pg('Infinity'), Infinity);
  assert.equal(pg('-Infinity'), -Infinity);
  assert.equal(pg('1.7976931348623157e+308'), 1.7976931348623157e308);
  assert.equal(pg('1e-300'), 1e-300);
  assert.equal(pg('0.1'), 0.1);
  for (const bad of ['', '0x10', ' 1', 'inf']) refuses('float64', bad, { pgText: true });
});

test('numeric: decimal text from integers, doubles and text; refuses what numeric cannot hold', () => {
  const c = converterFor('numeric');
  assert.equal(c(INT64_MAX), '9223372036854775807');
  assert.equal(c(12.5), '12.5');
  assert.equal(c(0.1), '0.1');
  assert.equal(c(-0), '0');
  assert.equal(c(1e21), '1e+21');
  assert.equal(c(NaN), 'NaN');
  assert.equal(c(Infinity), 'Infinity');
  assert.equal(c(-Infinity), '-Infinity');
  assert.equal(c('12.50'), '12.50');
  assert.equal(c('-.5e-3'), '-.5e-3');
  assert.equal(c('nan'), 'NaN');
  assert.equal(c('-inf'), '-Infinity');
  for (const bad of ['', 'abc', '1,5', ' 1', '1e', '1e1001', '1.2.3', true, Buffer.from('1')]) refuses('numeric', bad);
});

test('boolean: 0/1, booleans and the text apps write (true/false, 0/1); t/f only from PostgreSQL output', () => {
  const c = converterFor('boolean');
  assert.equal(c(0n), false);
  assert.equal(c(1n), true);
  assert.equal(c(0), false);
  assert.equal(c(1), true);
  assert.equal(c(true), true);
  assert.equal(c('true'), true);
  assert.equal(c('False'), false);
  for (const bad of [2n, -1n, 0.5, 't', 'yes', '']) refuses('boolean', bad);
  const pg = converterFor('boolean', { pgText: true });
  assert.equal(pg('t'), true);
  assert.equal(pg('f'), false);
});

test('text: strings unchanged, numbers spelt exactly, blobs refused', () => {
  const c = converterFor('text');
  for (const s of ['', '😀', 'a\\b', '\\N', 'tab\there\nnew "q" \'s\'', 'x\u0000y']) assert.equal(c(s), s);
  assert.equal(c(INT64_MIN), '-9223372036854775808');
  assert.equal(c(0.1), '0.1');
  assert.equal(c(-0), '-0');
  assert.equal(c(1e-7), '1e-7');
  assert.equal(c(NaN), 'NaN');
  refuses('text', Buffer.from('abc'));
  assert.notEqual(c(''), null);
});

test('bytes: blobs as they are, text as UTF-8, PostgreSQL hex output', () => {
  const c = converterFor('bytes');
  const zeros = Buffer.from([0, 0, 1, 0]);
  assert.deepEqual(c(zeros), zeros);
  assert.ok(Buffer.isBuffer(c(new Uint8Array([1, 2]))));
  assert.deepEqual(c('é'), Buffer.from([0xc3, 0xa9]));
  assert.deepEqual(c(12n), Buffer.from('12'));
  assert.deepEqual(c(''), Buffer.alloc(0));
  const pg = converterFor('bytes', { pgText: true });
  assert.deepEqual(pg('\\x00ff10'), Buffer.from([0, 255, 16]));
  assert.deepEqual(pg('\\x'), Buffer.alloc(0));
  for (const bad of ['00ff', '\\x0', '\\xzz']) refuses('bytes', bad, { pgText: true });
});

test('date: real calendar dates in ISO form, or date-times at midnight', () => {
  const c = converterFor('date');
  for (const d of ['2024-02-29', '0001-01-01', '9999-12-31', '10000-01-01']) assert.equal(c(d), d);
  assert.equal(c('2024-01-01 00:00:00'), '2024-01-01');
  for (const bad of ['2023-02-29', '2024-13-01', '2024-04-31', '0000-01-01', '24-01-01', '2024-1-1', '2024-01-01 00:00:01', 20240101n]) refuses('date', bad);
});

test('timestamp: ISO shapes and PostgreSQL output give the same microseconds', () => {
  const c = converterFor('timestamp');
  const micros = 1704164645123456n;
  for (const s of ['2024-01-02 03:04:05.123456', '2024-01-02T03:04:05.123456', '2024-01-02 03:04:05.1234560']) assert.equal(c(s), micros);
  assert.equal(c('2024-01-02 03:04'), 1704164640000000n);
  assert.equal(c('2024-01-02'), 1704153600000000n);
  assert.equal(c('1969-12-31 23:59:59.999999'), -1n);
  assert.equal(c('0001-01-01 00:00:00'), -62135596800000000n);
  for (const bad of [
    '2024-01-02 03:04:05.1234567',
    '2024-01-02 24:00:00',
    '2024-01-02 03:04:60',
    '2024-01-02 03:04:05Z',
    '2024-01-02 3:04',
    'yesterday',
    1704164645n,
  ])
    refuses('timestamp', bad);
  const epoch = converterFor('timestamp', { epoch: 'milliseconds' });
  assert.equal(epoch(1704164645123n), 1704164645123000n);
  assert.equal(converterFor('timestamp', { epoch: 'seconds' })(1700000000.25), 1700000000250000n);
});

test('timestamptz: every zone spelling gives the same instant', () => {
  const c = converterFor('timestamptz');
  const micros = 1704164645123000n;
  for (const s of [
    '2024-01-02 03:04:05.123+00',
    '2024-01-02T03:04:05.123Z',
    '2024-01-02T05:04:05.123+02:00',
    '2024-01-02 05:04:05.123+0200',
    '2024-01-02 05:04:05.123+02',
    '2024-01-01 22:04:05.123-05',
    '2024-01-02 03:04:05.123+00:00:00',
  ]) {
    assert.equal(c(s), micros, s);
  }
  for (const bad of ['2024-01-02 03:04:05', '2024-01-02 03:04:05+16', '2024-01-02 03:04:05+1', '2024-01-02 03:04:05 UTC']) refuses('timestamptz', bad);
  assert.equal(converterFor('timestamptz', { epoch: 'seconds' })(1704164645n), 1704164645000000n);
  refuses('timestamptz', 1704164645n);
});

test('json and jsonb: text kept exactly; validity is left to profiling and to PostgreSQL', () => {
  const doc = '{"b": 1, "a": [1.50, "x"]}';
  assert.equal(converterFor('json')(doc), doc);
  assert.equal(converterFor('jsonb')(doc), doc);
  assert.equal(converterFor('json')(5n), '5');
  assert.equal(converterFor('json')('"\\u0000"'), '"\\u0000"');
  // Profiling makes a column with invalid documents text, and PostgreSQL refuses a bad document
  // in a json/jsonb column row by row, so the converter does not parse every document again.
  assert.equal(converterFor('json')('{"a":}'), '{"a":}');
  refuses('json', Buffer.from([1, 2]));
  // verify still tells an invalid jsonb document apart from any valid one.
  assert.ok(String(normalizerFor('jsonb')('{"a":}')).startsWith(INVALID_MARKER));
  assert.equal(normalizerFor('jsonb')('{"b":1,"a":2}'), normalizerFor('jsonb')('{"a":2, "b":1}'));
  assert.equal(converterFor('pgtext')('P1Y2M'), 'P1Y2M');
});

test('normalizer: equal values on both engines become identical', () => {
  const numeric = normalizerFor('numeric');
  const pgNumeric = normalizerFor('numeric', { pgText: true });
  assert.equal(numeric('12.50'), numeric(12.5));
  assert.equal(numeric('1e2'), numeric(100n));
  assert.equal(numeric('-0.000'), '0');
  assert.equal(numeric('0012.3400'), '12.34');
  assert.equal(numeric(1e-300), pgNumeric(`0.${'0'.repeat(299)}1`));
  assert.equal(numeric(1e21), '1000000000000000000000');
  assert.equal(numeric('NaN'), numeric(NaN));
  assert.equal(pgNumeric('-Infinity'), numeric(-Infinity));

  const ts = normalizerFor('timestamp');
  const pgTs = normalizerFor('timestamp', { pgText: true });
  assert.equal(ts('2024-01-02T03:04:05.5'), pgTs('2024-01-02 03:04:05.5'));
  assert.equal(normalizerFor('timestamptz')('2024-01-02T03:04:05Z'), normalizerFor('timestamptz', { pgText: true })('2024-01-02 03:04:05+00'));

  const float = normalizerFor('float64');
  const pgFloat = normalizerFor('float64', { pgText: true });
  for (const v of [-0, 1e-300, 1.7976931348623157e308, Infinity, -Infinity])
    assert.equal(bitsOf(float(v) as number), bitsOf(pgFloat(String(Object.is(v, -0) ? '-0' : v)) as number));
  assert.equal(bitsOf(float(NaN) as number), bitsOf(pgFloat('NaN') as number));

  assert.equal(normalizerFor('int64')(INT64_MIN), normalizerFor('int64', { pgText: true })('-9223372036854775808'));
  assert.equal(normalizerFor('boolean')(1n), normalizerFor('boolean', { pgText: true })('t'));
  assert.deepEqual(normalizerFor('bytes')(Buffer.from([0, 1])), normalizerFor('bytes', { pgText: true })('\\x0001'));

  const jsonb = normalizerFor('jsonb');
  assert.equal(jsonb('{"b": 1, "a": [1.50, {"d": 1e2, "c": "\\u00e9"}], "b": 2}'), jsonb('{"a": [1.5, {"c": "é", "d": 100}], "b": 2}'));
  assert.equal(jsonb('{"n": 12345678901234567890}'), '{"n":12345678901234567890}');
  assert.notEqual(jsonb('{"n": 12345678901234567890}'), jsonb('{"n": 12345678901234567891}'));
  // json keeps its exact text, so key order matters there.
  assert.notEqual(normalizerFor('json')('{"a":1,"b":2}'), normalizerFor('json')('{"b":2,"a":1}'));
  // Empty text and NULL stay different.
  assert.notEqual(normalizerFor('text')(''), normalizerFor('text')(null));
});

test('normalizer: a value that does not convert becomes a marker instead of throwing', () => {
  assert.equal(normalizerFor('int64')('abc'), `${INVALID_MARKER}abc`);
  assert.equal(normalizerFor('date')('2023-02-29'), `${INVALID_MARKER}2023-02-29`);
  assert.equal(normalizerFor('text')(Buffer.from([1, 2])), `${INVALID_MARKER}\\x0102`);
  assert.notEqual(normalizerFor('int64')('1'), normalizerFor('int64')(1n));
});

test('canonical JSON rejects invalid documents', () => {
  for (const bad of ['', '{', '[1,]', '{"a" 1}', 'tru', '1 2']) assert.throws(() => canonicalJson(bad), SyntaxError, bad);
  assert.equal(canonicalJson(' [ true , null , "a\\"b" , -0.0 ] '), '[true,null,"a\\"b",0]');
});

test("the SQLite value writer stores numbers as numbers, booleans as 0/1 and date-times in the app's style", () => {
  assert.equal(sqliteValueFor('int64', INT64_MAX), INT64_MAX);
  assert.equal(bitsOf(sqliteValueFor('float64', -0) as number), bitsOf(-0));
  assert.equal(sqliteValueFor('float64', NaN), 'NaN');
  assert.equal(sqliteValueFor('numeric', '9223372036854775807'), INT64_MAX);
  assert.equal(sqliteValueFor('numeric', '12.5'), 12.5);
  assert.equal(sqliteValueFor('numeric', '12.50'), 12.5);
  assert.equal(sqliteValueFor('numeric', '0.1'), 0.1);
  assert.equal(sqliteValueFor('numeric', 'NaN'), 'NaN');
  // NUMERIC affinity would keep only 15 digits: refused, never rounded; a TEXT-affinity column keeps it.
  for (const v of ['9223372036854775808', '3.14159265358979323846']) {
    assert.throws(
      () => sqliteValueFor('numeric', v),
      (e: unknown) => e instanceof ConversionError && /15/.test(e.reason),
    );
    assert.equal(sqliteValueFor('numeric', v, { targetType: 'NUMERIC_TEXT' }), v);
  }
  assert.equal(sqliteValueFor('boolean', true), 1n);
  assert.equal(sqliteValueFor('boolean', false), 0n);
  assert.equal(sqliteValueFor('text', '\\N'), '\\N');
  assert.deepEqual(sqliteValueFor('bytes', Buffer.from([0, 0])), Buffer.from([0, 0]));
  assert.equal(sqliteValueFor('date', '2024-02-29'), '2024-02-29');
  assert.equal(sqliteValueFor('time', 45296000001n), '12:34:56.000001');
  assert.equal(sqliteValueFor('timestamp', 1704164645000000n), '2024-01-02 03:04:05');
  assert.equal(sqliteValueFor('timestamp', 1704164645120000n), '2024-01-02 03:04:05.12');
  assert.equal(sqliteValueFor('timestamp', -1n), '1969-12-31 23:59:59.999999');
  assert.equal(sqliteValueFor('timestamptz', 1704164645000001n), '2024-01-02 03:04:05.000001+00:00');
  const sequelize = { kind: 'timestamp', separator: ' ', fraction: 3, zone: '+00:00', zoneSpace: true } as const;
  assert.equal(sqliteValueFor('timestamptz', 1704164645000000n, { style: sequelize }), '2024-01-02 03:04:05.000 +00:00');
  assert.equal(sqliteValueFor('timestamptz', 1704164645123456n, { style: sequelize }), '2024-01-02 03:04:05.123456 +00:00');
  const js = { kind: 'timestamp', separator: 'T', fraction: 3, zone: 'Z' } as const;
  assert.equal(sqliteValueFor('timestamptz', 1704164645120000n, { style: js }), '2024-01-02T03:04:05.120Z');
  const python = { kind: 'timestamp', separator: ' ', fraction: 6, omitZeroFraction: true, zone: '' } as const;
  assert.equal(sqliteValueFor('timestamp', 1704164645000000n, { style: python }), '2024-01-02 03:04:05');
  assert.equal(sqliteValueFor('timestamp', 1704164645100000n, { style: python }), '2024-01-02 03:04:05.100000');
  assert.equal(sqliteValueFor('timestamptz', 1704164645123000n, { epoch: 'milliseconds' }), 1704164645123n);
  assert.equal(sqliteValueFor('timestamptz', 1704164645000000n, { epoch: 'seconds' }), 1704164645n);
  assert.equal(sqliteValueFor('timestamptz', 1704164645500000n, { epoch: 'seconds' }), 1704164645.5);
  assert.equal(
    sqliteValueFor('uuid', '0b3f5e4c-5d6e-4f80-9a1b-2c3d4e5f6a7b', { style: { kind: 'uuid', upper: true, compact: true } }),
    '0B3F5E4C5D6E4F809A1B2C3D4E5F6A7B',
  );
  assert.equal(sqliteValueFor('jsonb', '{"a":1}'), '{"a":1}');
  // What SQLite stores converts back to the same canonical value.
  for (const [logical, v, normal, extra] of [
    ['timestamp', 1704164645120000n, 1704164645120000n, {}],
    ['timestamptz', -62135596800000000n, -62135596800000000n, {}],
    ['timestamptz', 1704164645123456n, 1704164645123456n, { style: sequelize }],
    ['timestamptz', 1704164645500000n, 1704164645500000n, { epoch: 'seconds' }],
    ['numeric', '12.50', '12.5', {}],
    ['numeric', '1e2', '100', {}],
    ['float64', NaN, NaN, {}],
    ['boolean', true, true, {}],
    ['uuid', '0b3f5e4c-5d6e-4f80-9a1b-2c3d4e5f6a7b', '0b3f5e4c-5d6e-4f80-9a1b-2c3d4e5f6a7b', { style: { kind: 'uuid', upper: true, compact: true } }],
  ] as [LogicalType, Value, Value, Partial<ColumnPlan>][]) {
    assert.deepEqual(normalizerFor(logical, extra.epoch ? { epoch: extra.epoch } : {})(sqliteValueFor(logical, v, extra)), normal, `${logical} ${String(v)}`);
  }
});

test('converters read every ORM date-time form, UUID forms and times, and refuse what a target column would change', () => {
  const tz = converterFor('timestamptz');
  const at = 1704142800438000n; // 2024-01-01 21:00:00.438 UTC
  for (const text of [
    '2024-01-01 21:00:00.438 +00:00',
    '2024-01-01T21:00:00.438Z',
    '2024-01-01 21:00:00.438+00',
    '2024-01-01T23:00:00.438+0200',
    '2024-01-01 21:00:00.438000 Z',
  ])
    assert.equal(tz(text), at, text);
  refuses('timestamptz', '2024-01-01 21:00:00.438');
  assert.equal(converterFor('timestamptz', { zonelessUtc: true })('2024-01-01 21:00:00.438'), at);
  assert.equal(converterFor('timestamp')('2016-07-04'), 1467590400000000n);
  refuses('timestamp', '2024-01-01 21:00:00 +00:00');
  refuses('timestamptz', '2024-01-01 +00:00');
  assert.equal(converterFor('date')('2024-01-02 00:00:00.000'), '2024-01-02');
  refuses('date', '2024-01-02 00:00:01');
  assert.equal(converterFor('uuid')('0B3F5E4C5D6E4F809A1B2C3D4E5F6A7B'), '0b3f5e4c-5d6e-4f80-9a1b-2c3d4e5f6a7b');
  refuses('uuid', 'not-a-uuid');
  assert.equal(converterFor('time')('21:00:00.438'), 75600438000n);
  refuses('time', '25:00');
  assert.equal(converterFor('boolean')('true'), true);
  assert.equal(converterFor('boolean')('0'), false);
  refuses('boolean', 't');
  const money = converterFor('numeric', { precision: 10, scale: 2 });
  assert.equal(money(19.99), '19.99');
  assert.equal(money('12.50'), '12.50');
  assert.equal(money(12345678n), '12345678');
  refuses('numeric', 1.005, { precision: 10, scale: 2 });
  refuses('numeric', 123456789n, { precision: 10, scale: 2 });
  const short = converterFor('text', { maxLength: 3 });
  assert.equal(short('é😀b'), 'é😀b');
  refuses('text', 'abcd', { maxLength: 3 });
});

test('timestamp text and microseconds round-trip across the whole range', () => {
  for (const micros of [0n, -1n, 1n, 951782400000000n, -62135596800000000n, 9224318015999999999n, 253402300799999999n]) {
    assert.equal(parseIsoTimestamp(formatTimestamp(micros), false), micros);
  }
  assert.equal(typeof parseIsoTimestamp('294277-01-01 00:00:00', false), 'string');
});
