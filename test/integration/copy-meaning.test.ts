/**
 * Every case of "the values were exact but the app broke" (issue 9), each with a real PostgreSQL:
 * booleans, ORM date-time text, decimals with a scale, integer widths, UUIDs, VARCHAR limits,
 * COLLATE NOCASE, defaults, virtual tables, names PostgreSQL cannot hold, `--data-only` into the
 * app's own schema, the way back to SQLite (declared types, values as numbers, the app's text
 * forms, rows written after the switch), and verify's comparison of the two schemas' meaning.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ferry } from '../support/cli.js';
import { freshPostgresDatabase } from '../support/postgres.js';
import { tempDir } from '../support/sqlite-fixtures.js';
import { pgColumnTypes, pgTables, q, withPg } from '../support/copy-fixtures.js';

/** A SQLite file built from `sql` in a fresh folder. */
function sqliteApp(label: string, sql: string): { dir: string; file: string } {
  const dir = tempDir(label);
  const file = path.join(dir, 'app.db');
  const db = new Database(file);
  db.exec(sql);
  db.close();
  return { dir, file };
}

/** Rows of a SQLite query, integers as bigint. */
function sqliteRows(file: string, sql: string): Record<string, unknown>[] {
  const db = new Database(file, { readonly: true });
  db.defaultSafeIntegers(true);
  try {
    return db.prepare(sql).all() as Record<string, unknown>[];
  } finally {
    db.close();
  }
}

/** The CREATE statements of a SQLite file by name (tables, indexes, triggers, views). */
function sqliteDdl(file: string): Record<string, string> {
  return Object.fromEntries(
    sqliteRows(file, `SELECT name, sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY name`).map((r) => [
      r.name as string,
      r.sql as string,
    ]),
  );
}

/** A plain node-postgres client, as an app uses it (its own type parsing: int4 as number, int8 as string). */
async function appPg<T>(url: string, fn: (c: import('pg').Client) => Promise<T>): Promise<T> {
  const pg = (await import('pg')).default;
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`SET TimeZone = 'UTC'`);
    return await fn(c);
  } finally {
    await c.end();
  }
}

const APP = `
  CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email VARCHAR(120) COLLATE NOCASE NOT NULL UNIQUE,
    active TINYINT(1) NOT NULL DEFAULT 1,
    admin BOOLEAN,
    legacy BIT,
    created_at DATETIME NOT NULL,
    birthday DATE,
    balance DECIMAL(10,2),
    rate DECIMAL(10,6),
    external_id UUID,
    settings JSON,
    nickname VARCHAR(20) DEFAULT '',
    score INTEGER DEFAULT (1+1),
    label TEXT DEFAULT (lower('ABC')),
    quoted TEXT DEFAULT ""
  );
  CREATE INDEX users_created ON users(created_at);
  CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users(id),
    at DATETIME,
    price NUMERIC(10,2),
    kind TEXT
  );
  CREATE VIEW active_users AS SELECT id, email FROM users WHERE active = 1;
  CREATE TRIGGER events_kind AFTER INSERT ON events WHEN NEW.kind IS NULL BEGIN UPDATE events SET kind = 'plain' WHERE id = NEW.id; END;
  INSERT INTO users (id, email, active, admin, legacy, created_at, birthday, balance, rate, external_id, settings) VALUES
    (1, 'a@x.org', 1, 0, 1, '2024-01-01 21:00:00.438 +00:00', '1990-02-28', 19.99, 0.125, '0b3f5e4c-5d6e-4f80-9a1b-2c3d4e5f6a7b', '{"theme":"dark"}'),
    (2, 'B@x.org', 0, 1, 0, '2024-01-02 08:30:00.000 +00:00', NULL, 2308.61, 1.5, '1b3f5e4c-5d6e-4f80-9a1b-2c3d4e5f6a7b', '{"theme":"light"}'),
    (3, 'c@x.org', 1, NULL, NULL, '2024-02-29 23:59:59.999 +00:00', '2000-01-01', 19.99, 0.000001, NULL, NULL);
  INSERT INTO events (user_id, at, price, kind) VALUES
    (1, '2016-07-04', 10.5, 'a'), (1, '2016-07-04 10:15:00', 21, 'b'), (2, '2016-07-05 09:00:00.5', 25.25, 'c'), (3, NULL, 19.99, 'd');
`;

