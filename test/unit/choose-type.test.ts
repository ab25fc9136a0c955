import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseType, logicalFromPostgresType, type ChooseTypeInput, type ProfileFacts } from '../../src/transfer/choose-type.js';
import { FerryError } from '../../src/errors.js';

const empty: ProfileFacts = { nulls: 0, integers: 0, reals: 0, texts: 0, blobs: 0 };
const p = (over: Partial<ProfileFacts>): ProfileFacts => ({ ...empty, ...over });
const pick = (declared: string, profile?: ProfileFacts, extra: Partial<ChooseTypeInput> = {}) =>
  chooseType({ table: 't', column: 'c', declared, profile, direction: 'sqlite-to-postgres', ...extra });

test('empty columns use the declared type', () => {
  const cases: [string, string][] = [
    ['INTEGER', 'bigint'], ['int(5)', 'bigint'], ['tinyint', 'bigint'], ['REAL', 'double precision'], ['double precision', 'double precision'],
    ['NUMERIC', 'numeric'], ['DECIMAL(10,2)', 'numeric'], ['number', 'numeric'], ['NUM', 'numeric'], ['BOOLEAN', 'boolean'], ['BOOL', 'boolean'],
    ['DATE', 'date'], ['DATETIME', 'timestamp'], ['timestamp with time zone', 'timestamptz'], ['json', 'json'], ['BLOB', 'bytea'],
    ['text(100)', 'text'], ['VARCHAR(255)', 'text'], ['', 'text'], ['uuid', 'text'],
  ];
  for (const [declared, type] of cases) assert.equal(pick(declared, p({ nulls: 3 })).targetType, type, declared);
  assert.equal(pick('json', undefined, { jsonb: true }).targetType, 'jsonb');
});

test('the profile decides over the declared name, and REAL never becomes real', () => {
  assert.equal(pick('TEXT', p({ integers: 5, minInteger: 1n, maxInteger: 9n })).logical, 'int64');
  assert.equal(pick('NUMERIC', p({ reals: 5 })).targetType, 'double precision');
  assert.equal(pick('NUMERIC', p({ integers: 2, reals: 3 })).logical, 'numeric');
  assert.equal(pick('', p({ blobs: 1 })).logical, 'bytes');
  assert.equal(pick('BOOLEAN', p({ integers: 4, allZeroOne: true })).logical, 'boolean');
  const notBool = pick('BOOLEAN', p({ integers: 4, allZeroOne: false, minInteger: 0n, maxInteger: 2n }));
  assert.equal(notBool.logical, 'int64');
  assert.equal(notBool.warnings[0]?.code, 'BOOLEAN_AS_INTEGER');
});

test('mixed storage classes widen to text or bytea with a MIXED_TYPES warning naming the counts', () => {
  const r = pick('INTEGER', p({ integers: 10, texts: 2 }));
  assert.equal(r.logical, 'text');
  assert.equal(r.warnings[0]?.code, 'MIXED_TYPES');
  assert.match(r.warnings[0]!.message, /t\.c.*10 integer, 2 text/);
  assert.equal(pick('', p({ texts: 1, blobs: 1 })).logical, 'bytes');
});

test('timestamps only when every text value is the same ISO kind', () => {
  assert.equal(pick('DATE', p({ texts: 3, textDates: 3, textTimestamps: 0, textTimestampsTz: 0 })).logical, 'date');
  assert.equal(pick('DATETIME', p({ texts: 3, textDates: 0, textTimestamps: 3, textTimestampsTz: 0 })).logical, 'timestamp');
  assert.equal(pick('DATETIME', p({ texts: 3, textDates: 0, textTimestamps: 0, textTimestampsTz: 3 })).logical, 'timestamptz');
  const mixed = pick('DATETIME', p({ texts: 3, textDates: 1, textTimestamps: 2, textTimestampsTz: 0 }));
  assert.equal(mixed.logical, 'text');
  assert.equal(mixed.warnings[0]?.code, 'TIMESTAMP_AS_TEXT');
  assert.match(mixed.warnings[0]!.message, /mix kinds/);
  const bad = pick('TIMESTAMP', p({ texts: 3, textDates: 0, textTimestamps: 2, textTimestampsTz: 0 }));
  assert.match(bad.warnings[0]!.message, /1 of 3 values are not ISO/);
  const ints = pick('DATETIME', p({ integers: 3, minInteger: 1n, maxInteger: 2n }));
  assert.equal(ints.logical, 'int64');
  assert.equal(ints.warnings[0]?.code, 'TIMESTAMP_AS_INTEGER');
  assert.equal(pick('INTEGER', p({ integers: 3 }), { epoch: 'seconds' }).logical, 'timestamptz');
});

