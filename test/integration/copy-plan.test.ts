import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { connect } from '../../src/engines/registry.js';
import type { Engine } from '../../src/engine/types.js';
import { createTableSql, postLoadSteps } from '../../src/engines/postgres/postgres-ddl.js';
import { sqliteSeedSequenceSql } from '../../src/engines/sqlite/sqlite-ddl.js';
import { profileSqliteTable } from '../../src/engines/sqlite/sqlite-profile.js';
import { FerryError } from '../../src/errors.js';
import { buildCopyPlan } from '../../src/transfer/build-copy-plan.js';
import type { CopyPlan } from '../../src/transfer/copy-types.js';
import type { TablePlan } from '../../src/engine/table-plan.js';
import { freshPostgresDatabase } from '../support/postgres.js';
import { tempDir } from '../support/sqlite-fixtures.js';

const SQLITE_SCHEMA = `
CREATE TABLE "Mixed Case" (
  id INTEGER PRIMARY KEY,
  "a""b" text(100) DEFAULT 'it''s',
  "with space" int(5) DEFAULT (-1),
  n number, dp double precision DEFAULT 0.5, ti tinyint, nm NUM, vc VARCHAR(255), ubi unsigned big int,
  dt DATETIME DEFAULT CURRENT_TIMESTAMP, tstz timestamp with time zone DEFAULT (datetime('now')),
  b BOOL DEFAULT TRUE, j json DEFAULT '{}', untyped, created TEXT DEFAULT CURRENT_TIMESTAMP,
  d DATE DEFAULT (date('now')), ep INTEGER DEFAULT (strftime('%s','now')), r TEXT DEFAULT (random()),
  parent_id INTEGER REFERENCES parents ON DELETE SET NULL,
  CHECK ("with space" >= -1),
  CONSTRAINT named_check CHECK (length(vc) < 300)
);
CREATE TABLE parents (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE);
CREATE TABLE odd (
  mixed_it INTEGER, mixed_blob, int_real NUMERIC, ts_good DATETIME, ts_tz TIMESTAMP, ts_bad DATETIME, ts_7 DATETIME,
  ts_kinds DATETIME, d_good DATE, bool01 BOOLEAN, bool012 BOOLEAN, jgood JSON, jbad JSON, nul TEXT, epoch_s INTEGER,
  CHECK (bool01 IN (0, 1)),
  CHECK (typeof(mixed_it) IN ('integer', 'text', 'null'))
);
CREATE INDEX odd_partial ON odd(ts_good) WHERE bool01 = 1;
CREATE INDEX odd_expr ON odd(lower(jbad), ts_good DESC);
CREATE INDEX odd_glob ON odd(ts_good) WHERE jbad GLOB 'x*';
CREATE INDEX odd_nocase ON odd(nul COLLATE NOCASE);
CREATE UNIQUE INDEX "${'an index with a very long name that PostgreSQL would cut off at 63 bytes'}" ON "Mixed Case"(vc, "with space");
CREATE TABLE wr (k TEXT, n INTEGER, v, PRIMARY KEY (k, n)) WITHOUT ROWID;
CREATE TABLE empty_auto (id INTEGER PRIMARY KEY AUTOINCREMENT, x TEXT);
CREATE TABLE _ferry_copy_state (k TEXT);
CREATE VIEW v AS SELECT * FROM parents;
CREATE TRIGGER trg AFTER INSERT ON parents BEGIN SELECT 1; END;
INSERT INTO parents (name) VALUES ('p1'), ('p2'), ('p3'), ('p4'), ('p5');
DELETE FROM parents WHERE id > 3;
INSERT INTO "Mixed Case" (id, vc, n, dp, ti, nm, dt, tstz, b, j, untyped, d, parent_id) VALUES
  (7, 'x', 1, 1.5, 1, 2, '2024-01-02 03:04:05', '2024-01-02T03:04:05Z', 1, '{"a":1}', NULL, '2024-01-02', 1),
  (3, 'y', 2, 2.5, 2, 3, '2024-01-03 03:04:05', '2024-01-03 03:04:05+01:00', 0, '[1]', NULL, '2024-02-29', NULL);
INSERT INTO odd VALUES
  (1, 1, 1, '2024-01-02 03:04:05', '2024-01-02 03:04:05Z', '2024-02-30', '2024-01-02 03:04:05.1234567', '2024-01-02', '2024-02-29', 0, 0, '{"a":1}', '{bad', 'a' || char(0) || 'b', 1700000000),
  ('abc', x'00', 2.5, '2024-01-02T03:04:05.123456', '2024-01-02T03:04:05+05:30', '2024-13-01', '2024-01-02 03:04:05', '2024-01-02 03:04:05', '2024-03-01', 1, 2, '[1, 2]', '{"ok":true}', 'plain', 1700000001),
  (NULL, NULL, NULL, '2024-01-02 03:04', '2024-01-02 03:04:05.5-0200', '2024-01-02 24:00:00', NULL, NULL, NULL, NULL, 1, NULL, NULL, NULL, NULL);
INSERT INTO wr VALUES ('a', 1, 'x');
`;

