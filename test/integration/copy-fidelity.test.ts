/**
 * `ferry copy` fidelity: a SQLite database holding every awkward value (int64 extremes, -0.0,
 * subnormal and extreme doubles, infinities, full-precision doubles, hostile text, empty text
 * beside NULL, blobs with zero bytes, text in INTEGER columns, numbers in TEXT columns, timestamps
 * in several formats, 0/1 booleans, JSON, identifiers with mixed case, spaces and quotes) is
 * copied to PostgreSQL and read back value by value with a plain pg client; verified; copied back
 * to a new SQLite file and compared with the original by storage class and bits (or by the
 * documented widened form); verified again. Also: identity columns continue after the max key
 * (and after sqlite_sequence for AUTOINCREMENT), and CURRENT_TIMESTAMP defaults work in PostgreSQL.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ferry } from '../support/cli.js';
import { freshPostgresDatabase } from '../support/postgres.js';
import { tempDir } from '../support/sqlite-fixtures.js';
import { bits, pgColumnTypes, q, randomDouble, randomInt64, rng, sqliteTyped, typedKey, withPg, type Typed } from '../support/copy-fixtures.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const BULK = 1500;

/** Timestamps without zone: input text -> the UTC wall time (microseconds) it denotes. */
const TS_VALUES: [string, string][] = [
  ['2024-01-02 03:04:05', '2024-01-02 03:04:05.000000'],
  ['2024-01-02T03:04:05.123456', '2024-01-02 03:04:05.123456'],
  ['2024-01-02 03:04', '2024-01-02 03:04:00.000000'],
  ['1969-12-31 23:59:59.999999', '1969-12-31 23:59:59.999999'],
  ['0001-01-01 00:00:00', '0001-01-01 00:00:00.000000'],
  ['2024-02-29T12:00:00.5', '2024-02-29 12:00:00.500000'],
];
/** Timestamps with zone: input text -> the UTC instant. */
const TZ_VALUES: [string, string][] = [
  ['2024-01-02T03:04:05Z', '2024-01-02 03:04:05.000000'],
  ['2024-01-02 03:04:05+05:30', '2024-01-01 21:34:05.000000'],
  ['2024-01-02 03:04:05.5-0200', '2024-01-02 05:04:05.500000'],
  ['2024-06-30T23:59:59.999999+00:00', '2024-06-30 23:59:59.999999'],
  ['1999-12-31 23:00:00-01:00', '2000-01-01 00:00:00.000000'],
  ['2024-03-10 01:02:03.000001Z', '2024-03-10 01:02:03.000001'],
];
const DATES = ['2024-02-29', '0001-01-01', '9999-12-31', '1970-01-01', '2000-01-01', '1969-07-20'];
/** Declared DATETIME, but not all ISO: stays text (with a warning). */
const LOOSE = ['2024-02-30', '01/02/2024', 'yesterday', '2024-01-02 03:04:05', '', 'now'];

const TEXTS = [
  '😀 emoji 👩‍👩‍👧 and é',
  'back\\slash \\\\ double',
  '\\N',
  'tab\there',
  'new\nline',
  'cr\r\nlf',
  '"double" \'single\' `back`',
  '',
  '\\.',
  ' leading and trailing ',
  'NULL',
  '\u00a0nbsp\u2028ls\u2029ps',
  'é'.repeat(5000),
  '\u{10FFFF}\uFFFD',
];

/** UTC microseconds of an ISO date-time (zone optional; without one it is read as UTC). */
function micros(text: string): bigint {
  const m = /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,6}))?)?(Z|[+-]\d\d:?\d\d)?$/.exec(text);
  assert.ok(m, `not an ISO date-time: ${text}`);
  const d = new Date(0);
  d.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  d.setUTCHours(Number(m[4]), Number(m[5]), Number(m[6] ?? 0), 0);
  let us = BigInt(d.getTime()) * 1000n + BigInt((m[7] ?? '').padEnd(6, '0') || '0');
  const zone = m[8];
  if (zone && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1n : 1n;
    const digits = zone.slice(1).replace(':', '');
    us -= sign * (BigInt(Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000_000n);
  }
  return us;
}

