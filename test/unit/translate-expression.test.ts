import { test } from 'node:test';
import assert from 'node:assert/strict';
import { columnMap, parseSqliteIndex, sqliteToPostgres, type ExpressionContext } from '../../src/engines/postgres/postgres-translate-sqlite.js';
import { sqliteDefaultToPostgres } from '../../src/engines/postgres/postgres-translate-sqlite-default.js';
import { parsePostgresIndex, postgresDefaultToSqlite, postgresToSqlite } from '../../src/engines/sqlite/sqlite-translate-postgres.js';

const ctx: ExpressionContext = {
  columns: columnMap([
    ['a', 'a'],
    ['Mixed Case', 'Mixed Case'],
    ['flag', 'flag'],
    ['b', 'renamed'],
    ['a"b', 'a"b'],
  ]),
  booleanColumns: new Set(['flag']),
};
const pg = (e: string) => sqliteToPostgres(e, ctx);

test('SQLite expressions translate token by token', () => {
  const cases: [string, string][] = [
    ["a == 1 AND [Mixed Case] LIKE 'x%'", `"a" = 1 AND "Mixed Case" ILIKE 'x%'`],
    ['ifnull(a, 0) > 0', 'coalesce("a", 0) > 0'],
    ['length(trim(`b`)) BETWEEN 1 AND 5', 'length(btrim("renamed")) BETWEEN 1 AND 5'],
    ['upper(a) <> lower("a""b")', 'upper("a") <> lower("a""b")'],
    ['abs(a) >= 0 OR substr(a, 1, 2) IS NULL', 'abs("a") >= 0 OR substr("a", 1, 2) IS NULL'],
    ['a NOT IN (1, 2) AND b IS NOT NULL', `"a" NOT IN (1, 2) AND "renamed" IS NOT NULL`],
    ['a IS b', '"a" IS NOT DISTINCT FROM "renamed"'],
    ['a IS NOT b', '"a" IS DISTINCT FROM "renamed"'],
    ['a NOTNULL', '"a" IS NOT NULL'],
    ['CAST(a AS INTEGER) = round(1.5)', 'CAST("a" AS bigint) = round(1.5)'],
    ["CAST(a AS VARCHAR(10)) || 'x  y' <> ''", `CAST("a" AS text) || 'x  y' <> ''`],
    ['max(a, b) > 3', 'greatest("a", "renamed") > 3'],
    ['flag IN (0, 1)', '"flag" IN (false, true)'],
    ['flag == 1', '"flag" = true'],
    ['a = 0x10', '"a" = 16'],
    ['a COLLATE BINARY DESC', '"a" DESC'],
    ['"not a column" = a', `'not a column' = "a"`],
    ['CASE WHEN a > 0 THEN 1 ELSE 0 END = 1', 'CASE WHEN "a" > 0 THEN 1 ELSE 0 END = 1'],
    ['a >= -1 AND a - 1 < (-2) AND a BETWEEN -3 AND +4', '"a" >= -1 AND "a" - 1 < (-2) AND "a" BETWEEN -3 AND +4'],
  ];
  for (const [sqlite, want] of cases) assert.deepEqual(pg(sqlite), { sql: want }, sqlite);
});

test('functions and operators without a same-meaning PostgreSQL form are untranslatable', () => {
  for (const e of [
    "typeof(a) = 'integer'",
    "a GLOB 'x*'",
    "json_extract(a, '$.x') = 1",
    'instr(a, 1) > 0',
    "printf('%d', a) = '1'",
    "datetime(a) > '2020'",
    'a COLLATE NOCASE',
    'a = ?',
    'nosuch > 1',
    'max(a) > 1',
  ]) {
    const r = pg(e);
    assert.ok('untranslatable' in r, `${e} -> ${JSON.stringify(r)}`);
  }
});