async function sqliteSource(): Promise<{ engine: Engine; file: string }> {
  const file = path.join(tempDir('copy-plan'), 'src.db');
  const engine = await connect(`sqlite:${file}`);
  await engine.exec(SQLITE_SCHEMA);
  return { engine, file };
}

const table = (plan: CopyPlan, name: string): TablePlan => plan.tables.find((t) => t.source === name)!;
const col = (t: TablePlan, name: string) => t.columns.find((c) => c.source === name)!;
const codes = (plan: CopyPlan, code: string) => plan.warnings.filter((w) => w.code === code);

for (const native of [true, false])
  test(`profiling is one strict pass (${native ? 'native aggregate' : 'SQL'}): ISO shapes, calendar round trip, NUL, JSON`, async () => {
    const { engine } = await sqliteSource();
    try {
      const db = (engine as unknown as { db: Database.Database }).db;
      const [good, tz, bad, seven, kinds, nul, j] = profileSqliteTable(
        db,
        'odd',
        [
          { name: 'ts_good', checkTimestamps: true },
          { name: 'ts_tz', checkTimestamps: true },
          { name: 'ts_bad', checkTimestamps: true },
          { name: 'ts_7', checkTimestamps: true },
          { name: 'ts_kinds', checkTimestamps: true },
          { name: 'nul' },
          { name: 'jbad', checkJson: true },
        ],
        native,
      );
      assert.deepEqual([good!.texts, good!.textTimestamps, good!.textDates, good!.textTimestampsTz], [3, 3, 0, 0]);
      assert.deepEqual([tz!.texts, tz!.textTimestampsTz, tz!.textTimestamps], [3, 3, 0]);
      // 2024-02-30, month 13 and hour 24 all fail.
      assert.deepEqual([bad!.texts, bad!.textDates, bad!.textTimestamps], [3, 0, 0]);
      assert.deepEqual([seven!.texts, seven!.textTimestamps], [2, 1]);
      assert.deepEqual([kinds!.textDates, kinds!.textTimestamps], [1, 1]);
      assert.equal(nul!.textWithNul, 1);
      assert.deepEqual([j!.texts, j!.textJson], [2, 1]);
    } finally {
      await engine.close();
    }
  });

test('the native profile and the SQL one agree on forms, UUIDs, lengths, times and decimal fit', () => {
  const db = new Database(':memory:');
  db.defaultSafeIntegers(true);
  try {
    db.exec(`CREATE TABLE f (ts DATETIME, u UUID, v VARCHAR(5), d DECIMAL(6,2), t TIME)`);
    const rows: unknown[][] = [
      ['2024-01-01 21:00:00.438 +00:00', '0b3f5e4c-5d6e-4f80-9a1b-2c3d4e5f6a7b', 'héllo', 19.99, '21:00:00.438'],
      ['2024-01-02T08:30:00.000Z', '0B3F5E4C5D6E4F809A1B2C3D4E5F6A7B', 'ab', 1.005, '00:00'],
      ['2024-01-03 10:00:00', 'nope', '', 1234, '23:59:59'],
      ['2016-07-04', null, 'toolong', 10000, '24:00:00'],
      ['2024-01-04 10:00:00.5-0300', '1b3f5e4c-5d6e-4f80-9a1b-2c3d4e5f6a7b', null, '12.50', null],
      ['2024-01-05 10:00+02', null, '😀😀', -0.01, '12:00:00.1234567'],
      [null, null, null, 'x', null],
    ];
    const ins = db.prepare('INSERT INTO f VALUES (?, ?, ?, ?, ?)');
    for (const r of rows) ins.run(...r);
    const requests = [
      { name: 'ts', type: 'DATETIME', checkTimestamps: true },
      { name: 'u', type: 'UUID', checkUuid: true },
      { name: 'v', type: 'VARCHAR(5)', checkLength: true },
      { name: 'd', type: 'DECIMAL(6,2)', checkNumericText: true, decimal: { precision: 6, scale: 2 } },
      { name: 't', type: 'TIME', checkTimestamps: true },
    ];
    const native = profileSqliteTable(db, 'f', requests, true);
    const sql = profileSqliteTable(db, 'f', requests, false);
    assert.deepEqual(sql, native);
    const [ts, u, v, d, t] = native;
    assert.deepEqual([ts!.textDates, ts!.textTimestamps, ts!.textTimestampsTz], [1, 1, 4]);
    // Separators: space, T and a date alone; fractions 0, 1 and 3 digits; zones none, Z, +hh:mm with a space, +hhmm, +hh.
    assert.deepEqual(ts!.timestampForms, { separators: 1 | 2 | 4, fractions: 1 | 2 | 8, zones: 1 | 2 | 4 | 32 | 8 | 16 });
    assert.deepEqual([u!.textUuids, u!.uuidForms], [3, 1 | 2 | 4 | 8]);
    assert.equal(v!.maxTextLength, 7);
    assert.equal(d!.decimalFits, 4, '19.99, 1234, 12.50 and -0.01 fit DECIMAL(6,2); 1.005 and 10000 do not');
    assert.equal(t!.textTimes, 3);
  } finally {
    db.close();
  }
});

