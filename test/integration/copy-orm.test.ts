/**
 * Real ORMs survive `ferry copy`: for TypeORM, Knex and Drizzle (test/support/orm-apps.ts), an app
 * creates its schema on SQLite with the ORM's own tool and writes rows through the ORM; then
 *   1. `ferry copy app.db <postgres>`; the same app on PostgreSQL (nothing synchronized or migrated)
 *      reads every field with the same JavaScript type and value, its filters (date range to the
 *      millisecond, boolean, JSON) return the same rows, new rows continue the ids, updates work;
 *   2. ferry's PostgreSQL schema matches the one the ORM creates itself in another fresh database,
 *      for everything the app depends on (other differences are printed);
 *   3. `ferry copy <postgres> back.db`; the app on back.db reads exactly what it would read had it
 *      stayed on SQLite and made the same changes there (expected.db), the stored values have the
 *      same storage classes and form, and every CREATE TABLE / CREATE INDEX text is the original's.
 * A control subtest runs the same app on the ORM's own PostgreSQL schema without ferry, so a failure
 * after a copy is ferry's, not the ORM's.
 *
 * What the ORMs write into SQLite (printed as diagnostics too):
 * - TypeORM: `"id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "email" varchar(120), "active" boolean,
 *   "created_at" datetime, "balance" decimal(10,2), "external_id" varchar, "settings" json`, UNIQUE
 *   constraint; booleans INTEGER 0/1, dates TEXT '2024-01-01 21:00:00.438' (UTC, no zone), decimals
 *   REAL (INTEGER for -5.00), uuid and JSON as TEXT. Config: the uuid column (declared varchar) as uuid.
 * - Knex: `integer not null primary key autoincrement`, `varchar(120)`, `boolean`, `datetime`,
 *   `float` (for decimal(10,2)!), `char(36)` (uuid), `json`, and a separate unique index; booleans
 *   INTEGER 0/1, dates INTEGER epoch milliseconds (Knex binds a JS Date as getTime()), decimals REAL.
 *   Knex returns these raw values on SQLite, so the app converts them (orm-apps.ts knexUser) and the
 *   comparisons use the converted rows, plus the raw rows where both sides are SQLite.
 *   Config: balance/total as numeric, since `float` no longer says decimal; external_id (char(36)) as uuid.
 * - Drizzle (drizzle-kit's generated SQL): `integer PRIMARY KEY AUTOINCREMENT`, `text(120)`, `integer`
 *   for booleans (0/1) and dates (epoch seconds for created_at, milliseconds for placed_at),
 *   `numeric` (REAL/INTEGER values), `text` for uuid and JSON, a separate unique index.
 *   Config: booleans, epoch units, JSON and uuid, which the INTEGER/TEXT declarations cannot say.
 *
 * TypeORM maps `timestamp without time zone` to the process's local time on PostgreSQL but writes
 * UTC text on SQLite; apps run in UTC for the two to agree, and so does this file (TZ below).
 */
process.env.TZ = 'UTC';

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ferry, type CliResult } from '../support/cli.js';
import { withPg } from '../support/copy-fixtures.js';
import { freshPostgresDatabase } from '../support/postgres.js';
import { rowsWithTypes, tempDir } from '../support/sqlite-fixtures.js';
import { applyLaterChanges, ORM_APPS, runFilters, withSession, writeSeed, type OrmApp, type Snapshot } from '../support/orm-apps.js';

const TABLES = ['users', 'orders'];

/** What every filter returns on SQLite for the seed rows, and after the later changes. */
const SEED_FILTERS = {
  usersCreatedBetween: [1, 2],
  ordersPlacedBetween: [2, 3, 4],
  usersActive: [1, 3],
  usersInactive: [2, 4],
  ordersPaid: [1, 3, 5],
  ordersUnpaid: [2, 4, 6],
  usersDarkTheme: [1, 3],
};
const LATER_FILTERS = {
  usersCreatedBetween: [1, 2],
  ordersPlacedBetween: [2, 3, 4],
  usersActive: [1, 2, 3, 5],
  usersInactive: [4],
  ordersPaid: [1, 2, 3, 5],
  ordersUnpaid: [4, 6, 7],
  usersDarkTheme: [1, 2, 3, 5],
};

/** A value as `type: text`, so a diff shows a Date that became a string, 1 that became true, etc. */
function typed(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (v instanceof Date) return `Date: ${Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString()}`;
  if (typeof v === 'object') return `${Array.isArray(v) ? 'array' : 'object'}: ${JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x))}`;
  return `${typeof v}: ${String(v)}`;
}

