/**
 * The three public sample databases (Chinook, Northwind, Sakila; test/fixtures/samples) through
 * `ferry copy` and back, with a real PostgreSQL. For each sample:
 *   1. `ferry copy <sample>.db <postgres> --json` exits 0: every row copied, nothing refused, the
 *      copy's own verify finds no difference in content or in schema meaning, and the only warnings
 *      are the views and triggers that are kept for the way back but not created in PostgreSQL;
 *   2. the PostgreSQL schema keeps the app's meaning: DECIMAL/NUMERIC(p,s) as numeric(p,s), bare
 *      NUMERIC (holding integers and reals) as numeric, DATETIME/TIMESTAMP as timestamp, DATE as date,
 *      single INTEGER primary keys as integer identity columns, and every foreign key of the SQLite
 *      file (same columns, referenced table and ON UPDATE / ON DELETE actions);
 *   3. real report queries (the same SQL text on both engines: money sums rounded to cents, date
 *      ranges against string literals, price comparisons against numbers) give the same answers on
 *      the original file and on PostgreSQL;
 *   4. `ferry copy <postgres> back.db` exits 0 and recreates every table, index, view and trigger
 *      with the original sqlite_schema.sql text, every value in its original storage class and form
 *      (Sakila's last_update columns too: the copy back loads the rows before it creates the
 *      triggers that would rewrite them), the sqlite_sequence counters, and the same query answers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { ferry, type CliResult } from '../support/cli.js';
import { freshPostgresDatabase } from '../support/postgres.js';
import { tempDir } from '../support/sqlite-fixtures.js';
import { createSampleDatabase, type SampleName } from '../support/sample-databases.js';
import { q, sqliteTyped, typedKey, withPg } from '../support/copy-fixtures.js';

const TS = 'timestamp without time zone';
const IDENTITY = 'integer identity';

interface Sample {
  name: SampleName;
  /** Report queries, run unchanged on SQLite and PostgreSQL (identifiers double-quoted exactly). */
  queries: Record<string, string>;
  /** Columns whose PostgreSQL type is named here as well as derived from the declared type below. */
  types: Record<string, string>;
  /** Bare NUMERIC columns that hold both integers and reals in the sample. */
  mixedNumeric: string[];
  /** Views and triggers in the SQLite file (README.md), each warned about by the copy. */
  views: number;
  triggers: number;
}