for (const native of [true, false])
  test(`the ISO checks are strict, value by value (${native ? 'native aggregate' : 'SQL'})`, () => {
    const db = new Database(':memory:');
    db.defaultSafeIntegers(true);
    try {
      db.exec('CREATE TABLE v (x DATETIME)');
      const kinds: [string, 'date' | 'ts' | 'tz' | 'none'][] = [
        ['2024-02-29', 'date'],
        ['2000-02-29', 'date'],
        ['2023-02-29', 'none'],
        ['1900-02-29', 'none'],
        ['2024-02-30', 'none'],
        ['2024-04-31', 'none'],
        ['2024-13-01', 'none'],
        ['2024-00-10', 'none'],
        ['2024-01-00', 'none'],
        ['0000-01-01', 'none'],
        ['0001-01-01', 'date'],
        ['2024-1-01', 'none'],
        ['2024-01-02 03:04', 'ts'],
        ['2024-01-02T23:59:59', 'ts'],
        ['2024-01-02 24:00:00', 'none'],
        ['2024-01-02 03:60', 'none'],
        ['2024-01-02 03:04:05.1', 'ts'],
        ['2024-01-02 03:04:05.123456', 'ts'],
        ['2024-01-02 03:04:05.1234567', 'none'],
        ['2024-01-02 03:04:05.', 'none'],
        ['2024-01-02 03:04:5', 'none'],
        ['2024-01-02  03:04', 'none'],
        ['2024-02-30 03:04:05', 'none'],
        ['2024-01-02 03:04:05Z', 'tz'],
        ['2024-01-02T03:04Z', 'tz'],
        ['2024-01-02 03:04:05+05:30', 'tz'],
        ['2024-01-02 03:04:05.123456-0800', 'tz'],
        ['2024-01-02 03:04:05+00', 'tz'],
        ['2024-01-02 03:04:05.1234567Z', 'none'],
        ['2024-02-30 03:04:05Z', 'none'],
        ['2024-01-02 03:04:05+25:00', 'none'],
        // A space before the zone (Sequelize's form), but only one, and only after a time of day.
        ['2024-01-02 03:04:05 +05:00', 'tz'],
        ['2024-01-02 03:04:05.438 Z', 'tz'],
        ['2024-01-02 03:04:05  +05:00', 'none'],
        ['2024-01-02 +05:00', 'none'],
        ['now', 'none'],
      ];
      const insert = db.prepare('INSERT INTO v VALUES (?)');
      for (const [value, want] of kinds) {
        db.exec('DELETE FROM v');
        insert.run(value);
        const [p] = profileSqliteTable(db, 'v', [{ name: 'x', checkTimestamps: true }], native);
        const got = p!.textDates ? 'date' : p!.textTimestamps ? 'ts' : p!.textTimestampsTz ? 'tz' : 'none';
        assert.equal(got, want, value);
      }
    } finally {
      db.close();
    }
  });