test('SQLite defaults depend on the target logical type and are never quoted clock names', () => {
  const cases: [string, string, string | null][] = [
    ['CURRENT_TIMESTAMP', 'timestamptz', 'CURRENT_TIMESTAMP'],
    ['CURRENT_TIMESTAMP', 'timestamp', "(now() AT TIME ZONE 'UTC')"],
    ['CURRENT_TIMESTAMP', 'text', "to_char((now() AT TIME ZONE 'UTC'), 'YYYY-MM-DD HH24:MI:SS')"],
    ["(datetime( 'now' ))", 'timestamp', "(now() AT TIME ZONE 'UTC')"],
    ["date('now')", 'date', "((now() AT TIME ZONE 'UTC')::date)"],
    ['CURRENT_DATE', 'text', "to_char((now() AT TIME ZONE 'UTC'), 'YYYY-MM-DD')"],
    ['CURRENT_TIME', 'text', "to_char((now() AT TIME ZONE 'UTC'), 'HH24:MI:SS')"],
    ["strftime('%s','now')", 'int64', '(floor(extract(epoch FROM now()))::bigint)'],
    ['-1', 'int64', '-1'],
    ['(0)', 'boolean', 'false'],
    ['1', 'boolean', 'true'],
    ['TRUE', 'int64', '1'],
    ["'it''s'", 'text', "'it''s'"],
    ['42', 'text', "'42'"],
    ['1.0', 'text', "'1.0'"],
    ['(-2.5)', 'numeric', '-2.5'],
    ["'7'", 'int64', '7'],
    ['NULL', 'text', null],
    ["X'00AB'", 'bytes', "'\\x00ab'::bytea"],
    ["'2024-01-02'", 'date', "'2024-01-02'"],
    ['\'{"a":1}\'', 'json', '\'{"a":1}\''],
  ];
  for (const [e, logical, want] of cases) assert.deepEqual(sqliteDefaultToPostgres(e, logical as never), { sql: want }, `${e} -> ${logical}`);
  for (const [e, logical] of [
    ['CURRENT_TIMESTAMP', 'int64'],
    ['1.5', 'int64'],
    ["'abc'", 'int64'],
    ['2', 'boolean'],
    ["datetime('now','localtime')", 'timestamp'],
    ['random()', 'int64'],
    ["'2024-02-30x'", 'date'],
    ["'{bad'", 'json'],
  ]) {
    assert.ok('untranslatable' in sqliteDefaultToPostgres(e, logical as never), `${e} -> ${logical}`);
  }
});

test('PostgreSQL expressions and defaults translate back to SQLite', () => {
  const c: ExpressionContext = {
    columns: new Map([
      ['status', 'status'],
      ['price', 'price'],
      ['Name', 'Name'],
    ]),
  };
  const cases: [string, string][] = [
    ["(status = ANY (ARRAY['a'::text, 'b'::text]))", `("status" IN ('a', 'b'))`],
    ["status <> ALL (ARRAY['x'::text])", `"status" NOT IN ('x')`],
    ['price > (0)::numeric', '"price" > 0'],
    [`lower(("Name")::text) <> ''::text`, `lower(CAST(("Name") AS TEXT)) <> ''`],
    [`"Name" ~~* 'x%'::text`, `"Name" LIKE 'x%'`],
    ['greatest(price, 1) > 2', 'max("price", 1) > 2'],
  ];
  for (const [e, want] of cases) assert.deepEqual(postgresToSqlite(e, c), { sql: want }, e);
  for (const e of [`"Name" ~~ 'x%'::text`, "price::date > '2020-01-01'::date", 'gen_random_uuid() IS NOT NULL', 'other > 1'])
    assert.ok('untranslatable' in postgresToSqlite(e, c), e);
  const d: [string, string, string | null][] = [
    ['now()', 'timestamp', 'CURRENT_TIMESTAMP'],
    ["(now() AT TIME ZONE 'UTC'::text)", 'timestamp', 'CURRENT_TIMESTAMP'],
    ["to_char((now() AT TIME ZONE 'UTC'::text), 'YYYY-MM-DD HH24:MI:SS'::text)", 'text', 'CURRENT_TIMESTAMP'],
    ['now()', 'timestamptz', "(strftime('%Y-%m-%d %H:%M:%f', 'now') || '+00:00')"],
    ['CURRENT_DATE', 'date', 'CURRENT_DATE'],
    ["'abc'::text", 'text', "'abc'"],
    ["'-1'::integer", 'int64', '-1'],
    ['(-1)', 'int64', '-1'],
    ['0.00', 'numeric', "'0.00'"],
    ['true', 'boolean', '1'],
    ["'\\x00ff'::bytea", 'bytes', "X'00ff'"],
    ["'{}'::jsonb", 'jsonb', "'{}'"],
  ];
  for (const [e, logical, want] of d) assert.deepEqual(postgresDefaultToSqlite(e, logical as never), { sql: want }, e);
  assert.ok('untranslatable' in postgresDefaultToSqlite("nextval('t_id_seq'::regclass)", 'int64'));
  assert.ok('untranslatable' in postgresDefaultToSqlite('gen_random_uuid()', 'pgtext'));
});

test('index definitions split into keys and WHERE', () => {
  assert.deepEqual(parseSqliteIndex('CREATE UNIQUE INDEX IF NOT EXISTS "ix" ON "t" (lower(a), b DESC) WHERE a > 0'), {
    unique: true,
    keys: ['lower(a)', 'b DESC'],
    where: 'a > 0',
  });
  assert.deepEqual(parseSqliteIndex('CREATE INDEX ix ON main.t(a)'), { unique: false, keys: ['a'], where: undefined });
  assert.deepEqual(parsePostgresIndex('CREATE UNIQUE INDEX ix ON public.t USING btree (lower("Name"), price DESC) WHERE (price > (0)::numeric)'), {
    unique: true,
    method: 'btree',
    keys: ['lower("Name")', 'price DESC'],
    where: '(price > (0)::numeric)',
  });
  assert.equal(parsePostgresIndex('CREATE INDEX g ON public.t USING gin (doc)')?.method, 'gin');
});