test('JSON: json by default, jsonb on request, text when a value does not parse', () => {
  assert.equal(pick('JSON', p({ texts: 2, textJson: 2 })).targetType, 'json');
  assert.equal(pick('JSON', p({ texts: 2, textJson: 2 }), { jsonb: true }).targetType, 'jsonb');
  const bad = pick('JSON', p({ texts: 2, textJson: 1 }), { jsonb: true });
  assert.equal(bad.logical, 'text');
  assert.equal(bad.warnings[0]?.code, 'JSON_AS_TEXT');
});

test('NUL characters are counted and warned about', () => {
  const r = pick('TEXT', p({ texts: 2, textWithNul: 1 }));
  assert.equal(r.logical, 'text');
  assert.equal(r.warnings[0]?.code, 'TEXT_WITH_NUL');
});

test('overrides are checked against the data', () => {
  assert.equal(pick('TEXT', p({ integers: 2, minInteger: 0n, maxInteger: 1n, allZeroOne: true }), { override: 'boolean' }).logical, 'boolean');
  assert.equal(pick('TEXT', p({ integers: 2 }), { override: 'bigint' }).targetType, 'bigint');
  assert.equal(pick('TEXT', p({ reals: 2 }), { override: 'double precision' }).logical, 'float64');
  const refuse = (declared: string, profile: ProfileFacts, override: string, re: RegExp) =>
    assert.throws(() => pick(declared, profile, { override }), (e: unknown) => e instanceof FerryError && e.code === 'TYPE_OVERRIDE' && re.test(e.message));
  refuse('TEXT', p({ integers: 2, texts: 1 }), 'int64', /t\.c.*"int64".*2 integer, 1 text/);
  refuse('REAL', p({ reals: 2 }), 'int64', /real/);
  refuse('INTEGER', p({ integers: 3, allZeroOne: false, minInteger: 0n, maxInteger: 2n }), 'boolean', /0\.\.2/);
  refuse('TEXT', p({ texts: 3, textDates: 0, textTimestamps: 2, textTimestampsTz: 0 }), 'timestamp', /timestamp/);
  refuse('INTEGER', p({ integers: 1, minInteger: 2n ** 60n, maxInteger: 2n ** 60n }), 'float64', /float64/);
  assert.throws(() => pick('TEXT', p({ texts: 1 }), { override: 'varchar2' }), (e: unknown) => e instanceof FerryError && e.code === 'TYPE_OVERRIDE' && /int64, float64/.test(e.hint ?? ''));
  assert.throws(() => pick('TEXT', p({ texts: 1 }), { epoch: 'seconds' }), (e: unknown) => e instanceof FerryError && e.code === 'TYPE_OVERRIDE');
});

test('PostgreSQL types map to logical types and SQLite names that map back', () => {
  const cases: [string, string, string][] = [
    ['smallint', 'int64', 'INTEGER'], ['integer', 'int64', 'INTEGER'], ['bigint', 'int64', 'INTEGER'], ['real', 'float64', 'REAL'],
    ['double precision', 'float64', 'REAL'], ['numeric(10,2)', 'numeric', 'NUMERIC_TEXT'], ['boolean', 'boolean', 'BOOLEAN'],
    ['text', 'text', 'TEXT'], ['character varying(20)', 'text', 'TEXT'], ['character(3)', 'text', 'TEXT'], ['bytea', 'bytes', 'BLOB'],
    ['date', 'date', 'DATE'], ['timestamp(3) without time zone', 'timestamp', 'TIMESTAMP'], ['timestamp with time zone', 'timestamptz', 'TIMESTAMPTZ'],
    ['json', 'json', 'JSON_TEXT'], ['jsonb', 'jsonb', 'JSONB_TEXT'], ['uuid', 'pgtext', 'TEXT'], ['integer[]', 'pgtext', 'TEXT'], ['interval', 'pgtext', 'TEXT'],
  ];
  for (const [pg, logical, sqlite] of cases) {
    assert.equal(logicalFromPostgresType(pg), logical, pg);
    const r = chooseType({ table: 't', column: 'c', declared: pg, direction: 'postgres-to-sqlite' });
    assert.equal(r.targetType, sqlite, pg);
    // The SQLite name, read back as a declared type of an empty column, gives the same PostgreSQL type.
    if (logical !== 'pgtext') assert.equal(pick(sqlite, p({ nulls: 1 }), { jsonb: false }).logical, logical, `${pg} round trip`);
  }
  assert.equal(chooseType({ table: 't', column: 'c', declared: 'uuid', override: 'text', direction: 'postgres-to-sqlite' }).logical, 'text');
  assert.throws(() => chooseType({ table: 't', column: 'c', declared: 'text', override: 'int64', direction: 'postgres-to-sqlite' }), /TYPE_OVERRIDE|cannot hold/);
});