test('SQLite -> PostgreSQL plan: types, defaults, keys, indexes, warnings', async () => {
  const { engine } = await sqliteSource();
  try {
    const plan = await buildCopyPlan(engine, 'postgres', {
      targetDisplayUrl: 'postgres://x',
      config: { tables: { odd: { columns: { epoch_s: { epoch: 'seconds' }, mixed_it: { as: 'Mixed It' } } }, parents: { as: 'Parent Rows' } } },
    });
    assert.deepEqual(
      plan.tables.map((t) => t.source),
      ['parents', 'Mixed Case', 'odd', 'wr', 'empty_auto'],
    );
    const mc = table(plan, 'Mixed Case');
    const types = Object.fromEntries(mc.columns.map((c) => [c.source, c.targetType]));
    assert.deepEqual(types, {
      // INTEGER-like names keep their width when every value fits (node-postgres reads them as numbers).
      id: 'integer',
      'a"b': 'text',
      'with space': 'integer',
      n: 'bigint',
      dp: 'double precision',
      ti: 'smallint',
      nm: 'bigint',
      vc: 'varchar(255)',
      ubi: 'bigint',
      dt: 'timestamp',
      tstz: 'timestamptz',
      b: 'boolean',
      j: 'json',
      untyped: 'text',
      created: 'text',
      d: 'date',
      ep: 'integer',
      r: 'text',
      parent_id: 'integer',
    });
    assert.equal(col(mc, 'id').identity, true);
    assert.equal(mc.sequenceFloor, 7n);
    assert.equal(col(mc, 'a"b').default, "'it''s'");
    assert.equal(col(mc, 'with space').default, '-1');
    assert.equal(col(mc, 'dt').default, "(now() AT TIME ZONE 'UTC')");
    assert.equal(col(mc, 'tstz').default, 'CURRENT_TIMESTAMP');
    assert.equal(col(mc, 'created').default, "to_char((now() AT TIME ZONE 'UTC'), 'YYYY-MM-DD HH24:MI:SS')");
    assert.equal(col(mc, 'b').default, 'true');
    assert.equal(col(mc, 'r').default, null);
    assert.ok(codes(plan, 'DEFAULT_DROPPED').some((w) => w.message.includes('Mixed Case.r') && w.message.includes('random()')));
    assert.deepEqual(
      mc.foreignKeys.map((f) => [f.refTable, f.refColumns, f.onDelete]),
      [['Parent Rows', ['id'], 'SET NULL']],
    );
    assert.equal(mc.checks.length, 2);
    assert.ok(mc.checks.some((c) => c.name === 'named_check' && c.expression === 'length("vc") < 300'));
    const longIx = mc.indexes[0]!;
    assert.ok(Buffer.byteLength(longIx.name) <= 63, longIx.name);
    assert.match(longIx.sql, /^CREATE UNIQUE INDEX "an index with a very long name.*_[0-9a-f]{8}" ON "public"."Mixed Case" \("vc", "with space"\)$/);

    const parents = table(plan, 'parents');
    assert.equal(parents.target, 'Parent Rows');
    assert.equal(parents.sequenceFloor, 5n, 'AUTOINCREMENT floor comes from sqlite_sequence, above max(rowid) 3');
    assert.equal(parents.rowEstimate, 3);
    assert.deepEqual(parents.chunkKey, { kind: 'rowid' });
    assert.deepEqual(
      parents.uniques.map((u) => u.columns),
      [['name']],
    );

    const odd = table(plan, 'odd');
    const oddTypes = Object.fromEntries(odd.columns.map((c) => [c.source, c.logical]));
    assert.deepEqual(oddTypes, {
      mixed_it: 'text',
      mixed_blob: 'bytes',
      int_real: 'numeric',
      ts_good: 'timestamp',
      ts_tz: 'timestamptz',
      ts_bad: 'text',
      ts_7: 'text',
      ts_kinds: 'timestamp',
      d_good: 'date',
      bool01: 'boolean',
      bool012: 'int64',
      jgood: 'json',
      jbad: 'text',
      nul: 'text',
      epoch_s: 'timestamptz',
    });
    assert.equal(col(odd, 'mixed_it').target, 'Mixed It');
    assert.equal(col(odd, 'nul').profile?.textWithNul, 1);
    const mixed = codes(plan, 'MIXED_TYPES');
    assert.ok(mixed.some((w) => w.column === 'mixed_it' && /1 integer, 1 text/.test(w.message)));
    assert.ok(mixed.some((w) => w.column === 'mixed_blob' && /1 integer, 1 blob/.test(w.message)));
    // A column mixing dates and date-times is a timestamp (dates are their midnight).
    assert.deepEqual(
      codes(plan, 'TIMESTAMP_AS_TEXT')
        .map((w) => w.column)
        .sort(),
      ['ts_7', 'ts_bad'],
    );
    assert.ok(codes(plan, 'BOOLEAN_AS_INTEGER').some((w) => w.column === 'bool012'));
    assert.ok(codes(plan, 'JSON_AS_TEXT').some((w) => w.column === 'jbad'));
    assert.deepEqual(
      odd.checks.map((c) => c.expression),
      ['"bool01" IN (false, true)'],
    );
    assert.match(odd.checks[0]!.name, /^odd_check_[0-9a-f]{8}$/);
    assert.ok(codes(plan, 'CHECK_SKIPPED').some((w) => w.message.includes('typeof')));
    assert.deepEqual(odd.indexes.map((i) => i.sql).sort(), [
      'CREATE INDEX "odd_expr" ON "public"."odd" (lower("jbad"), "ts_good" DESC)',
      'CREATE INDEX "odd_partial" ON "public"."odd" ("ts_good") WHERE "bool01" = true',
    ]);
    assert.ok(mc.checks.some((c) => c.expression === '"with space" >= -1' && /^Mixed Case_check_[0-9a-f]{8}$/.test(c.name)));
    assert.deepEqual(
      codes(plan, 'INDEX_SKIPPED')
        .map((w) => w.message.match(/index (\S+)/)![1])
        .sort(),
      ['odd_glob', 'odd_nocase'],
    );
    assert.deepEqual(table(plan, 'wr').chunkKey, { kind: 'primary-key', columns: ['k', 'n'] });
    assert.equal(table(plan, 'empty_auto').sequenceFloor, 0n);
    assert.equal(codes(plan, 'VIEW_SKIPPED').length, 1);
    assert.equal(codes(plan, 'TRIGGER_SKIPPED').length, 1);
    assert.ok(!plan.tables.some((t) => t.source === '_ferry_copy_state'));

    // The jsonb option and include/exclude.
    const only = await buildCopyPlan(engine, 'postgres', { targetDisplayUrl: 'x', include: ['odd'], jsonb: true });
    assert.deepEqual(
      only.tables.map((t) => t.source),
      ['odd'],
    );
    assert.equal(col(only.tables[0]!, 'jgood').targetType, 'jsonb');
    await assert.rejects(
      buildCopyPlan(engine, 'postgres', { targetDisplayUrl: 'x', include: ['parent'] }),
      (e: unknown) => e instanceof FerryError && e.code === 'TABLE_MISSING' && /did you mean "parents"/.test(e.message) && /wr/.test(e.hint ?? ''),
    );
    await assert.rejects(
      buildCopyPlan(engine, 'postgres', { targetDisplayUrl: 'x', exclude: ['nope'] }),
      (e: unknown) => e instanceof FerryError && e.code === 'TABLE_MISSING',
    );
    await assert.rejects(
      buildCopyPlan(engine, 'postgres', { targetDisplayUrl: 'x', config: { tables: { odd: { columns: { mixed_it: { type: 'int64' } } } } } }),
      (e: unknown) => e instanceof FerryError && e.code === 'TYPE_OVERRIDE' && /odd\.mixed_it/.test(e.message),
    );
  } finally {
    await engine.close();
  }
});