test(
  'the app keeps its meaning on PostgreSQL: booleans, ORM date-times, decimals, integers, UUIDs, limits, NOCASE, defaults',
  { timeout: 60_000 },
  async (t) => {
    const db = await freshPostgresDatabase(t);
    if (!db) return;
    const { dir } = sqliteApp('meaning', APP);
    const run = await ferry(dir, 'copy', 'app.db', db.url, '--json');
    assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
    const report = JSON.parse(run.stdout) as {
      verify: { ok: boolean; schema: { severity: string; message: string }[] };
      warnings: { code: string; column?: string }[];
    };
    assert.equal(report.verify.ok, true);
    assert.deepEqual(
      report.verify.schema.filter((d) => d.severity === 'behaviour'),
      [],
      'no difference that changes how the app behaves',
    );

    // Declared types carry over as an app's own ORM would create them on PostgreSQL.
    assert.deepEqual(await pgColumnTypes(db.url, 'users'), {
      id: 'integer',
      email: 'USER-DEFINED',
      active: 'boolean',
      admin: 'boolean',
      legacy: 'boolean',
      created_at: 'timestamp with time zone',
      birthday: 'date',
      balance: 'numeric',
      rate: 'numeric',
      external_id: 'uuid',
      settings: 'json',
      nickname: 'character varying',
      score: 'integer',
      label: 'text',
      quoted: 'text',
    });
    assert.deepEqual(await pgColumnTypes(db.url, 'events'), {
      id: 'integer',
      user_id: 'integer',
      at: 'timestamp without time zone',
      price: 'numeric',
      kind: 'text',
    });
    await withPg(db.url, async (c) => {
      const cols = (
        await c.query<{ column_name: string; t: string }>(
          `SELECT a.attname AS column_name, format_type(a.atttypid, a.atttypmod) AS t FROM pg_attribute a WHERE a.attrelid = 'users'::regclass AND a.attnum > 0 ORDER BY a.attnum`,
        )
      ).rows;
      const types = Object.fromEntries(cols.map((r) => [r.column_name, r.t]));
      assert.equal(types.email, 'citext', 'COLLATE NOCASE is citext');
      assert.equal(types.balance, 'numeric(10,2)');
      assert.equal(types.rate, 'numeric(10,6)');
      assert.equal(types.nickname, 'character varying(20)');
      // The VARCHAR(120) limit of the citext column is a CHECK.
      const checks = (
        await c.query<{ def: string }>(`SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'users'::regclass AND contype = 'c'`)
      ).rows.map((r) => r.def);
      assert.ok(
        checks.some((d) => /char_length\(\(?email\)?(::text)?\) <= 120/.test(d)),
        checks.join('; '),
      );
    });

    await appPg(db.url, async (c) => {
      // Integer ids read as numbers, as on SQLite; booleans filter and insert as booleans.
      const u = (await c.query(`SELECT id, active, admin, balance FROM users WHERE id = 1`)).rows[0]!;
      assert.equal(u.id, 1);
      assert.equal(u.active, true);
      assert.equal(u.admin, false);
      assert.equal((await c.query(`SELECT count(*)::int AS n FROM users WHERE active = true`)).rows[0]!.n, 2);
      await c.query(`INSERT INTO users (email, active, created_at) VALUES ('d@x.org', 'true', now())`);
      // Date-times: ORM text with a zone is an instant; date_trunc and now() work.
      assert.equal(
        (await c.query(`SELECT to_char(created_at, 'YYYY-MM-DD HH24:MI:SS.MS') AS t FROM users WHERE id = 1`)).rows[0]!.t,
        '2024-01-01 21:00:00.438',
      );
      assert.equal(
        (await c.query(`SELECT count(*)::int AS n FROM users WHERE created_at < now() AND date_trunc('month', created_at) = '2024-01-01'`)).rows[0]!.n,
        2,
      );
      // A DATETIME column mixing dates and date-times is a timestamp; dates are midnight.
      assert.deepEqual(
        (await c.query(`SELECT to_char(at, 'YYYY-MM-DD HH24:MI:SS.MS') AS t FROM events ORDER BY id`)).rows.map((r) => r.t),
        ['2016-07-04 00:00:00.000', '2016-07-04 10:15:00.000', '2016-07-05 09:00:00.500', null],
      );
      // Decimals add up exactly, with their scale.
      assert.equal((await c.query(`SELECT sum(balance)::text AS s FROM users`)).rows[0]!.s, '2348.59');
      assert.equal((await c.query(`SELECT sum(price)::text AS s FROM events`)).rows[0]!.s, '76.74');
      // uuid = uuid, and the text an app sends, compare as UUIDs.
      assert.equal((await c.query(`SELECT id FROM users WHERE external_id = '0B3F5E4C-5D6E-4F80-9A1B-2C3D4E5F6A7B'`)).rows[0]!.id, 1);
      // NOCASE: equality finds the row in any case, and the UNIQUE refuses a value differing only in case.
      assert.equal((await c.query(`SELECT id FROM users WHERE email = 'b@X.ORG'`)).rows[0]!.id, 2);
      await assert.rejects(c.query(`INSERT INTO users (email, active, created_at) VALUES ('A@X.ORG', true, now())`), /duplicate key/);
      // VARCHAR(20) is enforced.
      await assert.rejects(c.query(`INSERT INTO users (email, active, created_at, nickname) VALUES ('e@x.org', true, now(), '${'n'.repeat(21)}')`), /too long/);
      // Defaults: '', (1+1), lower('ABC') and SQLite's "" (a string there).
      const d = (await c.query(`INSERT INTO users (email, active, created_at) VALUES ('f@x.org', true, now()) RETURNING nickname, score, label, quoted`))
        .rows[0]!;
      assert.deepEqual(d, { nickname: '', score: 2, label: 'abc', quoted: '' });
      // Ids continue after the largest; AUTOINCREMENT after sqlite_sequence.
      assert.equal((await c.query(`INSERT INTO events (user_id, at, price) VALUES (1, now(), 1) RETURNING id`)).rows[0]!.id, 5);
    });
  },
);

