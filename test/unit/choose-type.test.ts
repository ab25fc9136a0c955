/**
 * The type mappers: SQLite declared type + profile -> neutral type -> PostgreSQL DDL, and the way
 * back. Pure: profiles are given as data.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseType } from '../../src/transfer/choose-type.js';
import { type ProfileFacts } from '../../src/engine/type-mapper.js';
import type { ReadTypeInput } from '../../src/engine/type-mapper.js';
import { postgresColumnType, postgresTypeMapper } from '../../src/engines/postgres/postgres-type-mapper.js';
import { sqliteTypeMapper } from '../../src/engines/sqlite/sqlite-type-mapper.js';
import { FerryError } from '../../src/errors.js';

const empty: ProfileFacts = { nulls: 0, integers: 0, reals: 0, texts: 0, blobs: 0 };
const p = (over: Partial<ProfileFacts>): ProfileFacts => ({ ...empty, ...over });
const pick = (declared: string, profile?: ProfileFacts, extra: Partial<ReadTypeInput> = {}) =>
  chooseType({ table: 't', column: 'c', declared, profile, jsonb: false, integers: 'fit', ...extra }, sqliteTypeMapper, postgresTypeMapper);
const back = (declared: string, extra: Partial<ReadTypeInput> = {}) =>
  chooseType({ table: 't', column: 'c', declared, jsonb: false, integers: 'fit', ...extra }, postgresTypeMapper, sqliteTypeMapper);
const ints = (min: bigint, max: bigint, n = 3) => p({ integers: n, minInteger: min, maxInteger: max, allZeroOne: min >= 0n && max <= 1n });

test('empty columns use the declared type, with its width, scale, limit and case rule', () => {
  const cases: [string, string][] = [
    ['INTEGER', 'integer'],
    ['int(5)', 'integer'],
    ['tinyint', 'smallint'],
    ['SMALLINT', 'smallint'],
    ['BIGINT', 'bigint'],
    ['unsigned big int', 'bigint'],
    ['REAL', 'double precision'],
    ['double precision', 'double precision'],
    ['NUMERIC', 'numeric'],
    ['DECIMAL(10,2)', 'numeric(10,2)'],
    ['NUMERIC(5)', 'numeric(5,0)'],
    ['number', 'numeric'],
    ['NUM', 'numeric'],
    ['BOOLEAN', 'boolean'],
    ['BOOL', 'boolean'],
    ['TINYINT(1)', 'boolean'],
    ['BIT', 'boolean'],
    ['DATE', 'date'],
    ['DATETIME', 'timestamp'],
    ['timestamp with time zone', 'timestamptz'],
    ['TIME', 'time'],
    ['json', 'json'],
    ['BLOB', 'bytea'],
    ['text(100)', 'text'],
    ['VARCHAR(255)', 'varchar(255)'],
    ['NVARCHAR(40)', 'varchar(40)'],
    ['CHAR(2)', 'varchar(2)'],
    ['', 'text'],
    ['uuid', 'uuid'],
  ];
  for (const [declared, type] of cases) assert.equal(pick(declared, p({ nulls: 3 })).targetType, type, declared);
  assert.equal(pick('json', undefined, { jsonb: true }).targetType, 'jsonb');
  assert.equal(pick('TEXT', undefined, { collation: 'NOCASE' }).targetType, 'citext');
  assert.equal(pick('INTEGER', undefined, { integers: 'bigint' }).targetType, 'bigint');
});

test('the profile decides over the declared name; REAL never becomes real; a declared DECIMAL never becomes double', () => {
  assert.equal(pick('TEXT', ints(1n, 9n)).type.logical, 'int64');
  assert.equal(pick('NUMERIC', p({ reals: 5 })).targetType, 'numeric');
  assert.equal(pick('NUM', p({ reals: 5 })).targetType, 'double precision');
  assert.equal(pick('DECIMAL(10,2)', p({ reals: 5, decimalFits: 5 })).targetType, 'numeric(10,2)');
  assert.equal(pick('NUMERIC', p({ integers: 2, reals: 3 })).type.logical, 'numeric');
  assert.equal(pick('', p({ blobs: 1 })).type.logical, 'bytes');
  assert.equal(pick('BOOLEAN', ints(0n, 1n, 4)).type.logical, 'boolean');
  assert.equal(pick('TINYINT(1)', ints(0n, 1n, 4)).targetType, 'boolean');
  const notBool = pick('BOOLEAN', ints(0n, 2n, 4));
  assert.equal(notBool.type.logical, 'int64');
  assert.equal(notBool.warnings[0]?.code, 'BOOLEAN_AS_INTEGER');
});

test('integers: the declared width when every value fits it, else bigint with a warning; the policy can force bigint', () => {
  assert.equal(pick('INTEGER', ints(-5n, 2147483647n)).targetType, 'integer');
  const big = pick('INTEGER', ints(0n, 2147483648n));
  assert.equal(big.targetType, 'bigint');
  assert.equal(big.warnings[0]?.code, 'INTEGER_AS_BIGINT');
  assert.equal(pick('SMALLINT', ints(0n, 40000n)).targetType, 'integer');
  assert.equal(pick('BIGINT', ints(0n, 5n)).targetType, 'bigint');
  assert.equal(pick('INTEGER', ints(0n, 5n), { integers: 'bigint' }).targetType, 'bigint');
});

test('DECIMAL(p,s) keeps its scale only when every value fits; otherwise unconstrained numeric, never rounded', () => {
  const r = pick('DECIMAL(10,2)', p({ reals: 4, integers: 1, decimalFits: 4 }));
  assert.equal(r.targetType, 'numeric');
  assert.equal(r.warnings[0]?.code, 'NUMERIC_NOT_FITTING');
  assert.match(r.warnings[0]!.message, /1 of 5 values/);
  assert.equal(pick('DECIMAL(10,2)', p({ texts: 2, textNumeric: 2, decimalFits: 2 })).targetType, 'numeric(10,2)');
  assert.equal(pick('DECIMAL(10,2)', p({ texts: 2, textNumeric: 1 })).type.logical, 'text');
});

test('VARCHAR(n) keeps its limit only when every value fits; NOCASE becomes citext', () => {
  assert.equal(pick('VARCHAR(5)', p({ texts: 2, maxTextLength: 5 })).targetType, 'varchar(5)');
  const long = pick('VARCHAR(5)', p({ texts: 2, maxTextLength: 6 }));
  assert.equal(long.targetType, 'text');
  assert.equal(long.warnings[0]?.code, 'VARCHAR_LIMIT_EXCEEDED');
  assert.equal(pick('VARCHAR(120)', p({ texts: 2, maxTextLength: 9 }), { collation: 'NOCASE' }).targetType, 'citext');
  assert.equal(pick('TEXT', p({ texts: 1 }), { collation: 'RTRIM' }).warnings[0]?.code, 'COLLATION_NOT_KEPT');
});

test('mixed storage classes widen to text or bytea with a MIXED_TYPES warning naming the counts', () => {
  const r = pick('INTEGER', p({ integers: 10, texts: 2 }));
  assert.equal(r.type.logical, 'text');
  assert.equal(r.warnings[0]?.code, 'MIXED_TYPES');
  assert.match(r.warnings[0]!.message, /t\.c.*10 integer, 2 text/);
  assert.equal(pick('', p({ texts: 1, blobs: 1 })).type.logical, 'bytes');
});

const forms = { separators: 1, fractions: 1 << 3, zones: 1 };

test('dates and times: every ORM text form, dates mixed with date-times, zones assumed UTC only with a warning', () => {
  assert.equal(pick('DATE', p({ texts: 3, textDates: 3, textTimestamps: 0, textTimestampsTz: 0 })).type.logical, 'date');
  assert.equal(pick('DATETIME', p({ texts: 3, textDates: 0, textTimestamps: 3, textTimestampsTz: 0, timestampForms: forms })).type.logical, 'timestamp');
  assert.equal(
    pick('DATETIME', p({ texts: 3, textDates: 0, textTimestamps: 0, textTimestampsTz: 3, timestampForms: { ...forms, zones: 4 | 32 } })).type.logical,
    'timestamptz',
  );
  const mixed = pick('DATETIME', p({ texts: 3, textDates: 1, textTimestamps: 2, textTimestampsTz: 0, timestampForms: forms }));
  assert.equal(mixed.type.logical, 'timestamp');
  assert.deepEqual(mixed.warnings, []);
  const zones = pick('DATETIME', p({ texts: 3, textDates: 0, textTimestamps: 1, textTimestampsTz: 2, timestampForms: { ...forms, zones: 1 | 2 } }));
  assert.equal(zones.type.logical, 'timestamptz');
  assert.equal(zones.zonelessUtc, true);
  assert.equal(zones.warnings[0]?.code, 'TIMESTAMP_ZONE_ASSUMED');
  const bad = pick('TIMESTAMP', p({ texts: 3, textDates: 0, textTimestamps: 2, textTimestampsTz: 0, textTimes: 0 }));
  assert.equal(bad.type.logical, 'text');
  assert.match(bad.warnings[0]!.message, /1 of 3 values are not ISO/);
  assert.equal(pick('TIME', p({ texts: 2, textDates: 0, textTimestamps: 0, textTimestampsTz: 0, textTimes: 2 })).targetType, 'time');
});

test('the text style of date-times is kept for the way back', () => {
  const sequelize = pick(
    'DATETIME',
    p({ texts: 2, textDates: 0, textTimestamps: 0, textTimestampsTz: 2, timestampForms: { separators: 1, fractions: 1 << 3, zones: 4 | 32 } }),
  );
  assert.deepEqual(sequelize.style, { kind: 'timestamp', separator: ' ', fraction: 3, zone: '+00:00', zoneSpace: true });
  const json = pick(
    'DATETIME',
    p({ texts: 2, textDates: 0, textTimestamps: 0, textTimestampsTz: 2, timestampForms: { separators: 2, fractions: 1 << 3, zones: 2 } }),
  );
  assert.deepEqual(json.style, { kind: 'timestamp', separator: 'T', fraction: 3, zone: 'Z' });
  const django = pick(
    'DATETIME',
    p({ texts: 2, textDates: 0, textTimestamps: 2, textTimestampsTz: 0, timestampForms: { separators: 1, fractions: 1 | (1 << 6), zones: 1 } }),
  );
  assert.deepEqual(django.style, { kind: 'timestamp', separator: ' ', fraction: 6, omitZeroFraction: true, zone: '' });
});

test('Unix times: plain seconds or milliseconds in a date-time column become timestamptz; anything else stays integer', () => {
  const ms = pick('DATETIME', ints(1_600_000_000_000n, 1_800_000_000_000n));
  assert.equal(ms.type.logical, 'timestamptz');
  assert.equal(ms.epoch, 'milliseconds');
  assert.equal(pick('TIMESTAMP', ints(1_600_000_000n, 1_800_000_000n)).epoch, 'seconds');
  const unclear = pick('DATETIME', ints(1n, 2n));
  assert.equal(unclear.type.logical, 'int64');
  assert.equal(unclear.warnings[0]?.code, 'TIMESTAMP_AS_INTEGER');
  assert.equal(pick('INTEGER', p({ integers: 3 }), { epoch: 'seconds' }).type.logical, 'timestamptz');
});

test('UUID text becomes uuid, in its style; JSON: json, jsonb on request, numbers are JSON too', () => {
  const u = pick('UUID', p({ texts: 2, textUuids: 2, uuidForms: 2 | 8 }));
  assert.equal(u.targetType, 'uuid');
  assert.deepEqual(u.style, { kind: 'uuid', upper: true, compact: true });
  assert.equal(pick('UUID', p({ texts: 2, textUuids: 1 })).warnings[0]?.code, 'UUID_AS_TEXT');
  assert.equal(pick('JSON', p({ texts: 2, textJson: 2 })).targetType, 'json');
  assert.equal(pick('JSON', p({ texts: 2, textJson: 2, integers: 1 })).targetType, 'json');
  assert.equal(pick('JSON', p({ texts: 2, textJson: 2 }), { jsonb: true }).targetType, 'jsonb');
  const bad = pick('JSON', p({ texts: 2, textJson: 1 }), { jsonb: true });
  assert.equal(bad.type.logical, 'text');
  assert.equal(bad.warnings[0]?.code, 'JSON_AS_TEXT');
});

test('NUL characters are counted and warned about', () => {
  const r = pick('TEXT', p({ texts: 2, textWithNul: 1 }));
  assert.equal(r.type.logical, 'text');
  assert.equal(r.warnings[0]?.code, 'TEXT_WITH_NUL');
});

test('overrides are checked against the data', () => {
  assert.equal(pick('TEXT', ints(0n, 1n, 2), { override: 'boolean' }).type.logical, 'boolean');
  assert.equal(pick('TEXT', p({ integers: 2 }), { override: 'bigint' }).targetType, 'bigint');
  assert.equal(pick('TEXT', p({ integers: 2 }), { override: 'integer' }).targetType, 'integer');
  assert.equal(pick('BIGINT', p({ integers: 2 }), { override: 'int64' }).targetType, 'bigint');
  assert.equal(pick('TEXT', p({ reals: 2 }), { override: 'double precision' }).type.logical, 'float64');
  const refuse = (declared: string, profile: ProfileFacts, override: string, re: RegExp) =>
    assert.throws(
      () => pick(declared, profile, { override }),
      (e: unknown) => e instanceof FerryError && e.code === 'TYPE_OVERRIDE' && re.test(e.message),
    );
  refuse('TEXT', p({ integers: 2, texts: 1 }), 'int64', /t\.c.*"int64".*2 integer, 1 text/);
  refuse('REAL', p({ reals: 2 }), 'int64', /real/);
  refuse('INTEGER', ints(0n, 2n), 'boolean', /0\.\.2/);
  refuse('TEXT', p({ texts: 3, textDates: 0, textTimestamps: 2, textTimestampsTz: 0 }), 'timestamp', /timestamp/);
  refuse('INTEGER', ints(2n ** 60n, 2n ** 60n, 1), 'float64', /float64/);
  assert.throws(
    () => pick('TEXT', p({ texts: 1 }), { override: 'varchar2' }),
    (e: unknown) => e instanceof FerryError && e.code === 'TYPE_OVERRIDE' && /int64, float64/.test(e.hint ?? ''),
  );
  assert.throws(
    () => pick('TEXT', p({ texts: 1 }), { epoch: 'seconds' }),
    (e: unknown) => e instanceof FerryError && e.code === 'TYPE_OVERRIDE',
  );
});

test('PostgreSQL types read into neutral types and SQLite names that drivers understand and that map back', () => {
  const cases: [string, string, string][] = [
    ['smallint', 'smallint', 'SMALLINT'],
    ['integer', 'integer', 'INTEGER'],
    ['bigint', 'bigint', 'BIGINT'],
    ['real', 'double precision', 'REAL'],
    ['double precision', 'double precision', 'REAL'],
    ['numeric(10,2)', 'numeric(10,2)', 'DECIMAL(10,2)'],
    ['numeric', 'numeric', 'NUMERIC'],
    ['boolean', 'boolean', 'BOOLEAN'],
    ['text', 'text', 'TEXT'],
    ['character varying(20)', 'varchar(20)', 'VARCHAR(20)'],
    ['citext', 'citext', 'TEXT COLLATE NOCASE'],
    ['bytea', 'bytea', 'BLOB'],
    ['date', 'date', 'DATE'],
    ['time without time zone', 'time', 'TIME'],
    ['timestamp(3) without time zone', 'timestamp', 'DATETIME'],
    ['json', 'json', 'JSON'],
    ['jsonb', 'jsonb', 'JSONB'],
    ['uuid', 'uuid', 'UUID'],
    ['integer[]', 'text', 'TEXT'],
    ['interval', 'text', 'TEXT'],
  ];
  for (const [pg, again, sqlite] of cases) {
    const r = back(pg);
    assert.equal(r.targetType, sqlite, pg);
    // The SQLite name, read back as the declared type of an empty column, gives the PostgreSQL type again.
    const [name, collation] = sqlite.split(' COLLATE ');
    const input: Partial<ReadTypeInput> = collation ? { collation } : {};
    assert.equal(pick(name!, p({ nulls: 1 }), input).targetType, again, `${pg} round trip`);
  }
  assert.equal(back('uuid', { override: 'text' }).type.logical, 'text');
  assert.throws(() => back('text', { override: 'int64' }), /TYPE_OVERRIDE|cannot hold/);
  assert.equal(back('numeric(30,2)', { profile: { ...empty, beyondDouble: 1 } }).targetType, 'NUMERIC_TEXT(30,2)');
  assert.deepEqual(postgresColumnType('character varying(120)'), { logical: 'text', maxLength: 120 });
});
