/**
 * SQLite databases written by real ORMs (test/fixtures/writers: one `events` table each, created and
 * filled by SQLAlchemy 1.4, Django 3.2 and ActiveRecord 6.1; see its README.md for exactly what each
 * stored) through `ferry copy` to a real PostgreSQL and back. For each library:
 *   1. `ferry copy app.db <postgres> --json` exits 0 with a clean verify;
 *   2. the PostgreSQL types follow from what the library declared and stored: naive date-times ->
 *      timestamp, DATE -> date, TIME holding times -> time but Rails' time column (date-times on
 *      2000-01-01) -> timestamp, 0/1 booleans -> boolean, NUMERIC(10, 2)/decimal(10,2) ->
 *      numeric(10,2) and Django's bare decimal -> numeric, FLOAT/real/float -> double precision,
 *      CHAR(32)/char(32)/varchar(36) uuid columns stay varchar(n), JSON/json -> json but Django's
 *      text + CHECK (JSON_VALID) column stays text, VARCHAR(50) -> varchar(50);
 *   3. every value reads on PostgreSQL as the instant, day, time, number, boolean or document the
 *      library meant (and filters on them work: date ranges, decimal comparisons, JSON keys);
 *   4. `ferry copy <postgres> back.db` exits 0 and gives back the original CREATE TABLE text, the
 *      sqlite_sequence counter and every value with its storage class and text form: date-times and
 *      times in each column's own style (SQLAlchemy's fixed 6 digits; Django's and Rails' 6 digits,
 *      or none when the microseconds are 0), decimals as REAL/INTEGER, JSON numbers as INTEGER.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { ferry, type CliResult } from '../support/cli.js';
import { freshPostgresDatabase } from '../support/postgres.js';
import { repoRoot, tempDir } from '../support/sqlite-fixtures.js';
import { bits, sqliteTyped, typedKey, type Typed } from '../support/copy-fixtures.js';

const TS = 'timestamp without time zone';
const COLUMNS = ['id', 'naive_at', 'aware_at', 'on_date', 'at_time', 'flag', 'amount', 'ratio', 'uid', 'payload', 'label'] as const;
type ColumnName = (typeof COLUMNS)[number];

interface Writer {
  name: 'sqlalchemy' | 'django' | 'rails';
  /** information_schema type of each column (with length, precision and identity). */
  types: Record<ColumnName, string>;
  /** Warning codes the copy gives (the JSON_VALID CHECK PostgreSQL cannot hold; Rails' time column). */
  warnings: string[];
}

const COMMON = {
  id: 'integer identity',
  naive_at: TS,
  aware_at: TS,
  on_date: 'date',
  flag: 'boolean',
  ratio: 'double precision',
  label: 'character varying(50)',
} as const;

const WRITERS: Writer[] = [
  {
    name: 'sqlalchemy',
    types: { ...COMMON, at_time: 'time without time zone', amount: 'numeric(10,2)', uid: 'character varying(32)', payload: 'json' },
    warnings: [],
  },
  {
    name: 'django',
    types: { ...COMMON, at_time: 'time without time zone', amount: 'numeric', uid: 'character varying(32)', payload: 'text' },
    warnings: ['CHECK_SKIPPED'],
  },
  {
    name: 'rails',
    types: { ...COMMON, at_time: TS, amount: 'numeric(10,2)', uid: 'character varying(36)', payload: 'json' },
    warnings: ['TIME_AS_TIMESTAMP'],
  },
];

function cliText(r: CliResult): string {
  return `exit ${r.status}\n--- stdout\n${r.stdout.slice(0, 8000)}\n--- stderr\n${r.stderr.slice(0, 4000)}`;
}

/** A pg client that hands every value over as PostgreSQL's own text. */
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