test(
  'a value that would need rounding is never rounded: DECIMAL(10,2) holding 1.005 becomes numeric without a scale, with a warning',
  { timeout: 60_000 },
  async (t) => {
    const db = await freshPostgresDatabase(t);
    if (!db) return;
    const { dir } = sqliteApp(
      'meaning-round',
      `CREATE TABLE p (id INTEGER PRIMARY KEY, price DECIMAL(10,2)); INSERT INTO p VALUES (1, 1.005), (2, 19.99), (3, 123456789012);`,
    );
    const run = await ferry(dir, 'copy', 'app.db', db.url, '--json');
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(run.stdout) as { warnings: { code: string; message: string }[] };
    const w = report.warnings.find((x) => x.code === 'NUMERIC_NOT_FITTING');
    assert.ok(w, JSON.stringify(report.warnings));
    assert.match(w.message, /2 of 3 values/);
    const values = await withPg(
      db.url,
      async (c) =>
        (
          await c.query<{ t: string; v: string }>(
            `SELECT format_type(atttypid, atttypmod) AS t, (SELECT string_agg(price::text, ',' ORDER BY id) FROM p) AS v FROM pg_attribute WHERE attrelid = 'p'::regclass AND attname = 'price'`,
          )
        ).rows[0]!,
    );
    assert.deepEqual(values, { t: 'numeric', v: '1.005,19.99,123456789012' });
  },
);

test('--integers bigint makes every integer bigint (node-postgres then reads strings)', { timeout: 60_000 }, async (t) => {
  const db = await freshPostgresDatabase(t);
  if (!db) return;
  const { dir } = sqliteApp('meaning-int', `CREATE TABLE n (id INTEGER PRIMARY KEY, v INTEGER); INSERT INTO n VALUES (1, 5);`);
  assert.equal((await ferry(dir, 'copy', 'app.db', db.url, '--integers', 'bigint')).status, 0);
  assert.deepEqual(await pgColumnTypes(db.url, 'n'), { id: 'bigint', v: 'bigint' });
  const bad = await ferry(dir, 'copy', 'app.db', db.url, '--integers', 'huge');
  assert.equal(bad.status, 2, bad.stderr);
});