const SAMPLES: Sample[] = [
  {
    name: 'chinook',
    queries: {
      'C1 invoices and revenue per country, top 5': `SELECT "BillingCountry" AS country, COUNT(*) AS invoices, ROUND(CAST(SUM("Total") AS NUMERIC), 2) AS total FROM "Invoice" GROUP BY "BillingCountry" ORDER BY total DESC, country LIMIT 5`,
      'C2 invoices of June 2025 (date range against string literals)': `SELECT "InvoiceId", "InvoiceDate", "BillingCity", "Total" FROM "Invoice" WHERE "InvoiceDate" >= '2025-06-01' AND "InvoiceDate" < '2025-07-01' ORDER BY "InvoiceDate", "InvoiceId"`,
      'C3 revenue per genre, top 5': `SELECT g."Name" AS genre, SUM(il."Quantity") AS tracks_sold, ROUND(CAST(SUM(il."UnitPrice" * il."Quantity") AS NUMERIC), 2) AS revenue FROM "InvoiceLine" il JOIN "Track" t ON t."TrackId" = il."TrackId" JOIN "Genre" g ON g."GenreId" = t."GenreId" GROUP BY g."GenreId", g."Name" ORDER BY revenue DESC, g."GenreId" LIMIT 5`,
      'C4 tracks priced above 1 (numeric comparison)': `SELECT COUNT(*) AS n FROM "Track" WHERE "UnitPrice" > 1`,
    },
    types: {
      'Invoice.Total': 'numeric(10,2)',
      'InvoiceLine.UnitPrice': 'numeric(10,2)',
      'Track.UnitPrice': 'numeric(10,2)',
      'Invoice.InvoiceDate': TS,
      'Employee.BirthDate': TS,
      'Employee.HireDate': TS,
      'Invoice.InvoiceId': IDENTITY,
      'Track.TrackId': IDENTITY,
      'PlaylistTrack.TrackId': 'integer',
    },
    mixedNumeric: [],
    views: 0,
    triggers: 0,
  },
  {
    name: 'northwind',
    queries: {
      'N1 largest orders of 1997 (discounted line totals)': `SELECT o."OrderID", o."CustomerID", ROUND(CAST(SUM(d."UnitPrice" * d."Quantity" * (1 - d."Discount")) AS NUMERIC), 2) AS total FROM "Orders" o JOIN "Order Details" d ON d."OrderID" = o."OrderID" WHERE o."OrderDate" >= '1997-01-01' AND o."OrderDate" < '1998-01-01' GROUP BY o."OrderID", o."CustomerID" ORDER BY total DESC, o."OrderID" LIMIT 5`,
      'N3 shipments, late shipments and average freight per shipper': `SELECT s."CompanyName", COUNT(*) AS shipped, SUM(CASE WHEN o."ShippedDate" > o."RequiredDate" THEN 1 ELSE 0 END) AS late, ROUND(CAST(AVG(o."Freight") AS NUMERIC), 2) AS avg_freight FROM "Orders" o JOIN "Shippers" s ON s."ShipperID" = o."ShipVia" WHERE o."ShippedDate" IS NOT NULL GROUP BY s."ShipperID", s."CompanyName" ORDER BY s."ShipperID"`,
      'N4 products priced above 20 (numeric comparison)': `SELECT COUNT(*) AS n FROM "Products" WHERE "UnitPrice" > 20`,
    },
    types: {
      'Order Details.UnitPrice': 'numeric',
      'Orders.Freight': 'numeric',
      'Products.UnitPrice': 'numeric',
      'Employees.BirthDate': 'date',
      'Employees.HireDate': 'date',
      'Orders.OrderDate': TS,
      'Orders.RequiredDate': TS,
      'Orders.ShippedDate': TS,
      'Orders.OrderID': IDENTITY,
      'Regions.RegionID': IDENTITY,
      'Order Details.Discount': 'double precision',
    },
    mixedNumeric: ['Order Details.UnitPrice', 'Orders.Freight', 'Products.UnitPrice'],
    views: 16,
    triggers: 0,
  },
  {
    name: 'sakila',
    queries: {
      'S1 rentals per month': `SELECT substr(CAST("rental_date" AS TEXT), 1, 7) AS ym, COUNT(*) AS rentals FROM "rental" GROUP BY substr(CAST("rental_date" AS TEXT), 1, 7) ORDER BY ym`,
      'S2 films, average rental rate and replacement cost per rating': `SELECT "rating", COUNT(*) AS films, ROUND(CAST(AVG("rental_rate") AS NUMERIC), 2) AS avg_rate, ROUND(CAST(AVG("replacement_cost") AS NUMERIC), 2) AS avg_cost FROM "film" GROUP BY "rating" ORDER BY "rating"`,
      'S3 revenue per category, top 5': `SELECT c."name" AS category, COUNT(*) AS payments, ROUND(CAST(SUM(p."amount") AS NUMERIC), 2) AS revenue FROM "payment" p JOIN "rental" r ON r."rental_id" = p."rental_id" JOIN "inventory" i ON i."inventory_id" = r."inventory_id" JOIN "film_category" fc ON fc."film_id" = i."film_id" JOIN "category" c ON c."category_id" = fc."category_id" GROUP BY c."category_id", c."name" ORDER BY revenue DESC, c."category_id" LIMIT 5`,
      'S4 top customers of July 2005': `SELECT c."customer_id", c."first_name", c."last_name", COUNT(*) AS payments, ROUND(CAST(SUM(p."amount") AS NUMERIC), 2) AS spent FROM "payment" p JOIN "customer" c ON c."customer_id" = p."customer_id" WHERE p."payment_date" >= '2005-07-01' AND p."payment_date" < '2005-08-01' GROUP BY c."customer_id", c."first_name", c."last_name" ORDER BY spent DESC, c."customer_id" LIMIT 5`,
      'S5 films renting above 2 (numeric comparison)': `SELECT COUNT(*) AS n FROM "film" WHERE "rental_rate" > 2`,
    },
    types: {
      'film.rental_rate': 'numeric(4,2)',
      'film.replacement_cost': 'numeric(5,2)',
      'payment.amount': 'numeric(5,2)',
      'rental.rental_date': TS,
      'rental.return_date': TS,
      'payment.payment_date': TS,
      'customer.create_date': TS,
      'actor.last_update': TS,
      'rental.rental_id': IDENTITY,
      'payment.payment_id': IDENTITY,
      'film_text.film_id': IDENTITY,
    },
    mixedNumeric: [],
    views: 5,
    triggers: 30,
  },
];