/**
 * Fails with one line per differing column (how many rows, and the first example) rather than a dump
 * of both snapshots: "orders.id: 6 of 6 rows differ, e.g. row 1: expected number: 1, got string: 1".
 */
function assertSameRows(actual: Snapshot, expected: Snapshot, what: string): void {
  const out: string[] = [];
  for (const table of TABLES as (keyof Snapshot)[]) {
    const a = actual[table];
    const e = expected[table];
    if (a.length !== e.length) out.push(`${table}: ${a.length} rows, expected ${e.length}`);
    const byColumn = new Map<string, { n: number; example: string }>();
    for (let i = 0; i < Math.min(a.length, e.length); i++) {
      for (const k of new Set([...Object.keys(e[i]!), ...Object.keys(a[i]!)])) {
        const want = typed(e[i]![k]);
        const got = typed(a[i]![k]);
        if (want === got) continue;
        const d = byColumn.get(`${table}.${k}`) ?? { n: 0, example: `row ${i + 1}: expected ${want}, got ${got}` };
        d.n++;
        byColumn.set(`${table}.${k}`, d);
      }
    }
    for (const [col, d] of byColumn) out.push(`${col}: ${d.n} of ${e.length} rows differ, e.g. ${d.example}`);
  }
  if (out.length) assert.fail(`${what}: rows differ in JavaScript type or value\n${out.join('\n')}`);
}

function cliText(r: CliResult): string {
  return `exit ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

// ---------------------------------------------------------------------------------------------
// Schemas
// ---------------------------------------------------------------------------------------------

interface PgColumn {
  type: string;
  nullable: boolean;
  default: string | null;
  identity: string | null;
}
interface PgSchema {
  columns: Record<string, PgColumn>;
  primary: string[];
  unique: Record<string, string>;
  foreign: string[];
}

/** A column's type as one string: `numeric(10,2)`, `character varying(120)`, `timestamp(3) with time zone`, ... */
function columnType(c: {
  data_type: string;
  character_maximum_length: number | null;
  numeric_precision: number | null;
  numeric_scale: number | null;
  datetime_precision: number | null;
}): string {
  const t = c.data_type;
  if ((t === 'character varying' || t === 'character') && c.character_maximum_length !== null) return `${t}(${c.character_maximum_length})`;
  if (t === 'numeric') return c.numeric_precision === null ? 'numeric' : `numeric(${c.numeric_precision},${c.numeric_scale})`;
  if (t.startsWith('timestamp') && c.datetime_precision !== null && c.datetime_precision !== 6)
    return t.replace('timestamp', `timestamp(${c.datetime_precision})`);
  return t;
}

async function pgSchema(url: string): Promise<PgSchema> {
  return withPg(url, async (c) => {
    const cols = await c.query(
      `SELECT table_name, column_name, data_type, character_maximum_length, numeric_precision, numeric_scale, datetime_precision,
              is_nullable, column_default, identity_generation
         FROM information_schema.columns WHERE table_schema = 'public' AND table_name = ANY($1) ORDER BY table_name, ordinal_position`,
      [TABLES],
    );
    const columns: Record<string, PgColumn> = {};
    for (const r of cols.rows) {
      columns[`${r.table_name}.${r.column_name}`] = {
        type: columnType(r),
        nullable: r.is_nullable === 'YES',
        default: r.column_default,
        identity: r.identity_generation,
      };
    }
    // Unique constraints and unique indexes alike (Knex and Drizzle make an index on SQLite; the app
    // depends on the uniqueness, not on how it is spelled).
    const idx = await c.query(
      `SELECT t.relname AS tbl, i.indisprimary AS pk, string_agg(a.attname, ',' ORDER BY k.ord) AS cols,
              EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid AND con.contype IN ('u', 'p')) AS is_constraint
         FROM pg_index i
         JOIN pg_class t ON t.oid = i.indrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public'
         CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
        WHERE i.indisunique AND t.relname = ANY($1)
        GROUP BY t.relname, i.indexrelid, i.indisprimary`,
      [TABLES],
    );
    const primary: string[] = [];
    const unique: Record<string, string> = {};
    for (const r of idx.rows) {
      if (r.pk) primary.push(`${r.tbl}(${r.cols})`);
      else unique[`${r.tbl}(${r.cols})`] = r.is_constraint ? 'constraint' : 'index';
    }
    const fk = await c.query(
      `SELECT con.conrelid::regclass::text AS tbl, pg_get_constraintdef(con.oid) AS def
         FROM pg_constraint con JOIN pg_namespace n ON n.oid = con.connamespace AND n.nspname = 'public'
        WHERE con.contype = 'f' ORDER BY 1, 2`,
    );
    return { columns, primary: primary.sort(), unique, foreign: fk.rows.map((r) => `${r.tbl}: ${r.def}`) };
  });
}

/** Differences that fail the test (what the app depends on) and the rest, which are only printed. */
function compareSchemas(app: OrmApp, ferrySchema: PgSchema, ormSchema: PgSchema): { failing: string[]; other: string[] } {
  const failing: string[] = [];
  const other: string[] = [];
  for (const [name, orm] of Object.entries(ormSchema.columns)) {
    const got = ferrySchema.columns[name];
    if (!got) {
      failing.push(`${name}: missing in ferry's schema (ORM: ${orm.type})`);
      continue;
    }
    if (got.type !== orm.type) {
      const lenient = app.leniencies.find((l) => l.column === name && l.accept.includes(got.type));
      (lenient ? other : failing).push(`${name}: ferry ${got.type}, ORM ${orm.type}${lenient ? ` (accepted: ${lenient.reason})` : ''}`);
    }
    if (got.nullable !== orm.nullable) failing.push(`${name}: ferry ${got.nullable ? 'NULL' : 'NOT NULL'}, ORM ${orm.nullable ? 'NULL' : 'NOT NULL'}`);
    const how = (c: PgColumn) => (c.identity ? `identity ${c.identity}` : c.default === null ? 'no default' : `default ${c.default}`);
    if (how(got) !== how(orm)) other.push(`${name}: ferry ${how(got)}, ORM ${how(orm)}`);
  }
  for (const name of Object.keys(ferrySchema.columns)) if (!ormSchema.columns[name]) failing.push(`${name}: only in ferry's schema`);
  if (JSON.stringify(ferrySchema.primary) !== JSON.stringify(ormSchema.primary))
    failing.push(`primary keys: ferry ${ferrySchema.primary.join(' ')}, ORM ${ormSchema.primary.join(' ')}`);
  for (const [key, kind] of Object.entries(ormSchema.unique)) {
    const got = ferrySchema.unique[key];
    if (!got) failing.push(`unique ${key}: missing in ferry's schema (ORM: ${kind})`);
    else if (got !== kind) other.push(`unique ${key}: ferry ${got}, ORM ${kind}`);
  }
  for (const key of Object.keys(ferrySchema.unique)) if (!ormSchema.unique[key]) failing.push(`unique ${key}: only in ferry's schema`);
  const fkF = ferrySchema.foreign.join('; ');
  const fkO = ormSchema.foreign.join('; ');
  if (fkF !== fkO) other.push(`foreign keys: ferry [${fkF}], ORM [${fkO}]`);
  return { failing, other };
}