test(
  'FTS and R*Tree virtual tables stop the copy before anything is written, name each one, and are skipped on request (never their shadow tables)',
  { timeout: 60_000 },
  async (t) => {
    const db = await freshPostgresDatabase(t);
    if (!db) return;
    const { dir } = sqliteApp(
      'meaning-virtual',
      `
    CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);
    CREATE VIRTUAL TABLE notes_fts USING fts5(body, content='notes', content_rowid='id');
    CREATE VIRTUAL TABLE docs USING fts4(title);
    CREATE VIRTUAL TABLE places USING rtree(id, min_x, max_x, min_y, max_y);
    INSERT INTO notes VALUES (1, 'hello world');
    INSERT INTO docs VALUES ('a title');
    INSERT INTO places VALUES (1, 0, 1, 0, 1);`,
    );
    const refused = await ferry(dir, 'copy', 'app.db', db.url);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /notes_fts \(fts5\)/);
    assert.match(refused.stderr, /docs \(fts4\)/);
    assert.match(refused.stderr, /places \(rtree\)/);
    assert.match(refused.stderr, /--virtual-tables skip/);
    assert.deepEqual(await pgTables(db.url), [], 'nothing was written');
    const skipped = await ferry(dir, 'copy', 'app.db', db.url, '--virtual-tables', 'skip', '--json');
    assert.equal(skipped.status, 0, skipped.stderr);
    const report = JSON.parse(skipped.stdout) as { warnings: { code: string; table: string }[] };
    assert.deepEqual(
      report.warnings
        .filter((w) => w.code === 'VIRTUAL_TABLE_SKIPPED')
        .map((w) => w.table)
        .sort(),
      ['docs', 'notes_fts', 'places'],
    );
    assert.deepEqual(await pgTables(db.url), ['notes'], 'no virtual table, no shadow table (docs_content, places_node, ...)');
  },
);