function cliText(r: CliResult): string {
  return `exit ${r.status}\n--- stdout\n${r.stdout.slice(0, 8000)}\n--- stderr\n${r.stderr.slice(0, 4000)}`;
}

// ---------------------------------------------------------------------------------------------
// SQLite side
// ---------------------------------------------------------------------------------------------

interface SqliteColumn {
  name: string;
  type: string;
  pk: number;
}

function withSqlite<T>(file: string, fn: (db: Database.Database) => T): T {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** The app's tables (not sqlite_sequence or the statistics tables) with their declared columns. */
function sqliteColumns(file: string): Map<string, SqliteColumn[]> {
  return withSqlite(file, (db) => {
    const tables = db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).pluck().all() as string[];
    return new Map(tables.map((t) => [t, db.prepare(`SELECT name, type, pk FROM pragma_table_info(?) ORDER BY cid`).all(t) as SqliteColumn[]]));
  });
}

/** Every foreign key of a SQLite file as `table(cols) -> ref(refcols) ON UPDATE x ON DELETE y`, sorted. */
function sqliteForeignKeys(file: string): string[] {
  return withSqlite(file, (db) => {
    const rows = db
      .prepare(
        `SELECT m.name AS tbl, f.id, f.seq, f."table" AS ref, f."from" AS col, f."to" AS refcol, f.on_update, f.on_delete
           FROM sqlite_schema m, pragma_foreign_key_list(m.name) f WHERE m.type = 'table' ORDER BY m.name, f.id, f.seq`,
      )
      .all() as { tbl: string; id: number; ref: string; col: string; refcol: string | null; on_update: string; on_delete: string }[];
    const byKey = new Map<string, { tbl: string; ref: string; cols: string[]; refcols: string[]; upd: string; del: string }>();
    for (const r of rows) {
      const k = `${r.tbl}\u0000${r.id}`;
      const fk = byKey.get(k) ?? { tbl: r.tbl, ref: r.ref, cols: [], refcols: [], upd: r.on_update, del: r.on_delete };
      fk.cols.push(r.col);
      fk.refcols.push(r.refcol ?? '?');
      byKey.set(k, fk);
    }
    return [...byKey.values()].map((f) => `${f.tbl}(${f.cols.join(',')}) -> ${f.ref}(${f.refcols.join(',')}) ON UPDATE ${f.upd} ON DELETE ${f.del}`).sort();
  });
}

/** `type name` -> { tbl_name, sql } of every object in sqlite_schema, but the statistics tables ANALYZE makes. */
function sqliteObjects(file: string): Map<string, { tbl: string; sql: string | null }> {
  return withSqlite(file, (db) => {
    const rows = db.prepare(`SELECT type, name, tbl_name AS tbl, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_stat%' ORDER BY type, name`).all() as {
      type: string;
      name: string;
      tbl: string;
      sql: string | null;
    }[];
    return new Map(rows.map((r) => [`${r.type} ${r.name}`, { tbl: r.tbl, sql: r.sql }]));
  });
}

function sqliteSequence(file: string): string[] {
  return withSqlite(file, (db) => {
    if (!db.prepare(`SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_sequence'`).get()) return [];
    return (db.prepare(`SELECT name, seq FROM sqlite_sequence ORDER BY name`).all() as { name: string; seq: number }[]).map((r) => `${r.name}=${r.seq}`);
  });
}

// ---------------------------------------------------------------------------------------------
// Query answers, normalised so the two engines' drivers compare
// ---------------------------------------------------------------------------------------------