/** `…HH:MM:SS` or `…HH:MM:SS.f` with the fraction written out to 6 digits. */
function sixDigits(text: string): string {
  const m = /^(.*\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?$/.exec(text);
  assert.ok(m, `not a time or date-time: ${text}`);
  return `${m[1]}.${(m[2] ?? '').padEnd(6, '0')}`;
}

/** What PostgreSQL must hold for a stored SQLite value, in the form `readPg` gives. */
function expectedPg(w: Writer, column: ColumnName, v: Typed): string {
  if (v.type === 'null') return 'null';
  const type = w.types[column];
  switch (column) {
    case 'naive_at':
    case 'aware_at':
    case 'at_time':
      // The same wall time (date-time or time of day) to the microsecond.
      assert.equal(v.type, 'text');
      return sixDigits(String(v.value));
    case 'flag':
      return String(v.value === 1n);
    case 'amount':
      if (type === 'numeric(10,2)') return Number(v.value).toFixed(2);
      return v.type === 'integer' ? String(v.value) : String(v.value as number);
    case 'ratio':
      return `bits:${bits(Number(v.value))}`;
    default:
      return String(v.value);
  }
}

/** Every PostgreSQL value of events (in id order), as comparable text. */
async function readPg(url: string): Promise<Record<ColumnName, string>[]> {
  return withRawPg(url, async (c) => {
    const r = await c.query<Record<ColumnName, string | null>>(
      `SELECT id::text AS id,
              to_char(naive_at, 'YYYY-MM-DD HH24:MI:SS.US') AS naive_at,
              to_char(aware_at, 'YYYY-MM-DD HH24:MI:SS.US') AS aware_at,
              on_date::text AS on_date, at_time::text AS at_time, flag::text AS flag, amount::text AS amount,
              ratio::text AS ratio, uid, payload::text AS payload, label
         FROM events ORDER BY id`,
    );
    return r.rows.map((row) => {
      const out = {} as Record<ColumnName, string>;
      for (const col of COLUMNS) {
        const v = row[col];
        if (v === null) out[col] = 'null';
        else if (col === 'at_time') out[col] = sixDigits(v);
        else if (col === 'ratio') out[col] = `bits:${bits(Number(v))}`;
        else out[col] = v;
      }
      return out;
    });
  });
}

async function pgTypes(url: string): Promise<Record<string, string>> {
  return withRawPg(url, async (c) => {
    const r = await c.query<{
      column_name: string;
      data_type: string;
      character_maximum_length: string | null;
      numeric_precision: string | null;
      numeric_scale: string | null;
      is_identity: string;
    }>(
      `SELECT column_name, data_type, character_maximum_length, numeric_precision, numeric_scale, is_identity
         FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'events' ORDER BY ordinal_position`,
    );
    return Object.fromEntries(
      r.rows.map((x) => {
        let t = x.data_type;
        if (x.character_maximum_length !== null) t = `${t}(${x.character_maximum_length})`;
        if (t === 'numeric' && x.numeric_precision !== null) t = `numeric(${x.numeric_precision},${x.numeric_scale})`;
        if (x.is_identity === 'YES') t = `${t} identity`;
        return [x.column_name, t];
      }),
    );
  });
}

function createTableSql(file: string): string {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(`SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'events'`).pluck().get() as string;
  } finally {
    db.close();
  }
}

function sqliteSequence(file: string): string[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    if (!db.prepare(`SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_sequence'`).get()) return [];
    return (db.prepare(`SELECT name, seq FROM sqlite_sequence ORDER BY name`).all() as { name: string; seq: number }[]).map((r) => `${r.name}=${r.seq}`);
  } finally {
    db.close();
  }
}