test(
  'names PostgreSQL cannot hold are refused before anything is written, with the config rename; the way back restores them',
  { timeout: 60_000 },
  async (t) => {
    const db = await freshPostgresDatabase(t);
    if (!db) return;
    const long = 'a_column_name_that_is_longer_than_the_sixty_three_bytes_postgresql_keeps';
    const { dir, file } = sqliteApp(
      'meaning-names',
      `CREATE TABLE geo (id INTEGER PRIMARY KEY, xmin REAL, xmax REAL, "${long}" TEXT); INSERT INTO geo VALUES (1, 0.5, 1.5, 'x');`,
    );
    const refused = await ferry(dir, 'copy', 'app.db', db.url);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /geo\.xmin" is the name of a PostgreSQL system column/);
    assert.match(refused.stderr, /geo\.xmax"/);
    assert.match(refused.stderr, /72 bytes long/);
    assert.match(refused.stderr, /"columns": \{ "xmin": \{ "as": "new_name" \} \}/);
    assert.deepEqual(await pgTables(db.url), []);
    fs.writeFileSync(
      path.join(dir, 'ferry.config.json'),
      JSON.stringify({ copy: { tables: { geo: { columns: { xmin: { as: 'x_min' }, xmax: { as: 'x_max' }, [long]: { as: 'long_name' } } } } } }),
    );
    assert.equal((await ferry(dir, 'copy', 'app.db', db.url)).status, 0);
    assert.deepEqual(Object.keys(await pgColumnTypes(db.url, 'geo')), ['id', 'x_min', 'x_max', 'long_name']);
    fs.rmSync(path.join(dir, 'ferry.config.json'));
    const back = await ferry(dir, 'copy', db.url, 'back.db');
    assert.equal(back.status, 0, `${back.stdout}${back.stderr}`);
    assert.deepEqual(sqliteDdl(path.join(dir, 'back.db')), sqliteDdl(file), 'the original names and CREATE TABLE');
    assert.deepEqual(sqliteRows(path.join(dir, 'back.db'), 'SELECT * FROM geo'), sqliteRows(file, 'SELECT * FROM geo'));
  },
);

test(
  "--data-only into the app's own schema converts each value into the target column's type; one that would lose something is a reject with its reason",
  { timeout: 60_000 },
  async (t) => {
    const db = await freshPostgresDatabase(t);
    if (!db) return;
    const { dir } = sqliteApp(
      'meaning-data-only',
      `
    CREATE TABLE users (id INTEGER PRIMARY KEY, created_at DATETIME, born DATE, active BOOLEAN, uid TEXT, balance REAL, n INTEGER, ms INTEGER);
    INSERT INTO users VALUES
      (1, '2024-01-01 21:00:00.438 +00:00', '2024-01-02 00:00:00', 1, '0b3f5e4c-5d6e-4f80-9a1b-2c3d4e5f6a7b', 19.99, 5, 1704142800438),
      (2, '2024-01-02T08:30:00Z', '1999-12-31', 0, '1B3F5E4C5D6E4F809A1B2C3D4E5F6A7B', 0.1, 6, 1704142800000),
      (3, '2024-01-03 10:00:00', '2000-01-01', 1, '2b3f5e4c-5d6e-4f80-9a1b-2c3d4e5f6a7b', 1.005, 7, 1704142800001),
      (4, '2024-01-04 10:00:00+02', '2000-01-02', 0, 'not-a-uuid', 2.5, 8, 1704142800002);`,
    );
    // The app's migrations made this schema: timestamptz, date, boolean, uuid, numeric(10,2), integer, timestamptz.
    await withPg(db.url, (c) =>
      c.query(
        `CREATE TABLE users (id integer PRIMARY KEY, created_at timestamptz NOT NULL, born date, active boolean NOT NULL, uid uuid, balance numeric(10,2), n smallint, ms timestamptz)`,
      ),
    );
    const run = await ferry(dir, 'copy', 'app.db', db.url, '--data-only', '--max-rejects', '10', '--reject-file', 'rejects.jsonl', '--json');
    assert.equal(run.status, 3, `rows were refused: ${run.stdout}${run.stderr}`);
    const rejects = fs
      .readFileSync(path.join(dir, 'rejects.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { key: unknown; column?: string; reason: string });
    assert.deepEqual(
      rejects.map((r) => [String(r.key), r.column]).sort(),
      [
        ['3', 'balance'],
        ['4', 'uid'],
      ],
      JSON.stringify(rejects),
    );
    assert.match(rejects.find((r) => r.column === 'balance')!.reason, /numeric\(10,2\) would round it/);
    const rows = await withPg(
      db.url,
      async (c) =>
        (
          (await c.query(
            `SET TimeZone = 'UTC'; SELECT id, to_char(created_at, 'YYYY-MM-DD HH24:MI:SS.MS') AS c, born::text AS b, active, uid::text AS u, balance::text AS bal, n, to_char(ms, 'YYYY-MM-DD HH24:MI:SS.MS') AS ms FROM users ORDER BY id`,
          )) as unknown as { rows: unknown[] }[]
        )[1]!.rows,
    );
    // Dates from a zone, from a date-time at midnight, 0/1 as booleans, UUIDs in any case and form,
    // decimals at the column's scale, epoch milliseconds as instants.
    assert.deepEqual(rows, [
      {
        id: 1n,
        c: '2024-01-01 21:00:00.438',
        b: '2024-01-02',
        active: true,
        u: '0b3f5e4c-5d6e-4f80-9a1b-2c3d4e5f6a7b',
        bal: '19.99',
        n: 5n,
        ms: '2024-01-01 21:00:00.438',
      },
      {
        id: 2n,
        c: '2024-01-02 08:30:00.000',
        b: '1999-12-31',
        active: false,
        u: '1b3f5e4c-5d6e-4f80-9a1b-2c3d4e5f6a7b',
        bal: '0.10',
        n: 6n,
        ms: '2024-01-01 21:00:00.000',
      },
    ]);
    const report = JSON.parse(run.stdout) as { verify: { ok: boolean } };
    assert.equal(report.verify.ok, true, "verify compares under the target's types, the rejected rows taken out");
  },
);

test(
  "the way back restores the app's SQLite: original CREATE TABLE, numbers as numbers, its date-time text, 0/1 booleans, rows written after the switch alike",
  { timeout: 60_000 },
  async (t) => {
    const db = await freshPostgresDatabase(t);
    if (!db) return;
    const { dir, file } = sqliteApp('meaning-back', APP);
    assert.equal((await ferry(dir, 'copy', 'app.db', db.url)).status, 0);
    // The app writes on PostgreSQL after the switch.
    await appPg(db.url, async (c) => {
      await c.query(
        `INSERT INTO users (email, active, created_at, balance, rate, external_id) VALUES ('new@x.org', true, '2024-03-01 12:00:00.5+00', 25.5, 0.25, '2b3f5e4c-5d6e-4f80-9a1b-2c3d4e5f6a7b')`,
      );
      await c.query(`INSERT INTO events (user_id, at, price) VALUES (2, '2024-03-02 10:00:00', 21.5)`);
    });
    const back = await ferry(dir, 'copy', db.url, 'back.db');
    assert.equal(back.status, 0, `${back.stdout}${back.stderr}`);
    const backFile = path.join(dir, 'back.db');
    assert.deepEqual(sqliteDdl(backFile), sqliteDdl(file), 'tables, indexes, the view and the trigger as the app made them');
    const rows = sqliteRows(
      backFile,
      `SELECT id, typeof(active) AS ta, active, created_at, typeof(balance) AS tb, balance, rate, external_id FROM users ORDER BY id`,
    );
    const original = sqliteRows(
      file,
      `SELECT id, typeof(active) AS ta, active, created_at, typeof(balance) AS tb, balance, rate, external_id FROM users ORDER BY id`,
    );
    assert.deepEqual(rows.slice(0, 3), original, 'the original rows exactly: storage classes and text forms');
    // The new row: a 0/1 boolean, the app's date-time style (3 digits, a space, +00:00), a number.
    assert.deepEqual(rows[3], {
      id: 4n,
      ta: 'integer',
      active: 1n,
      created_at: '2024-03-01 12:00:00.500 +00:00',
      tb: 'real',
      balance: 25.5,
      rate: 0.25,
      external_id: '2b3f5e4c-5d6e-4f80-9a1b-2c3d4e5f6a7b',
    });
    // Numbers compare as numbers again (NUMERIC affinity): price > 20 counts the same rows as PostgreSQL.
    const pgCount = await withPg(db.url, async (c) => Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM events WHERE price > 20`)).rows[0]!.n));
    assert.equal(Number(sqliteRows(backFile, `SELECT count(*) AS n FROM events WHERE price > 20`)[0]!.n), pgCount);
    assert.equal(pgCount, 3);
    const v = await ferry(dir, 'verify', db.url, 'back.db');
    assert.equal(v.status, 0, v.stdout);
    // The trigger is back, after the load (the rows kept their kind), and fires for new rows.
    const bdb = new Database(backFile);
    try {
      bdb.exec(`INSERT INTO events (user_id, at, price) VALUES (1, '2024-04-01 00:00:00', 1)`);
      assert.equal(bdb.prepare(`SELECT kind FROM events ORDER BY id DESC LIMIT 1`).pluck().get(), 'plain');
      assert.equal(bdb.prepare(`SELECT count(*) FROM active_users`).pluck().get(), 3);
    } finally {
      bdb.close();
    }
  },
);

test(
  'a PostgreSQL database ferry did not create comes back with declared types SQLite drivers and ORMs understand, numbers as numbers',
  { timeout: 60_000 },
  async (t) => {
    const db = await freshPostgresDatabase(t);
    if (!db) return;
    await withPg(db.url, (c) =>
      c.query(`
    CREATE TABLE items (id serial PRIMARY KEY, name varchar(40) NOT NULL, price numeric(10,2), ok boolean, at timestamptz, day date, meta jsonb, uid uuid, qty integer, big bigint);
    INSERT INTO items (name, price, ok, at, day, meta, uid, qty, big) VALUES
      ('a', 12.50, true, '2024-01-01 21:00:00.438+00', '2024-01-02', '{"a": 1}', '0b3f5e4c-5d6e-4f80-9a1b-2c3d4e5f6a7b', 3, 9007199254740993),
      ('b', 25.00, false, NULL, NULL, NULL, NULL, NULL, NULL)`),
    );
    const dir = tempDir('meaning-foreign');
    const back = await ferry(dir, 'copy', db.url, 'back.db');
    assert.equal(back.status, 0, `${back.stdout}${back.stderr}`);
    const file = path.join(dir, 'back.db');
    const types = Object.fromEntries(sqliteRows(file, `SELECT name, type FROM pragma_table_info('items')`).map((r) => [r.name, r.type]));
    assert.deepEqual(types, {
      id: 'INTEGER',
      name: 'VARCHAR(40)',
      price: 'DECIMAL(10,2)',
      ok: 'BOOLEAN',
      at: 'DATETIME',
      day: 'DATE',
      meta: 'JSONB',
      uid: 'UUID',
      qty: 'INTEGER',
      big: 'BIGINT',
    });
    const row = sqliteRows(file, `SELECT typeof(price) AS tp, price, ok, at, big FROM items WHERE id = 1`)[0]!;
    assert.deepEqual(row, { tp: 'real', price: 12.5, ok: 1n, at: '2024-01-01 21:00:00.438+00:00', big: 9007199254740993n });
    assert.equal(Number(sqliteRows(file, `SELECT count(*) AS n FROM items WHERE price > 20`)[0]!.n), 1, 'numbers compare as numbers');
  },
);

test('verify compares meaning: a behaviour-changing schema difference exits 4, a cosmetic one is a warning', { timeout: 60_000 }, async (t) => {
  const db = await freshPostgresDatabase(t);
  if (!db) return;
  const { dir } = sqliteApp(
    'meaning-verify',
    `
    CREATE TABLE t (id INTEGER PRIMARY KEY, flag BOOLEAN NOT NULL DEFAULT 0, email TEXT COLLATE NOCASE UNIQUE, note VARCHAR(10), qty INTEGER);
    INSERT INTO t VALUES (1, 1, 'a@x.org', 'x', 5);`,
  );
  // Same values, but made by hand the way a careless migration would: flag a bigint, email case-sensitive, no default.
  await withPg(db.url, (c) =>
    c.query(`
    CREATE TABLE t (id integer PRIMARY KEY, flag bigint NOT NULL, email text UNIQUE, note text, qty bigint);
    INSERT INTO t VALUES (1, 1, 'a@x.org', 'x', 5);`),
  );
  const v = await ferry(dir, 'verify', 'app.db', db.url, '--json');
  assert.equal(v.status, 4, v.stdout);
  const report = JSON.parse(v.stdout) as { ok: boolean; tables: { ok: boolean }[]; schema: { column?: string; severity: string; kind: string }[] };
  assert.equal(report.tables[0]!.ok, true, 'the values themselves agree');
  const behaviour = report.schema
    .filter((d) => d.severity === 'behaviour')
    .map((d) => `${d.column}:${d.kind}`)
    .sort();
  // id: SQLite's INTEGER PRIMARY KEY numbers itself; the hand-made integer key does not.
  assert.deepEqual(behaviour, ['email:CASE', 'flag:DEFAULT', 'flag:TYPE', 'id:DEFAULT']);
  const cosmetic = report.schema
    .filter((d) => d.severity === 'cosmetic')
    .map((d) => `${d.column}:${d.kind}`)
    .sort();
  assert.deepEqual(cosmetic, ['note:LENGTH', 'qty:WIDTH']);
  const text = await ferry(dir, 'verify', 'app.db', db.url);
  assert.match(text.stdout, /schema: t\.flag is a boolean on SQLite \(BOOLEAN\) but an integer on PostgreSQL \(bigint\) ✗/);
  assert.match(text.stdout, /schema \(warning\): t\.qty is INTEGER on SQLite and bigint on PostgreSQL/);
  assert.match(text.stdout, /4 schema difference\(s\) change how the app behaves/);
});

test(
  'an INTEGER column holding text copies as text, and the copy says it changes the app (exit 4) unless the config says text',
  { timeout: 60_000 },
  async (t) => {
    const db = await freshPostgresDatabase(t);
    const db2 = await freshPostgresDatabase(t);
    if (!db || !db2) return;
    const { dir } = sqliteApp('meaning-mixed', `CREATE TABLE m (id INTEGER PRIMARY KEY, code INTEGER); INSERT INTO m VALUES (1, 5), (2, 'A-7');`);
    const run = await ferry(dir, 'copy', 'app.db', db.url);
    assert.equal(run.status, 4, run.stdout);
    assert.match(run.stdout, /m\.code is an integer on SQLite \(INTEGER\) but text on PostgreSQL \(text\) ✗/);
    fs.writeFileSync(path.join(dir, 'ferry.config.json'), JSON.stringify({ copy: { tables: { m: { columns: { code: { type: 'text' } } } } } }));
    const ok = await ferry(dir, 'copy', 'app.db', db2.url);
    assert.equal(ok.status, 0, ok.stdout);
    assert.deepEqual(await withPg(db2.url, async (c) => (await c.query(`SELECT code FROM ${q('m')} ORDER BY id`)).rows.map((r) => r.code)), ['5', 'A-7']);
  },
);