/** name -> sql of every table and index an app made in a SQLite file. */
function sqliteSchema(file: string): Record<string, string> {
  const db = new Database(file, { readonly: true });
  try {
    const rows = db.prepare(`SELECT name, sql FROM sqlite_schema WHERE sql IS NOT NULL AND type IN ('table', 'index') ORDER BY name`).all() as {
      name: string;
      sql: string;
    }[];
    return Object.fromEntries(rows.map((r) => [r.name, r.sql]));
  } finally {
    db.close();
  }
}

/** Every stored value as `storage class: value`, per `table.column`, in id order. */
function storage(file: string): Record<string, string[]> {
  const db = new Database(file, { readonly: true });
  const columns = Object.fromEntries(
    TABLES.map((t) => [t, (db.prepare(`SELECT name FROM pragma_table_info(?) ORDER BY cid`).all(t) as { name: string }[]).map((r) => r.name)]),
  );
  db.close();
  const out: Record<string, string[]> = {};
  for (const t of TABLES) {
    const rows = rowsWithTypes(file, t, columns[t]!, ['id']);
    columns[t]!.forEach(
      (c, i) =>
        (out[`${t}.${c}`] = rows.map((r) => `${String(r[2 * i])}: ${typeof r[2 * i + 1] === 'string' ? JSON.stringify(r[2 * i + 1]) : String(r[2 * i + 1])}`)),
    );
  }
  return out;
}