for (const w of WRITERS) {
  test(`${w.name}: the events table keeps its meaning on PostgreSQL and comes back exactly as ${w.name} wrote it`, { timeout: 60_000 }, async (t) => {
    const db = await freshPostgresDatabase(t);
    if (!db) return;
    const dir = tempDir(`writers-${w.name}`);
    const src = path.join(dir, 'app.db');
    const back = path.join(dir, 'back.db');
    const sdb = new Database(src);
    sdb.exec(fs.readFileSync(path.join(repoRoot, 'test', 'fixtures', 'writers', `${w.name}.sql`), 'utf8'));
    sdb.close();
    const source = sqliteTyped(src, 'events', [...COLUMNS], 'id');
    assert.equal(source.length, 8, 'the fixture has its 8 rows');
    const state = { copied: false, copiedBack: false };
    const need = (what: keyof typeof state) => assert.ok(state[what], `the earlier step did not load the table (${what}); see its failure`);

    await t.test('ferry copy app.db -> PostgreSQL exits 0 (verify clean)', async () => {
      const r = await ferry(dir, 'copy', 'app.db', db.url, '--json');
      // Exit 4 (verify found differences) still leaves the table loaded: the later steps then run.
      state.copied = r.status === 0 || r.status === 4;
      let report: {
        ok: boolean;
        totals: { rows: number; rejects: number };
        warnings: { code: string }[];
        verify: { schema: { severity: string; kind: string; message: string }[] };
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
      assert.deepEqual(report.totals, { ...report.totals, rows: 8, rejects: 0 });
      assert.deepEqual(
        report.warnings.map((x) => x.code),
        w.warnings,
      );
    });

    await t.test('PostgreSQL column types follow from what the library declared and stored', async () => {
      need('copied');
      assert.deepEqual(await pgTypes(db.url), w.types);
    });

    await t.test('PostgreSQL holds every value as the instant, day, time, number, boolean or document meant', async () => {
      need('copied');
      const got = await readPg(db.url);
      assert.equal(got.length, source.length);
      const out: string[] = [];
      source.forEach((row, r) =>
        COLUMNS.forEach((col, i) => {
          const want = expectedPg(w, col, row[i]!);
          if (got[r]![col] !== want) out.push(`row ${r + 1} ${col}: SQLite ${typedKey(row[i]!)}, expected ${want}, PostgreSQL ${got[r]![col]}`);
        }),
      );
      assert.deepEqual(out, []);

      // The same facts as PostgreSQL compares them: instants and numbers, not text.
      const atTime = w.name === 'rails' ? `TIMESTAMP '2000-01-01 21:00:00.438'` : `TIME '21:00:00.438'`;
      const spot = await withRawPg(
        db.url,
        async (c) =>
          (
            await c.query({
              text: `SELECT
                (SELECT naive_at = TIMESTAMP '2024-01-01 21:00:00.438' AND at_time = ${atTime} AND on_date = DATE '2024-01-01'
                        AND amount = 12.50 AND ratio = 1.5 AND flag AND (payload::text)::json->>'a' = '1' FROM events WHERE id = 1),
                (SELECT naive_at = TIMESTAMP '2024-03-01 00:00:00' AND NOT flag AND amount = -1234.56 FROM events WHERE id = 2),
                (SELECT naive_at = TIMESTAMP '2024-02-29 23:59:59.999999' AND amount = 0 FROM events WHERE id = 3),
                (SELECT amount = 99999999.99 AND naive_at = TIMESTAMP '1999-12-31 23:59:59' FROM events WHERE id = 5),
                (SELECT naive_at = TIMESTAMP '1969-12-31 23:59:59.5' AND amount = -0.01 AND json_typeof((payload::text)::json) = 'number' FROM events WHERE id = 6),
                (SELECT count(*) FROM events WHERE naive_at >= '2024-01-01' AND naive_at < '2025-01-01'),
                (SELECT count(*) FROM events WHERE amount > 12.5),
                (SELECT count(*) FROM events WHERE flag),
                (SELECT string_agg(id::text, ',' ORDER BY id) FROM events WHERE on_date BETWEEN '2000-01-01' AND '2024-02-29')`,
              rowMode: 'array',
            })
          ).rows[0] as string[],
      );
      assert.deepEqual(spot, ['t', 't', 't', 't', 't', '4', '2', '4', '1,2,3']);
    });

    await t.test('ferry copy PostgreSQL -> back.db exits 0', async () => {
      need('copied');
      const r = await ferry(dir, 'copy', db.url, 'back.db');
      state.copiedBack = r.status === 0 || r.status === 4;
      assert.equal(r.status, 0, cliText(r));
    });

    await t.test('back.db: the CREATE TABLE text and sqlite_sequence are the original', async () => {
      need('copiedBack');
      assert.equal(createTableSql(back), createTableSql(src));
      assert.deepEqual(sqliteSequence(back), sqliteSequence(src));
    });

    await t.test('standalone ferry verify: app.db vs PostgreSQL and app.db vs back.db exit 0', async () => {
      need('copiedBack');
      for (const [label, target] of [
        ['<postgres>', db.url],
        ['back.db', 'back.db'],
      ] as const) {
        const r = await ferry(dir, 'verify', 'app.db', target, '--json');
        const what: string = `ferry verify app.db ${label}`;
        let report: { tables: { ok: boolean }[]; schema: { severity: string; kind: string; message: string }[] };
        try {
          report = JSON.parse(r.stdout) as typeof report;
        } catch {
          assert.fail(`${what}: no JSON report\n${cliText(r)}`);
        }
        const behaviour: string[] = report.schema.filter((d) => d.severity === 'behaviour').map((d) => `${d.kind} ${d.message}`);
        assert.deepEqual(behaviour, [], `${what}: schema differences that change behaviour`);
        assert.deepEqual(
          report.tables.map((x) => x.ok),
          [true],
          `${what}: events equal by content`,
        );
        assert.equal(r.status, 0, cliText(r));
      }
    });

    await t.test("back.db: every value has its original storage class and text (each column's own date-time style)", async () => {
      need('copiedBack');
      const now = sqliteTyped(back, 'events', [...COLUMNS], 'id');
      assert.equal(now.length, source.length);
      const out: string[] = [];
      source.forEach((row, r) =>
        COLUMNS.forEach((col, i) => {
          const was = typedKey(row[i]!);
          const is = typedKey(now[r]![i]!);
          if (was !== is) out.push(`row ${r + 1} ${col}: original ${was}, back.db ${is}`);
        }),
      );
      assert.deepEqual(out, []);
    });
  });
}