/** A decimal number's text in one canonical form: plain digits, no exponent, no trailing zeros. */
function decimalText(text: string): string {
  let s = text.trim();
  const e = /^([+-]?)(\d*)(?:\.(\d*))?e([+-]?\d+)$/i.exec(s);
  if (e) {
    const digits = `${e[2] ?? ''}${e[3] ?? ''}`;
    const exp = Number(e[4]) - (e[3] ?? '').length;
    if (exp >= 0) s = `${e[1]}${digits}${'0'.repeat(exp)}`;
    else {
      const padded = digits.padStart(-exp + 1, '0');
      s = `${e[1]}${padded.slice(0, padded.length + exp)}.${padded.slice(padded.length + exp)}`;
    }
  }
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(s);
  assert.ok(m, `not a decimal number: ${text}`);
  const int = (m[2] ?? '').replace(/^0+(?=\d)/, '') || '0';
  const frac = (m[3] ?? '').replace(/0+$/, '');
  const out = `${int}${frac ? `.${frac}` : ''}`;
  return out === '0' || m[1] !== '-' ? out : `-${out}`;
}

/** A date-time text (either engine's form) as ISO `YYYY-MM-DDTHH:MM:SS.ffffff`; other text unchanged. */
function isoText(text: string): string {
  const m = /^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d)(?::(\d\d))?(?:\.(\d{1,6}))?$/.exec(text);
  return m ? `${m[1]}T${m[2]}:${m[3] ?? '00'}.${(m[4] ?? '').padEnd(6, '0')}` : text;
}

/** Counts and other integers as numbers, decimals as `dec:<canonical text>`, date-times as ISO text. */
type Answer = (number | string | null)[][];

function sqliteAnswer(file: string, sql: string): Answer {
  return withSqlite(file, (db) => {
    db.defaultSafeIntegers(true);
    const rows = db.prepare(sql).raw(true).all() as unknown[][];
    return rows.map((r) =>
      r.map((v) => {
        if (v === null) return null;
        if (typeof v === 'bigint') return Number(v);
        if (typeof v === 'number') return `dec:${decimalText(String(v))}`;
        if (typeof v === 'string') return isoText(v);
        throw new Error(`unexpected ${typeof v} in the answer of ${sql}`);
      }),
    );
  });
}

const PG_INTEGER = new Set([20, 21, 23]);
const PG_DECIMAL = new Set([700, 701, 1700]);

async function pgAnswer(client: pg.Client, sql: string): Promise<Answer> {
  const r = await client.query({ text: sql, rowMode: 'array' });
  return (r.rows as (string | null)[][]).map((row) =>
    row.map((v, i) => {
      if (v === null) return null;
      const oid = r.fields[i]!.dataTypeID;
      if (PG_INTEGER.has(oid)) return Number(v);
      if (PG_DECIMAL.has(oid)) return `dec:${decimalText(v)}`;
      // timestamp, date and text alike: PostgreSQL's text of a timestamp is ISO apart from the 'T'.
      return isoText(v);
    }),
  );
}

/** A pg client that hands every value over as PostgreSQL's own text (the answer says which type it was). */
async function withRawPg<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: 10_000,
    types: { getTypeParser: (() => (v: string) => v) as unknown as typeof pg.types.getTypeParser },
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL side
// ---------------------------------------------------------------------------------------------

/** `table.column` -> `numeric(10,2)`, `numeric`, `integer identity`, `timestamp without time zone`, ... */
async function pgTypes(url: string): Promise<Map<string, string>> {
  return withPg(url, async (c) => {
    const r = await c.query<{
      table_name: string;
      column_name: string;
      data_type: string;
      numeric_precision: number | null;
      numeric_scale: number | null;
      is_identity: string;
    }>(
      `SELECT table_name, column_name, data_type, numeric_precision, numeric_scale, is_identity
         FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '_ferry_origin' ORDER BY table_name, ordinal_position`,
    );
    return new Map(
      r.rows.map((x) => {
        let t = x.data_type;
        if (t === 'numeric' && x.numeric_precision !== null) t = `numeric(${x.numeric_precision},${x.numeric_scale})`;
        if (x.is_identity === 'YES') t = `${t} identity`;
        return [`${x.table_name}.${x.column_name}`, t];
      }),
    );
  });
}

const FK_ACTION: Record<string, string> = { a: 'NO ACTION', r: 'RESTRICT', c: 'CASCADE', n: 'SET NULL', d: 'SET DEFAULT' };

