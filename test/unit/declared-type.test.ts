import { test } from 'node:test';
import assert from 'node:assert/strict';
import { affinityOf, parseDeclaredType } from '../../src/schema/declared-type.js';

test('every declared-type shape gets SQLite affinity (datatype3 section 3.1)', () => {
  const cases: [string, string][] = [
    ['INTEGER', 'INTEGER'],
    ['int(5)', 'INTEGER'],
    ['tinyint', 'INTEGER'],
    ['unsigned big int', 'INTEGER'],
    ['BIGINT', 'INTEGER'],
    ['text(100)', 'TEXT'],
    ['VARCHAR(255)', 'TEXT'],
    ['nchar(55)', 'TEXT'],
    ['CLOB', 'TEXT'],
    ['BLOB', 'BLOB'],
    ['', 'BLOB'],
    ['REAL', 'REAL'],
    ['double precision', 'REAL'],
    ['FLOAT', 'REAL'],
    ['NUMERIC', 'NUMERIC'],
    ['DECIMAL(10,5)', 'NUMERIC'],
    ['number', 'NUMERIC'],
    ['NUM', 'NUMERIC'],
    ['BOOLEAN', 'NUMERIC'],
    ['DATETIME', 'NUMERIC'],
    ['json', 'NUMERIC'],
    ['timestamp with time zone', 'NUMERIC'],
    // The first rule wins: "POINT" contains INT, "CHARINT" is INTEGER before TEXT.
    ['FLOATING POINT', 'INTEGER'],
    ['CHARINT', 'INTEGER'],
    // ferry's own round-trip names keep text exactly.
    ['NUMERIC_TEXT', 'TEXT'],
    ['JSON_TEXT', 'TEXT'],
    ['JSONB_TEXT', 'TEXT'],
    ['TIMESTAMPTZ', 'NUMERIC'],
  ];
  for (const [declared, affinity] of cases) assert.equal(affinityOf(declared), affinity, declared);
});

test('hints come from the name; base and arguments are parsed', () => {
  const hint = (s: string) => parseDeclaredType(s).hint;
  assert.equal(hint('BOOL'), 'boolean');
  assert.equal(hint('boolean'), 'boolean');
  assert.equal(hint('DATE'), 'date');
  assert.equal(hint('DATETIME'), 'timestamp');
  assert.equal(hint('timestamp'), 'timestamp');
  assert.equal(hint('timestamp with time zone'), 'timestamptz');
  assert.equal(hint('TIMESTAMPTZ'), 'timestamptz');
  assert.equal(hint('time'), 'time');
  assert.equal(hint('json'), 'json');
  assert.equal(hint('JSONB_TEXT'), 'jsonb');
  assert.equal(hint('uuid'), 'uuid');
  assert.equal(hint('DECIMAL(10,2)'), 'decimal');
  assert.equal(hint('NUMERIC_TEXT'), 'decimal');
  assert.equal(hint('text(100)'), null);
  assert.equal(hint(''), null);
  const d = parseDeclaredType('  Decimal ( 10 , 2 ) ');
  assert.equal(d.base, 'DECIMAL');
  assert.deepEqual(d.args, [10, 2]);
  assert.equal(parseDeclaredType('unsigned   big int').base, 'UNSIGNED BIG INT');
  assert.equal(parseDeclaredType(null).empty, true);
});