/** Fails listing each column whose stored values differ from the expected file's. */
function assertSameStorage(actualFile: string, expectedFile: string): void {
  const a = storage(actualFile);
  const e = storage(expectedFile);
  const out: string[] = [];
  for (const [col, want] of Object.entries(e)) {
    const got = a[col];
    if (!got) {
      out.push(`${col}: missing`);
      continue;
    }
    if (got.length !== want.length) out.push(`${col}: ${got.length} values, expected ${want.length}`);
    const bad = want.map((w, i) => [w, got[i]] as const).filter(([w, g]) => w !== g);
    if (bad.length) out.push(`${col}: ${bad.length} of ${want.length} differ, e.g. expected ${bad[0]![0]}, got ${bad[0]![1]}`);
  }
  for (const col of Object.keys(a)) if (!e[col]) out.push(`${col}: not in the original`);
  if (out.length) assert.fail(`stored values differ from what the app wrote (expected.db):\n${out.join('\n')}`);
}

/** The first row of each table as `column typeof:quote(value)`, for the diagnostics. */
function sampleStorage(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    return TABLES.map((t) => {
      const cols = (db.prepare(`SELECT name FROM pragma_table_info(?) ORDER BY cid`).all(t) as { name: string }[]).map((r) => r.name);
      const sel = cols.map((c) => `typeof("${c}") || ':' || quote("${c}")`).join(', ');
      const row = db.prepare(`SELECT ${sel} FROM "${t}" ORDER BY id LIMIT 1`).raw(true).get() as string[];
      return `${t}: ${cols.map((c, i) => `${c}=${row[i]}`).join(' ')}`;
    }).join('\n');
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------------------------------------
// The test, once per ORM
// ---------------------------------------------------------------------------------------------

for (const app of ORM_APPS) {
  test(`${app.name}: the app works on PostgreSQL after ferry copy, and again on the copy back`, async (t) => {
    const ferryDb = await freshPostgresDatabase(t);
    const ormDb = await freshPostgresDatabase(t);
    if (!ferryDb || !ormDb) return;
    const dir = tempDir(`orm-${app.name}`);
    const appDb = path.join(dir, 'app.db');
    const expectedDb = path.join(dir, 'expected.db');
    const backDb = path.join(dir, 'back.db');
    if (app.ferryConfig) fs.writeFileSync(path.join(dir, 'ferry.config.json'), JSON.stringify(app.ferryConfig, null, 2));

    let seed!: { users: number[]; orders: number[] };
    let reference!: Snapshot;
    let expected!: Snapshot;
    let expectedDriver!: Snapshot;
    const state = { sqlite: false, control: false, copied: false, changed: false, copiedBack: false };
    let ormSchema: PgSchema | undefined;
    const need = (ctx: TestContext, ...what: (keyof typeof state)[]) => {
      const missing = what.filter((w) => !state[w]);
      if (missing.length) ctx.skip(`needs the earlier step(s) that failed: ${missing.join(', ')}`);
      return missing.length === 0;
    };

    await t.test('on SQLite: the ORM creates the schema, writes, reads and filters (reference)', async (tt) => {
      await app.createSqliteSchema(appDb);
      await withSession(app, appDb, async (s) => {
        seed = await writeSeed(s);
        reference = await s.readAll();
        assert.deepStrictEqual(await runFilters(s), SEED_FILTERS, 'filters on SQLite');
      });
      tt.diagnostic(`${app.name} on SQLite (${app.schemaTool}):\n${Object.values(sqliteSchema(appDb)).join('\n')}\n${sampleStorage(appDb)}`);
      // What the app would hold had it stayed on SQLite and made the later changes there.
      fs.copyFileSync(appDb, expectedDb);
      await withSession(app, expectedDb, async (s) => {
        const later = await applyLaterChanges(s, seed);
        assert.deepStrictEqual(later, { user: 5, order: 7 });
        expected = await s.readAll();
        expectedDriver = await s.readDriverRows();
        assert.deepStrictEqual(await runFilters(s), LATER_FILTERS, 'filters on SQLite after the later changes');
      });
      state.sqlite = true;
    });

    await t.test('control, no ferry: the ORM creates its own PostgreSQL schema and the same app reads the same there', async (tt) => {
      if (!need(tt, 'sqlite')) return;
      await app.createPostgresSchema(ormDb.url);
      ormSchema = await pgSchema(ormDb.url);
      tt.diagnostic(
        `${app.name}'s own PostgreSQL schema:\n${Object.entries(ormSchema.columns)
          .map(([n, c]) => `${n} ${c.type}${c.nullable ? '' : ' NOT NULL'}`)
          .join('\n')}\nunique: ${JSON.stringify(ormSchema.unique)}`,
      );
      await withSession(app, ormDb.url, async (s) => {
        await writeSeed(s);
        assertSameRows(await s.readAll(), reference, `${app.name} on its own PostgreSQL schema vs SQLite`);
        assert.deepStrictEqual(await runFilters(s), SEED_FILTERS);
        await applyLaterChanges(s, seed);
        assertSameRows(await s.readAll(), expected, `${app.name} on its own PostgreSQL schema after the later changes`);
        assert.deepStrictEqual(await runFilters(s), LATER_FILTERS);
      });
      state.control = true;
    });

    await t.test('ferry copy app.db -> PostgreSQL', async (tt) => {
      if (!need(tt, 'sqlite')) return;
      const r = await ferry(dir, 'copy', 'app.db', ferryDb.url);
      // Exit 3 (rows refused) and 4 (verify found differences) still leave the tables loaded: the
      // later steps then run anyway and show what the difference does to the app.
      state.copied = r.status === 0 || r.status === 3 || r.status === 4;
      assert.equal(r.status, 0, cliText(r));
    });

    await t.test('on PostgreSQL after ferry: every field reads back with the same JavaScript type and value', async (tt) => {
      if (!need(tt, 'copied')) return;
      await withSession(app, ferryDb.url, async (s) => assertSameRows(await s.readAll(), reference, `${app.name} on ferry's PostgreSQL vs SQLite`));
    });

    await t.test('on PostgreSQL after ferry: date-range, boolean and JSON filters return the same rows', async (tt) => {
      if (!need(tt, 'copied')) return;
      await withSession(app, ferryDb.url, async (s) => assert.deepStrictEqual(await runFilters(s), SEED_FILTERS));
    });

    await t.test('on PostgreSQL after ferry: new rows continue the ids, updates work', async (tt) => {
      if (!need(tt, 'copied')) return;
      await withSession(app, ferryDb.url, async (s) => {
        const later = await applyLaterChanges(s, seed);
        state.changed = true;
        // (Whether ids still read as numbers is the read check's business; here: do they continue.)
        assert.deepStrictEqual(
          { user: Number(later.user), order: Number(later.order) },
          { user: Math.max(...seed.users) + 1, order: Math.max(...seed.orders) + 1 },
          'new ids continue after the largest copied id',
        );
        assertSameRows(await s.readAll(), expected, `${app.name} on ferry's PostgreSQL after the later changes vs the same on SQLite`);
        assert.deepStrictEqual(await runFilters(s), LATER_FILTERS);
      });
    });

    await t.test("schema: ferry's PostgreSQL schema has what the app depends on, as the ORM would create it", async (tt) => {
      if (!need(tt, 'copied')) return;
      assert.ok(ormSchema, 'the control step did not get the ORM schema');
      const { failing, other } = compareSchemas(app, await pgSchema(ferryDb.url), ormSchema);
      if (other.length) tt.diagnostic(`other differences (not failing):\n${other.join('\n')}`);
      if (failing.length)
        assert.fail(`ferry vs ${app.name} on PostgreSQL:\n${failing.join('\n')}\nother differences (not failing):\n${other.join('\n') || '(none)'}`);
    });

    await t.test('ferry copy PostgreSQL -> back.db', async (tt) => {
      if (!need(tt, 'copied')) return;
      const r = await ferry(dir, 'copy', ferryDb.url, 'back.db');
      state.copiedBack = r.status === 0 || r.status === 3 || r.status === 4;
      assert.equal(r.status, 0, cliText(r));
    });

    await t.test('back.db: the ORM reads what it would on SQLite after the same changes (types, values, raw rows)', async (tt) => {
      if (!need(tt, 'copiedBack', 'changed')) return;
      await withSession(app, backDb, async (s) => {
        assertSameRows(await s.readAll(), expected, `${app.name} on back.db vs expected.db`);
        assertSameRows(await s.readDriverRows(), expectedDriver, `${app.name} on back.db vs expected.db, rows as the ORM returned them`);
        assert.deepStrictEqual(await runFilters(s), LATER_FILTERS);
      });
    });

    await t.test('back.db: every table and index has the original CREATE text (sqlite_schema.sql)', async (tt) => {
      if (!need(tt, 'copiedBack')) return;
      const original = sqliteSchema(appDb);
      const back = sqliteSchema(backDb);
      const differ = Object.keys(original).filter((n) => back[n] !== original[n]);
      if (differ.length) {
        assert.fail(
          `sqlite_schema.sql differs from app.db's:\n${differ.map((n) => `${n}\n  app.db:  ${original[n]}\n  back.db: ${back[n] ?? '(missing)'}`).join('\n')}`,
        );
      }
    });

    await t.test('back.db: values stored in the form the app wrote them (storage class and value, vs expected.db)', async (tt) => {
      if (!need(tt, 'copiedBack', 'changed')) return;
      assertSameStorage(backDb, expectedDb);
    });
  });
}