test('the SQLite -> PostgreSQL DDL runs on a real server and identities continue after the keys', async (t) => {
  const fresh = await freshPostgresDatabase(t);
  if (!fresh) return;
  const { engine } = await sqliteSource();
  const pg = await connect(fresh.url);
  try {
    const plan = await buildCopyPlan(engine, 'postgres', {
      targetDisplayUrl: fresh.url,
      config: { tables: { odd: { columns: { epoch_s: { epoch: 'seconds' } } } } },
    });
    for (const p of plan.tables) await pg.exec(createTableSql(p));
    await pg.exec(`INSERT INTO parents (id, name) VALUES (1, 'p1'), (2, 'p2'), (3, 'p3')`);
    await pg.exec(`INSERT INTO "Mixed Case" (id, vc, "with space", parent_id, b) VALUES (7, 'x', 1, 1, true), (3, 'y', 2, NULL, false)`);
    await pg.exec(`INSERT INTO odd (bool01, ts_good, jgood, epoch_s) VALUES (true, '2024-01-02 03:04:05', '{"a":1}', '2023-11-14 22:13:20+00')`);
    await pg.exec(`INSERT INTO wr VALUES ('a', 1, 'x')`);
    const steps = plan.tables.flatMap((p) => postLoadSteps(p));
    const order = ['primary-key', 'unique', 'index', 'foreign-key', 'check', 'validate', 'identity', 'analyze'];
    steps.sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
    for (const s of steps) await pg.exec(s.sql);
    const next = async (sql: string) => String((await pg.query<{ id: string }>(sql))[0]!.id);
    assert.equal(await next(`INSERT INTO parents (name) VALUES ('new') RETURNING id`), '6', 'AUTOINCREMENT floor 5 -> 6');
    assert.equal(await next(`INSERT INTO "Mixed Case" (vc) VALUES ('z') RETURNING id`), '8', 'max key 7 -> 8');
    assert.equal(await next(`INSERT INTO empty_auto (x) VALUES ('a') RETURNING id`), '1', 'empty table -> 1');
    const row = (
      await pg.query<Record<string, unknown>>(`SELECT created, "a""b" AS ab, "with space" AS ws, b, j::text AS j, dt, d FROM "Mixed Case" WHERE vc = 'z'`)
    )[0]!;
    assert.match(String(row.created), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/, "CURRENT_TIMESTAMP into text keeps SQLite's shape");
    assert.deepEqual([row.ab, String(row.ws), row.b, row.j], ["it's", '-1', true, '{}']);
    assert.ok(row.dt !== null && row.d !== null);
    // Constraints are really there.
    await assert.rejects(pg.exec(`INSERT INTO "Mixed Case" (vc, "with space") VALUES ('q', -5)`));
    await assert.rejects(pg.exec(`INSERT INTO "Mixed Case" (vc, parent_id) VALUES ('q', 99)`));
    await assert.rejects(pg.exec(`INSERT INTO parents (name) VALUES ('p1')`));
    const ix = await pg.query<{ indexname: string }>(`SELECT indexname FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1`);
    assert.ok(ix.some((r) => r.indexname === 'odd_partial') && ix.some((r) => r.indexname === 'odd_expr'));
  } finally {
    await pg.close();
    await engine.close();
  }
});