async function pgForeignKeys(url: string): Promise<string[]> {
  return withPg(url, async (c) => {
    const r = await c.query<{ tbl: string; cols: string[]; ref: string; refcols: string[]; upd: string; del: string }>(
      `SELECT t.relname AS tbl, rt.relname AS ref,
              ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.o) AS cols,
              ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.o) AS refcols,
              con.confupdtype AS upd, con.confdeltype AS del
         FROM pg_constraint con
         JOIN pg_class t ON t.oid = con.conrelid
         JOIN pg_class rt ON rt.oid = con.confrelid
         JOIN pg_namespace n ON n.oid = con.connamespace AND n.nspname = 'public'
        WHERE con.contype = 'f'`,
    );
    return r.rows
      .map((f) => `${f.tbl}(${f.cols.join(',')}) -> ${f.ref}(${f.refcols.join(',')}) ON UPDATE ${FK_ACTION[f.upd]} ON DELETE ${FK_ACTION[f.del]}`)
      .sort();
  });
}

/** The PostgreSQL type a declared SQLite type must become, for the kinds this file checks (else undefined). */
function expectedPgType(column: SqliteColumn, singleKey: boolean): string | undefined {
  const declared = column.type.trim();
  if (singleKey && /^INTEGER$/i.test(declared)) return IDENTITY;
  if (/^(DATETIME|TIMESTAMP)$/i.test(declared)) return TS;
  if (/^DATE$/i.test(declared)) return 'date';
  const dec = /^(?:DECIMAL|NUMERIC)\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)$/i.exec(declared);
  if (dec) return `numeric(${dec[1]},${dec[2]})`;
  if (/^NUMERIC$/i.test(declared)) return 'numeric';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The tests, once per sample
// ---------------------------------------------------------------------------------------------