function randomText(next: () => number): string {
  const len = Math.floor(next() * 40);
  let s = '';
  for (let i = 0; i < len; i++) {
    const pick = next();
    let cp: number;
    if (pick < 0.5) cp = 32 + Math.floor(next() * 95);
    else if (pick < 0.6) cp = [9, 10, 13, 92][Math.floor(next() * 4)]!;
    else if (pick < 0.85) cp = 0xa0 + Math.floor(next() * 0xd000);
    else cp = 0x10000 + Math.floor(next() * 0xfffff);
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0x41;
    s += String.fromCodePoint(cp);
  }
  return s;
}

/** Builds the source database; returns facts the assertions need. */
function buildSource(file: string): { sequence: bigint; maxInts: bigint } {
  const db = new Database(file);
  db.defaultSafeIntegers(true);
  const next = rng(20240611);
  db.exec(`
    CREATE TABLE ints (id INTEGER PRIMARY KEY, v INTEGER, big BIGINT NOT NULL);
    CREATE TABLE reals (id INTEGER PRIMARY KEY, r REAL, u);
    CREATE TABLE texts (id INTEGER PRIMARY KEY, s TEXT, n TEXT);
    CREATE TABLE blobs (id INTEGER PRIMARY KEY, b BLOB);
    CREATE TABLE mixed (id INTEGER PRIMARY KEY, i INTEGER, m, mb, num);
    CREATE TABLE times (id INTEGER PRIMARY KEY, ts DATETIME, tz TIMESTAMP, d DATE, loose DATETIME,
      created TIMESTAMP DEFAULT CURRENT_TIMESTAMP, created_text TEXT DEFAULT CURRENT_TIMESTAMP);
    CREATE TABLE flags (id INTEGER PRIMARY KEY, b BOOLEAN, b_nn BOOLEAN NOT NULL DEFAULT 0);
    CREATE TABLE docs (id INTEGER PRIMARY KEY, j JSON);
    CREATE TABLE auto (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT);
    CREATE TABLE "Mixed Case" ("Id" INTEGER PRIMARY KEY, "with space" TEXT, "quo""te" INTEGER, "it's" REAL, "UPPER" TEXT, "lower" TEXT);
    CREATE TABLE "with space" ("Key Col" TEXT PRIMARY KEY, "Val" INTEGER) WITHOUT ROWID;
    CREATE TABLE "quo""te" (id INTEGER PRIMARY KEY, "a""b" TEXT, "x""" BLOB);
    CREATE TABLE "it's" (id INTEGER PRIMARY KEY, "it's" TEXT, "Ünïcode ✓" INTEGER);
  `);
  db.transaction(() => {
    const ints = db.prepare('INSERT INTO ints (id, v, big) VALUES (?, ?, ?)');
    const fixed: (bigint | null)[] = [INT64_MIN, INT64_MAX, 0n, -1n, 1n, null, 2n ** 53n + 1n, -(2n ** 53n) - 1n, INT64_MIN + 1n, INT64_MAX - 1n];
    fixed.forEach((v, i) => ints.run(BigInt(i + 1), v, v ?? 0n));
    for (let i = 0; i < BULK; i++) ints.run(BigInt(100 + i), randomInt64(next), randomInt64(next));

    const reals = db.prepare('INSERT INTO reals (id, r, u) VALUES (?, ?, ?)');
    const doubles = [
      -0,
      1e-300,
      1.7976931348623157e308,
      -1.7976931348623157e308,
      Infinity,
      -Infinity,
      5e-324,
      -5e-324,
      2.2250738585072014e-308,
      0.1,
      0.30000000000000004,
      601002.052186677,
      1 / 3,
      Math.PI,
      1,
      2 ** 53,
      123456789.12345679,
      1e21,
      1e-7,
    ];
    // u is untyped, so SQLite would keep a -0.0 there; that case has its own test below.
    doubles.forEach((d, i) => reals.run(BigInt(i + 1), d, Object.is(d, -0) ? -1.5 : d));
    // NaN: SQLite cannot store it; binding one gives NULL.
    reals.run(100n, NaN, NaN);
    reals.run(101n, null, null);
    for (let i = 0; i < BULK; i++) {
      const d = randomDouble(next);
      reals.run(BigInt(200 + i), d, randomDouble(next));
    }

    const texts = db.prepare('INSERT INTO texts (id, s, n) VALUES (?, ?, ?)');
    // n: numbers written into a TEXT column (TEXT affinity turns them into text).
    const numbers: (bigint | number | string | null)[] = [42n, 1.5, -0.25, INT64_MAX, '007', 1e-300, null, '1e5', 3n, 0n, 'x', '', 2.5, -7n];
    TEXTS.forEach((s, i) => texts.run(BigInt(i + 1), s, numbers[i % numbers.length]!));
    texts.run(100n, null, null);
    for (let i = 0; i < BULK; i++) texts.run(BigInt(200 + i), randomText(next), String(i));

    const blobs = db.prepare('INSERT INTO blobs (id, b) VALUES (?, ?)');
    const fixedBlobs = [
      Buffer.from([0, 0, 0]),
      Buffer.alloc(0),
      Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
      Buffer.from('\\x00\\N', 'latin1'),
      Buffer.alloc(70_000, 0),
      null,
    ];
    fixedBlobs.forEach((b, i) => blobs.run(BigInt(i + 1), b));
    for (let i = 0; i < 300; i++) blobs.run(BigInt(100 + i), Buffer.from(Array.from({ length: Math.floor(next() * 64) }, () => Math.floor(next() * 256))));

    const mixed = db.prepare('INSERT INTO mixed (id, i, m, mb, num) VALUES (?, ?, ?, ?, ?)');
    // i: INTEGER column holding text; m: integer, real and text; mb: integer and blob; num: integer and real.
    mixed.run(1n, 5n, 5n, 7n, 5n);
    mixed.run(2n, 'abc', 1.5, Buffer.from([0, 1, 2]), 1.5);
    mixed.run(3n, '12abc', 'x', Buffer.alloc(0), -3n);
    mixed.run(4n, INT64_MIN, 0.1, 'text in a blob column', 0.1);
    mixed.run(5n, null, null, null, null);
    mixed.run(6n, '', -0.5, 0n, 1e300);
    mixed.run(7n, -1n, INT64_MAX, 12n, INT64_MAX);

    const times = db.prepare('INSERT INTO times (id, ts, tz, d, loose, created, created_text) VALUES (?, ?, ?, ?, ?, ?, ?)');
    TS_VALUES.forEach(([ts], i) => times.run(BigInt(i + 1), ts, TZ_VALUES[i]![0], DATES[i]!, LOOSE[i]!, '2020-05-06 07:08:09', '2020-05-06 07:08:09'));
    times.run(100n, null, null, null, null, null, null);

    const flags = db.prepare('INSERT INTO flags (id, b, b_nn) VALUES (?, ?, ?)');
    [1n, 0n, null, 1n, 0n].forEach((b, i) => flags.run(BigInt(i + 1), b, b ?? 1n));

    const docs = db.prepare('INSERT INTO docs (id, j) VALUES (?, ?)');
    ['{"b": 1, "a": [1.50, {"z": null}]}', '[]', '"\\u00e9"', '[12345678901234567890]', '{"a":1,"a":2}', '  {"spaced" : true}  ', null].forEach((j, i) =>
      docs.run(BigInt(i + 1), j),
    );

    const auto = db.prepare('INSERT INTO auto (v) VALUES (?)');
    for (let i = 1; i <= 10; i++) auto.run(`row ${i}`);
    db.exec('DELETE FROM auto WHERE id > 7');

    db.prepare(`INSERT INTO "Mixed Case" VALUES (?, ?, ?, ?, ?, ?)`).run(1n, 'a b', 3n, 0.5, 'UP', 'low');
    db.prepare(`INSERT INTO "Mixed Case" VALUES (?, ?, ?, ?, ?, ?)`).run(2n, null, -3n, -0.5, '', null);
    db.prepare(`INSERT INTO "with space" VALUES (?, ?)`).run('key one', 1n);
    db.prepare(`INSERT INTO "with space" VALUES (?, ?)`).run('Key Two', 2n);
    db.prepare(`INSERT INTO "with space" VALUES (?, ?)`).run('ключ', 3n);
    db.prepare(`INSERT INTO "quo""te" VALUES (?, ?, ?)`).run(1n, 'say "hi"', Buffer.from('"'));
    db.prepare(`INSERT INTO "it's" VALUES (?, ?, ?)`).run(1n, "it's", 9n);
  })();
  const sequence = db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'auto'`).pluck().get() as bigint;
  const maxInts = db.prepare('SELECT max(id) FROM ints').pluck().get() as bigint;
  db.close();
  return { sequence, maxInts };
}

/** Source columns per table (in order), with the key to order by. */
const TABLES: Record<string, { columns: string[]; order: string }> = {
  ints: { columns: ['id', 'v', 'big'], order: 'id' },
  reals: { columns: ['id', 'r', 'u'], order: 'id' },
  texts: { columns: ['id', 's', 'n'], order: 'id' },
  blobs: { columns: ['id', 'b'], order: 'id' },
  mixed: { columns: ['id', 'i', 'm', 'mb', 'num'], order: 'id' },
  times: { columns: ['id', 'ts', 'tz', 'd', 'loose', 'created', 'created_text'], order: 'id' },
  flags: { columns: ['id', 'b', 'b_nn'], order: 'id' },
  docs: { columns: ['id', 'j'], order: 'id' },
  auto: { columns: ['id', 'v'], order: 'id' },
  'Mixed Case': { columns: ['Id', 'with space', 'quo"te', "it's", 'UPPER', 'lower'], order: '"Id"' },
  'with space': { columns: ['Key Col', 'Val'], order: '"Key Col"' },
  'quo"te': { columns: ['id', 'a"b', 'x"'], order: 'id' },
  "it's": { columns: ['id', "it's", 'Ünïcode ✓'], order: 'id' },
};

/**
 * PostgreSQL types each column must get (information_schema data_type). INTEGER columns whose values
 * fit 32 bits are integer (node-postgres reads them as numbers); BIGINT and wider values are bigint.
 */
const PG_TYPES: Record<string, Record<string, string>> = {
  ints: { id: 'integer', v: 'bigint', big: 'bigint' },
  reals: { id: 'integer', r: 'double precision', u: 'double precision' },
  texts: { id: 'integer', s: 'text', n: 'text' },
  blobs: { id: 'integer', b: 'bytea' },
  mixed: { id: 'integer', i: 'text', m: 'text', mb: 'bytea', num: 'numeric' },
  times: {
    id: 'integer',
    ts: 'timestamp without time zone',
    tz: 'timestamp with time zone',
    d: 'date',
    loose: 'text',
    created: 'timestamp without time zone',
    created_text: 'text',
  },
  flags: { id: 'integer', b: 'boolean', b_nn: 'boolean' },
  docs: { id: 'integer', j: 'json' },
  auto: { id: 'integer', v: 'text' },
  'Mixed Case': { Id: 'integer', 'with space': 'text', 'quo"te': 'integer', "it's": 'double precision', UPPER: 'text', lower: 'text' },
  'with space': { 'Key Col': 'text', Val: 'integer' },
  'quo"te': { id: 'integer', 'a"b': 'text', 'x"': 'bytea' },
  "it's": { id: 'integer', "it's": 'text', 'Ünïcode ✓': 'integer' },
};

/**
 * Columns the values force to a type their declaration does not mean (an INTEGER column holding
 * text, a DATETIME column holding text that is not a date-time): the config says so, and verify
 * then accepts the difference in meaning; without it, verify reports it (exit 4).
 */
const ACCEPTED = { copy: { tables: { mixed: { columns: { i: { type: 'text' } } }, times: { columns: { loose: { type: 'text' } } } } } };

/** How PostgreSQL must hold a source value of a column, as a comparable string. */
function expectPg(table: string, column: string, v: Typed): string {
  if (v.type === 'null') return 'null';
  const pgType = PG_TYPES[table]![column]!;
  switch (pgType) {
    case 'bigint':
    case 'integer':
      assert.equal(v.type, 'integer', `${table}.${column}: source is integer`);
      return `int:${String(v.value)}`;
    case 'double precision':
      return `float:${bits(v.value as number)}`;
    case 'boolean':
      return `bool:${v.value === 1n}`;
    case 'bytea':
      return `bytes:${(v.type === 'blob' ? Buffer.from(v.value as Uint8Array) : Buffer.from(String(v.value), 'utf8')).toString('hex')}`;
    case 'numeric':
      return `num:${String(v.value)}`;
    case 'timestamp without time zone':
    case 'timestamp with time zone':
      return `us:${micros(String(v.value))}`;
    case 'text':
      if (v.type === 'real') return `text:${Object.is(v.value, -0) ? '-0' : String(v.value)}`;
      return `text:${String(v.value)}`;
    default:
      return `text:${String(v.value)}`;
  }
}

/** SELECT list that reads each PostgreSQL column in an exact, comparable form. */
function pgSelect(table: string): string {
  return TABLES[table]!.columns.map((c) => {
    const t = PG_TYPES[table]![c]!;
    if (t === 'double precision' || t === 'numeric') return `${q(c)}::text`;
    if (t === 'timestamp without time zone' || t === 'timestamp with time zone') return `to_char(${q(c)}, 'YYYY-MM-DD HH24:MI:SS.US')`;
    if (t === 'json') return `${q(c)}::text`;
    if (t === 'date') return `${q(c)}::text`;
    return q(c);
  }).join(', ');
}

/** A PostgreSQL value (as pgSelect reads it) as a comparable string. */
function pgKey(table: string, column: string, v: unknown): string {
  if (v === null) return 'null';
  switch (PG_TYPES[table]![column]!) {
    case 'bigint':
    case 'integer':
      assert.equal(typeof v, 'bigint');
      return `int:${String(v)}`;
    case 'double precision':
      return `float:${bits(Number(v))}`;
    case 'boolean':
      return `bool:${String(v)}`;
    case 'bytea':
      return `bytes:${(v as Buffer).toString('hex')}`;
    case 'numeric':
      return `num:${String(v)}`;
    case 'timestamp without time zone':
    case 'timestamp with time zone':
      return `us:${micros(String(v))}`;
    default:
      return `text:${String(v)}`;
  }
}

test('every awkward value survives SQLite -> PostgreSQL -> SQLite exactly, and verify agrees at each step', { timeout: 180_000 }, async (t) => {
  const db = await freshPostgresDatabase(t);
  if (!db) return;
  const dir = tempDir('copy-fidelity');
  const src = path.join(dir, 'src.db');
  const rt = path.join(dir, 'roundtrip.db');
  const facts = buildSource(src);

  // What SQLite really holds for the awkward doubles: a REAL column stores the whole-number -0.0
  // as the integer 0 (so it reads back +0, and the copy must keep exactly that); NaN is NULL.
  const [negZero] = sqliteTyped(src, 'reals', ['r', 'u'], 'id');
  assert.equal(negZero![0]!.type, 'real');
  assert.equal(bits(negZero![0]!.value as number), bits(0), 'SQLite REAL column holds +0 for -0.0');
  const nanRow = sqliteTyped(src, 'reals', ['r', 'u'], 'id').find((_, i) => i === 19)!;
  assert.deepEqual(
    nanRow.map((v) => v.type),
    ['null', 'null'],
    'NaN is stored as NULL',
  );

  // 1. SQLite -> PostgreSQL.
  fs.writeFileSync(path.join(dir, 'ferry.config.json'), JSON.stringify(ACCEPTED));
  const copy = await ferry(dir, 'copy', 'src.db', db.url, '--json');
  assert.equal(copy.status, 0, `copy exits 0: ${copy.stdout}\n${copy.stderr}`);
  const report = JSON.parse(copy.stdout) as {
    ok: boolean;
    totals: { rows: number; rejects: number };
    warnings: { code: string; table: string; column?: string }[];
    verify: { ok: boolean };
  };
  assert.equal(report.ok, true);
  assert.equal(report.totals.rejects, 0);
  assert.equal(report.verify.ok, true);
  const mixedWarnings = report.warnings
    .filter((w) => w.code === 'MIXED_TYPES')
    .map((w) => `${w.table}.${w.column}`)
    .sort();
  // Each mixed column is warned about, but for the ones the config types as text on purpose.
  assert.deepEqual(mixedWarnings, ['mixed.m', 'mixed.mb'], 'each mixed column not configured is warned about');
  assert.ok(!report.warnings.some((w) => w.code === 'TIMESTAMP_AS_TEXT'), 'the loose timestamps are configured as text');

  // 2. Column types and identifiers, exactly.
  const pgTableNames = await withPg(db.url, async (c) =>
    (await c.query<{ t: string }>(`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`)).rows.map((r) => r.t),
  );
  assert.deepEqual(
    pgTableNames,
    ['_ferry_origin', ...Object.keys(TABLES)].sort(),
    'every table, names exact (case, spaces, quotes), the origin record, and no state table left',
  );
  for (const table of Object.keys(TABLES)) {
    assert.deepEqual(await pgColumnTypes(db.url, table), PG_TYPES[table], `column names and types of ${table}`);
  }

  // 3. Every value, read back with a plain pg client.
  await withPg(db.url, async (c) => {
    await c.query(`SET TimeZone = 'UTC'`);
    for (const [table, { columns, order }] of Object.entries(TABLES)) {
      const source = sqliteTyped(src, table, columns, order);
      // Text keys in byte order, as SQLite's BINARY collation sorts them.
      const pgOrder = table === 'with space' ? `${order} COLLATE "C"` : order;
      const got = (await c.query({ text: `SELECT ${pgSelect(table)} FROM ${q(table)} ORDER BY ${pgOrder}`, rowMode: 'array' })).rows as unknown[][];
      assert.equal(got.length, source.length, `${table}: row count`);
      source.forEach((row, r) => {
        columns.forEach((col, i) => {
          const where = `${table}.${col} row ${r} (source ${typedKey(row[i]!)})`;
          if (PG_TYPES[table]![col] === 'numeric' && row[i]!.type !== 'null') {
            // numeric holds the number exactly: an integer digit for digit, a real as the same double.
            const text = String(got[r]![i]);
            if (row[i]!.type === 'integer') assert.equal(text, String(row[i]!.value), where);
            else assert.equal(bits(Number(text)), bits(row[i]!.value as number), `${where}: PostgreSQL holds ${text}`);
            return;
          }
          assert.equal(pgKey(table, col, got[r]![i]), expectPg(table, col, row[i]!), where);
        });
      });
    }
    // Dates come back as the same calendar day.
    const days = (await c.query<{ d: string | null }>(`SELECT d::text AS d FROM times ORDER BY id`)).rows.map((r) => r.d);
    assert.deepEqual(days, [...DATES, null]);
    // Spot checks of the documented widened forms.
    const mixed = (await c.query({ text: `SELECT i, m, encode(mb, 'hex') AS mb FROM mixed ORDER BY id`, rowMode: 'array' })).rows;
    assert.deepEqual(mixed[0], ['5', '5', Buffer.from('7').toString('hex')]);
    assert.deepEqual(mixed[1], ['abc', '1.5', '000102']);
    assert.equal(mixed[6]![1], String(INT64_MAX));
    const tz = (
      await c.query<{ v: string }>(`SELECT to_char(tz, 'YYYY-MM-DD HH24:MI:SS.US') AS v FROM times WHERE id <= ${TZ_VALUES.length} ORDER BY id`)
    ).rows.map((r) => r.v);
    assert.deepEqual(
      tz,
      TZ_VALUES.map(([, utc]) => utc),
      'timestamptz holds the instants',
    );
    const ts = (
      await c.query<{ v: string }>(`SELECT to_char(ts, 'YYYY-MM-DD HH24:MI:SS.US') AS v FROM times WHERE id <= ${TS_VALUES.length} ORDER BY id`)
    ).rows.map((r) => r.v);
    assert.deepEqual(
      ts,
      TS_VALUES.map(([, wall]) => wall),
      'timestamp holds the wall times',
    );
    const zeroPg = (await c.query<{ r: string }>(`SELECT r::text AS r FROM reals WHERE id = 1`)).rows[0]!.r;
    assert.equal(zeroPg, '0', "the REAL column's +0 (what SQLite made of -0.0) stays +0");
  });

  // 4. Standalone verify agrees, with the config or without it: the copy recorded which types were
  //    configured, so the two widened columns stay the user's choice (copy-meaning tests the refusal).
  const v1 = await ferry(dir, 'verify', 'src.db', db.url);
  assert.equal(v1.status, 0, `verify SQLite vs PostgreSQL exits 0: ${v1.stdout}${v1.stderr}`);
  assert.match(v1.stdout, /All 13 table\(s\) verified successfully/);
  fs.rmSync(path.join(dir, 'ferry.config.json'));
  const v1b = await ferry(dir, 'verify', 'src.db', db.url, '--json');
  assert.equal(v1b.status, 0, v1b.stdout);
  const schema = (JSON.parse(v1b.stdout) as { schema: { table: string; column?: string; severity: string; kind: string }[] }).schema;
  assert.deepEqual(
    schema
      .filter((d) => d.kind === 'TYPE')
      .map((d) => `${d.table}.${d.column}:${d.severity}`)
      .sort(),
    ['mixed.i:cosmetic', 'times.loose:cosmetic'],
  );

  // 5. PostgreSQL -> a new SQLite file, then every value against the original.
  const back = await ferry(dir, 'copy', db.url, 'roundtrip.db', '--json');
  assert.ok(back.status === 0 || back.status === 4, `copy back runs to the end: ${back.stdout}\n${back.stderr}`);
  const backReport = JSON.parse(back.stdout) as { tables: { target: string; rows: number; bytes: number }[] };
  for (const t of backReport.tables) if (t.rows > 0) assert.ok(t.bytes > 0, `the copy back reports the bytes it wrote into ${t.target}`);
  const problems: string[] = [];
  for (const [table, { columns, order }] of Object.entries(TABLES)) {
    const a = sqliteTyped(src, table, columns, order);
    const b = sqliteTyped(rt, table, columns, order);
    assert.equal(b.length, a.length, `${table}: row count after the round trip`);
    a.forEach((row, r) => {
      columns.forEach((col, i) => {
        const orig = row[i]!;
        const now = b[r]![i]!;
        const want = roundTripExpectation(table, col, orig);
        const got = typeof want === 'string' ? typedKey(now) : now;
        const ok = typeof want === 'string' ? got === want : want(now);
        if (!ok) problems.push(`${table}.${col} row ${r}: original ${typedKey(orig)}, round trip ${typedKey(now)}`);
      });
    });
  }
  assert.deepEqual(problems.slice(0, 20), [], `${problems.length} value(s) changed in the round trip`);
  assert.equal(back.status, 0, `copy back exits 0 (its verify passes): ${back.stdout}`);

  // 6. Verify PostgreSQL against the round-tripped file.
  const v2 = await ferry(dir, 'verify', db.url, 'roundtrip.db');
  assert.equal(v2.status, 0, `verify PostgreSQL vs round trip exits 0: ${v2.stdout}${v2.stderr}`);

  // 7. Identity columns continue after the max key (after sqlite_sequence with AUTOINCREMENT),
  //    and CURRENT_TIMESTAMP defaults give the current time.
  await withPg(db.url, async (c) => {
    await c.query(`SET TimeZone = 'UTC'`);
    const autoId = (await c.query<{ id: bigint }>(`INSERT INTO auto (v) VALUES ('new') RETURNING id`)).rows[0]!.id;
    assert.equal(facts.sequence, 10n);
    assert.equal(autoId, facts.sequence + 1n, 'AUTOINCREMENT continues after sqlite_sequence, not after the max id 7');
    const intsId = (await c.query<{ id: bigint }>(`INSERT INTO ints (v, big) VALUES (1, 1) RETURNING id`)).rows[0]!.id;
    assert.equal(intsId, facts.maxInts + 1n, 'INTEGER PRIMARY KEY continues after the max key');
    const mc = (await c.query<{ Id: bigint }>(`INSERT INTO "Mixed Case" ("with space") VALUES ('new') RETURNING "Id"`)).rows[0]!.Id;
    assert.equal(mc, 3n);
    const row = (
      await c.query<{ created: string; created_text: string; ok: boolean; ok_text: boolean }>(
        `INSERT INTO times (id) VALUES (1000) RETURNING to_char(created, 'YYYY-MM-DD HH24:MI:SS') AS created, created_text,
         abs(extract(epoch FROM (created - (now() AT TIME ZONE 'UTC')))) < 120 AS ok,
         abs(extract(epoch FROM (created_text::timestamp - (now() AT TIME ZONE 'UTC')))) < 120 AS ok_text`,
      )
    ).rows[0]!;
    assert.match(row.created, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    assert.equal(row.ok, true, `created defaults to the current UTC time (got ${row.created})`);
    assert.match(row.created_text, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/, "a TEXT CURRENT_TIMESTAMP default gives SQLite's text shape");
    assert.equal(row.ok_text, true, `created_text defaults to the current UTC time (got ${row.created_text})`);
    const flag = (await c.query<{ b_nn: boolean }>(`INSERT INTO flags (id) VALUES (1000) RETURNING b_nn`)).rows[0]!.b_nn;
    assert.equal(flag, false, 'a BOOLEAN DEFAULT 0 becomes false');
  });
});

/**
 * What the round-tripped SQLite value must be, given the original: the same storage class and
 * bits where the type was not widened; the documented form where it was.
 */
function roundTripExpectation(table: string, column: string, orig: Typed): string | ((v: Typed) => boolean) {
  if (orig.type === 'null') return 'null';
  const pgType = PG_TYPES[table]![column]!;
  // The copy back recreates the original CREATE TABLE, so a declared affinity turns the text of an
  // INTEGER column's numbers back into integers: only the untyped mixed column keeps the text form.
  if (table === 'mixed' && column === 'm' && orig.type !== 'text')
    return typedKey({ type: 'text', value: Object.is(orig.value, -0) ? '-0' : String(orig.value) });
  switch (pgType) {
    case 'bytea':
      // Text or integers in a blob-holding mixed column come back as their UTF-8 bytes.
      if (orig.type !== 'blob') return typedKey({ type: 'blob', value: Buffer.from(String(orig.value), 'utf8') });
      return typedKey(orig);
    case 'timestamp without time zone':
    case 'timestamp with time zone':
      // The same instant, written in the column's own style (which a column of mixed forms cannot keep per value).
      return (v) => v.type === 'text' && micros(String(v.value)) === micros(String(orig.value));
    default:
      // Numbers as numbers, integers as integers, text as text: the storage class and bits of the original.
      return typedKey(orig);
  }
}

test('-0.0 kept by SQLite (an untyped column) stays -0 in PostgreSQL and again in the untyped column copied back', { timeout: 60_000 }, async (t) => {
  const db = await freshPostgresDatabase(t);
  if (!db) return;
  const dir = tempDir('copy-fidelity-negzero');
  const sdb = new Database(path.join(dir, 'src.db'));
  sdb.exec('CREATE TABLE z (id INTEGER PRIMARY KEY, u)');
  sdb.prepare('INSERT INTO z VALUES (?, ?)').run(1, -0);
  sdb.prepare('INSERT INTO z VALUES (?, ?)').run(2, 0.5);
  sdb.close();
  const held = sqliteTyped(path.join(dir, 'src.db'), 'z', ['u'], 'id');
  assert.equal(held[0]![0]!.type, 'real');
  assert.equal(bits(held[0]![0]!.value as number), bits(-0), 'SQLite keeps -0.0 in a column without REAL affinity');

  const to = await ferry(dir, 'copy', 'src.db', db.url);
  assert.equal(to.status, 0, `${to.stdout}${to.stderr}`);
  const pgValue = await withPg(db.url, async (c) => (await c.query<{ u: string }>('SELECT u::text AS u FROM z WHERE id = 1')).rows[0]!.u);
  assert.equal(pgValue, '-0', 'PostgreSQL holds -0');

  const back = await ferry(dir, 'copy', db.url, 'back.db');
  const rt = sqliteTyped(path.join(dir, 'back.db'), 'z', ['u'], 'id');
  // The way back recreates the original untyped column, which keeps -0.0 (a REAL column would
  // store 0; verify compares -0 and 0 as equal, documented).
  assert.equal(typedKey(rt[0]![0]!), typedKey({ type: 'real', value: -0 }), 'the untyped column copied back holds -0.0');
  assert.equal(back.status, 0, `copy back exits 0 (its own verify passes): ${back.stdout}`);
  const v = await ferry(dir, 'verify', db.url, 'back.db');
  assert.equal(v.status, 0, `verify PostgreSQL vs the copy back: ${v.stdout}`);
  const v0 = await ferry(dir, 'verify', 'src.db', db.url);
  assert.equal(v0.status, 0, `verify the source vs PostgreSQL: ${v0.stdout}`);
});