test('PostgreSQL -> SQLite plan: every type, serial keys, constraints inline, and the names map back', async (t) => {
  const fresh = await freshPostgresDatabase(t);
  if (!fresh) return;
  const pg = await connect(fresh.url);
  const file = path.join(tempDir('copy-plan-back'), 'back.db');
  try {
    await pg.exec(`
      CREATE TABLE cats (id serial PRIMARY KEY, name text NOT NULL UNIQUE);
      CREATE TABLE "Every Type" (
        id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        i2 smallint DEFAULT '-1'::integer, i4 integer, f4 real, f8 double precision DEFAULT 0.5, num numeric(10,2) DEFAULT 0.00,
        ok boolean DEFAULT true, t text DEFAULT 'x'::text, vc varchar(20), ch char(3), by bytea DEFAULT '\\x00ff'::bytea,
        d date DEFAULT CURRENT_DATE, ts timestamp DEFAULT now(), tz timestamptz DEFAULT now(), j json, jb jsonb DEFAULT '{}'::jsonb,
        u uuid DEFAULT gen_random_uuid(), iv interval, arr integer[], status text CHECK (status IN ('a', 'b')),
        cat integer REFERENCES cats(id) ON DELETE CASCADE,
        CONSTRAINT "positive f8" CHECK (f8 > 0),
        CONSTRAINT like_check CHECK (vc LIKE 'x%')
      );
      CREATE INDEX every_partial ON "Every Type" (i4) WHERE i4 > 0;
      CREATE INDEX every_expr ON "Every Type" (lower(t));
      CREATE INDEX every_gin ON "Every Type" USING gin (jb);
      CREATE TABLE nokey (a text);
      INSERT INTO cats (name) VALUES ('a'), ('b'), ('c');
      DELETE FROM cats WHERE id = 3;
    `);
    const plan = await buildCopyPlan(pg, 'sqlite', { targetDisplayUrl: `sqlite:${file}` });
    assert.deepEqual(
      plan.tables.map((x) => x.source),
      ['cats', 'Every Type', 'nokey'],
    );
    const every = table(plan, 'Every Type');
    assert.deepEqual(Object.fromEntries(every.columns.map((c) => [c.source, c.targetType])), {
      // Declared names SQLite drivers and ORMs read as the app means them.
      id: 'BIGINT',
      i2: 'SMALLINT',
      i4: 'INTEGER',
      f4: 'REAL',
      f8: 'REAL',
      num: 'DECIMAL(10,2)',
      ok: 'BOOLEAN',
      t: 'TEXT',
      vc: 'VARCHAR(20)',
      ch: 'VARCHAR(3)',
      by: 'BLOB',
      d: 'DATE',
      ts: 'DATETIME',
      tz: 'DATETIME',
      j: 'JSON',
      jb: 'JSONB',
      u: 'UUID',
      iv: 'TEXT',
      arr: 'TEXT',
      status: 'TEXT',
      cat: 'INTEGER',
    });
    assert.equal(col(every, 'id').identity, true);
    assert.deepEqual(table(plan, 'cats').sequenceFloor, 3n);
    assert.deepEqual(table(plan, 'nokey').chunkKey, { kind: 'none' });
    assert.deepEqual(every.chunkKey, { kind: 'primary-key', columns: ['id'] });
    assert.equal(col(every, 'i2').default, '-1');
    assert.equal(col(every, 'num').default, "'0.00'");
    assert.equal(col(every, 'by').default, "X'00ff'");
    assert.equal(col(every, 'ok').default, '1');
    assert.equal(col(every, 'u').default, null);
    assert.ok(codes(plan, 'DEFAULT_DROPPED').some((w) => w.column === 'u'));
    assert.ok(every.checks.some((c) => c.expression === `"status" IN ('a', 'b')`));
    assert.ok(every.checks.some((c) => c.name === 'positive f8'));
    assert.ok(codes(plan, 'CHECK_SKIPPED').some((w) => w.message.includes('like_check')));
    assert.ok(codes(plan, 'INDEX_SKIPPED').some((w) => w.message.includes('every_gin')));
    assert.equal(every.indexes.length, 2);

    const db = new Database(file);
    try {
      for (const p of plan.tables) db.exec(p.createSql!);
      for (const p of plan.tables) for (const ix of p.indexes) db.exec(ix.sql);
      db.exec(`INSERT INTO cats (id, name) VALUES (1, 'a'), (2, 'b')`);
      for (const p of plan.tables) {
        const seed = sqliteSeedSequenceSql(p);
        if (seed) db.exec(seed);
      }
      const id = db.prepare(`INSERT INTO cats (name) VALUES ('n') RETURNING id`).pluck().get();
      assert.equal(id, 4, 'the sequence floor 3 carries over through sqlite_sequence');
      db.exec(`INSERT INTO "Every Type" (num, tz, j, jb, ok, cat) VALUES ('12.50', '2024-01-02 03:04:05.123456+00', '1.50', '{"a":1}', 1, 1)`);
      const r = db.prepare(`SELECT typeof(num) AS tn, num, typeof(j) AS tj, j, f8, by, t, typeof(ts) AS tts FROM "Every Type"`).get() as Record<
        string,
        unknown
      >;
      // Decimals are numbers again (NUMERIC affinity), so `num > 12` compares numerically as before the
      // move; a JSON document that is a bare number is one too, as SQLAlchemy and Rails store it.
      assert.deepEqual([r.tn, r.num, r.tj, r.j, r.f8, r.t, r.tts], ['real', 12.5, 'real', 1.5, 0.5, 'x', 'text']);
      assert.deepEqual([...(r.by as Buffer)], [0, 255]);
      assert.throws(() => db.exec(`INSERT INTO "Every Type" (status) VALUES ('zzz')`), /CHECK/);
    } finally {
      db.close();
    }

    // Copying the SQLite file back plans the same PostgreSQL types (the rollback round trip).
    const back = await connect(`sqlite:${file}`);
    try {
      const again = await buildCopyPlan(back, 'postgres', { targetDisplayUrl: 'x' });
      const types = Object.fromEntries(table(again, 'Every Type').columns.map((c) => [c.source, c.logical]));
      for (const c of every.columns) if (c.logical !== 'pgtext') assert.equal(types[c.source], c.logical, c.source);
      assert.equal(col(table(again, 'Every Type'), 'id').identity, true);
    } finally {
      await back.close();
    }
  } finally {
    await pg.close();
  }
});