for (const sample of SAMPLES) {
  test(`${sample.name}: ferry copy to PostgreSQL keeps types, keys and query answers, and the copy back is the original`, { timeout: 120_000 }, async (t) => {
    const db = await freshPostgresDatabase(t);
    if (!db) return;
    const dir = tempDir(`samples-${sample.name}`);
    const file = `${sample.name}.db`;
    const src = path.join(dir, file);
    const back = path.join(dir, 'back.db');
    createSampleDatabase(sample.name, src);
    const columns = sqliteColumns(src);
    const state = { copied: false, copiedBack: false };
    const need = (what: keyof typeof state) => assert.ok(state[what], `the earlier step did not load the tables (${what}); see its failure`);
    /** The answers on the original file, computed once. */
    const original = Object.fromEntries(Object.entries(sample.queries).map(([name, sql]) => [name, sqliteAnswer(src, sql)]));

    await t.test(`ferry copy ${file} -> PostgreSQL exits 0 (every row, nothing refused, verify clean)`, async () => {
      const r = await ferry(dir, 'copy', file, db.url, '--json');
      // Exit 4 (verify found differences) still leaves the tables loaded: the later steps then run.
      state.copied = r.status === 0 || r.status === 4;
      let report: {
        ok: boolean;
        totals: { rows: number; rejects: number };
        warnings: { code: string; table: string }[];
        verify: {
          ok: boolean;
          tables: { table: string; ok: boolean }[];
          schema: { table: string; column?: string; severity: string; kind: string; message: string }[];
        };
      };
      try {
        report = JSON.parse(r.stdout) as typeof report;
      } catch {
        assert.fail(`no JSON report\n${cliText(r)}`);
      }
      const behaviour = report.verify.schema.filter((d) => d.severity === 'behaviour');
      // Named first, so a failure says which differences the copy's verify found, not just "exit 4".
      assert.deepEqual(
        behaviour.map((d) => `${d.kind} ${d.message}`),
        [],
        `the copy's verify reports ${behaviour.length} schema difference(s) that change behaviour`,
      );
      assert.equal(r.status, 0, cliText(r));
      assert.equal(report.ok, true);
      assert.equal(report.totals.rejects, 0);
      const rows = withSqlite(src, (s) =>
        [...columns.keys()].reduce(
          (n, tbl) =>
            n +
            Number(
              s
                .prepare(`SELECT count(*) FROM ${q(tbl)}`)
                .pluck()
                .get(),
            ),
          0,
        ),
      );
      assert.equal(report.totals.rows, rows, 'every row of every table copied');
      assert.ok(report.verify.tables.length === columns.size && report.verify.tables.every((x) => x.ok), 'verify compared every table by content');
      const codes = report.warnings.map((w) => w.code).sort();
      assert.deepEqual(
        codes,
        [...Array<string>(sample.triggers).fill('TRIGGER_SKIPPED'), ...Array<string>(sample.views).fill('VIEW_SKIPPED')],
        'the only warnings: each view and trigger, kept for the way back but not created in PostgreSQL',
      );
    });

    await t.test('PostgreSQL types: numeric(p,s), numeric, timestamp, date, integer identity keys', async () => {
      need('copied');
      const got = await pgTypes(db.url);
      // The columns named in the sample's list...
      const named = Object.fromEntries(Object.keys(sample.types).map((k) => [k, got.get(k) ?? '(missing)']));
      assert.deepEqual(named, sample.types);
      // ...and every column of those kinds, from its declared type.
      const want: Record<string, string> = {};
      const have: Record<string, string> = {};
      for (const [tbl, cols] of columns) {
        const singleKey = cols.filter((c) => c.pk > 0).length === 1;
        for (const c of cols) {
          const e = expectedPgType(c, singleKey && c.pk > 0);
          if (!e) continue;
          want[`${tbl}.${c.name}`] = `${e}  (declared ${c.type})`;
          have[`${tbl}.${c.name}`] = `${got.get(`${tbl}.${c.name}`) ?? '(missing)'}  (declared ${c.type})`;
        }
      }
      assert.ok(Object.keys(want).length > 0, 'the declared types give expectations');
      assert.deepEqual(have, want);
      // Northwind's bare NUMERIC columns hold integers and reals alike, and stay exact numbers.
      for (const col of sample.mixedNumeric) {
        const [tbl, name] = [col.slice(0, col.lastIndexOf('.')), col.slice(col.lastIndexOf('.') + 1)];
        const classes = withSqlite(src, (s) =>
          s
            .prepare(`SELECT DISTINCT typeof(${q(name)}) FROM ${q(tbl)} ORDER BY 1`)
            .pluck()
            .all(),
        );
        assert.deepEqual(classes, ['integer', 'real'], `${col} holds integers and reals in the sample`);
        // The sum of the values as the app wrote them (shortest decimal of each double), in exact cents.
        const cents = withSqlite(
          src,
          (s) =>
            s
              .prepare(`SELECT ${q(name)} FROM ${q(tbl)} WHERE ${q(name)} IS NOT NULL`)
              .pluck()
              .all() as number[],
        ).reduce((sum, v) => {
          const [int, frac = ''] = decimalText(String(v)).split('.');
          assert.ok(frac.length <= 2, `${col}: ${v} has at most two decimals`);
          return sum + BigInt(`${int}${frac.padEnd(2, '0')}`);
        }, 0n);
        const exactSum = decimalText(`${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`);
        const pgSum: string = await withRawPg(
          db.url,
          async (c) => (await c.query<{ s: string }>(`SELECT sum(${q(name)})::text AS s FROM ${q(tbl)}`)).rows[0]!.s,
        );
        assert.equal(decimalText(pgSum), exactSum, `${col}: PostgreSQL holds the exact decimals (their sum is exact)`);
      }
    });

    await t.test('PostgreSQL foreign keys: every one of the SQLite file, with its actions', async () => {
      need('copied');
      const want = sqliteForeignKeys(src);
      assert.ok(want.length > 0);
      const got = await pgForeignKeys(db.url);
      assert.equal(got.length, want.length, 'as many foreign keys (pg_constraint contype f) as the SQLite file has');
      assert.deepEqual(got, want);
    });

    await t.test('report queries: the same answers on the original file and on PostgreSQL', async () => {
      need('copied');
      await withRawPg(db.url, async (c) => {
        for (const [name, sql] of Object.entries(sample.queries)) {
          const want = original[name]!;
          assert.ok(want.length > 0, `${name}: returns rows on SQLite`);
          assert.deepEqual(await pgAnswer(c, sql), want, `${name}\n${sql}`);
        }
      });
    });

    await t.test('ferry copy PostgreSQL -> back.db exits 0', async () => {
      need('copied');
      const r = await ferry(dir, 'copy', db.url, 'back.db');
      state.copiedBack = r.status === 0 || r.status === 4;
      assert.equal(r.status, 0, cliText(r));
    });

    await t.test('back.db: every table, index, view and trigger has the original sqlite_schema.sql', async () => {
      need('copiedBack');
      const a = sqliteObjects(src);
      const b = sqliteObjects(back);
      const kinds = [...a.keys()].map((k) => k.split(' ')[0]!);
      assert.equal(kinds.filter((k) => k === 'view').length, sample.views);
      assert.equal(kinds.filter((k) => k === 'trigger').length, sample.triggers);
      const out: string[] = [];
      for (const [key, o] of a) {
        const n = b.get(key);
        if (!n) out.push(`${key}: missing in back.db`);
        else if (n.sql !== o.sql || n.tbl !== o.tbl) out.push(`${key}\n  original: ${o.sql}\n  back.db:  ${n.sql}`);
      }
      for (const key of b.keys()) if (!a.has(key)) out.push(`${key}: only in back.db`);
      assert.deepEqual(out, [], 'sqlite_schema differs from the original');
      assert.deepEqual(sqliteSequence(back), sqliteSequence(src), 'sqlite_sequence (AUTOINCREMENT counters)');
      assert.deepEqual(
        withSqlite(back, (s) => s.prepare('PRAGMA foreign_key_check').all()),
        [],
      );
    });

    await t.test('back.db: every value in its original storage class and form (Sakila last_update included)', async () => {
      need('copiedBack');
      const problems: string[] = [];
      let values = 0;
      for (const [tbl, cols] of columns) {
        const names = cols.map((c) => c.name);
        const key = cols
          .filter((c) => c.pk > 0)
          .sort((x, y) => x.pk - y.pk)
          .map((c) => q(c.name));
        const order = key.length ? key.join(', ') : names.map(q).join(', ');
        const a = sqliteTyped(src, tbl, names, order);
        const b = sqliteTyped(back, tbl, names, order);
        if (a.length !== b.length) problems.push(`${tbl}: ${a.length} rows, back.db ${b.length}`);
        const differ = new Map<string, { n: number; example: string }>();
        a.forEach((row, r) =>
          row.forEach((v, i) => {
            values++;
            const was = typedKey(v);
            const now = b[r] ? typedKey(b[r]![i]!) : '(no row)';
            if (was === now) return;
            const d = differ.get(names[i]!) ?? { n: 0, example: `row ${r + 1}: original ${was}, back.db ${now}` };
            d.n++;
            differ.set(names[i]!, d);
          }),
        );
        for (const [col, d] of differ) problems.push(`${tbl}.${col}: ${d.n} of ${a.length} values differ, e.g. ${d.example}`);
      }
      assert.ok(values > 0);
      assert.deepEqual(problems, [], 'values changed in the round trip');
    });

    await t.test('standalone ferry verify: original vs PostgreSQL and original vs back.db exit 0', async () => {
      need('copiedBack');
      for (const [a, b] of [
        [file, db.url],
        [file, 'back.db'],
      ] as const) {
        const r = await ferry(dir, 'verify', a, b, '--json');
        const what: string = `ferry verify ${a} ${b === db.url ? '<postgres>' : b}`;
        let report: { ok: boolean; tables: { ok: boolean }[]; schema: { severity: string; kind: string; message: string }[] };
        try {
          report = JSON.parse(r.stdout) as typeof report;
        } catch {
          assert.fail(`${what}: no JSON report\n${cliText(r)}`);
        }
        const behaviour: string[] = report.schema.filter((d) => d.severity === 'behaviour').map((d) => `${d.kind} ${d.message}`);
        assert.deepEqual(behaviour, [], `${what}: schema differences that change behaviour`);
        assert.equal(report.tables.length, columns.size);
        assert.ok(
          report.tables.every((x) => x.ok),
          'every table equal by content',
        );
        assert.equal(r.status, 0, cliText(r));
      }
    });

    await t.test('report queries: the same answers on back.db', async () => {
      need('copiedBack');
      for (const [name, sql] of Object.entries(sample.queries)) assert.deepEqual(sqliteAnswer(back, sql), original[name], name);
    });
  });
}
