/**
 * `ferry copy` options: --tables/--exclude, --schema-only then --data-only, --if-exists truncate
 * and append, --no-verify, the --json document, the config file's copy section (from/to, table and
 * column renames, defaults), --parallel 1 vs 3 giving identical targets, and --jsonb.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ferry } from '../support/cli.js';
import { freshPostgresDatabase } from '../support/postgres.js';
import { tempDir } from '../support/sqlite-fixtures.js';
import { pgColumnTypes, pgCount, pgTables, q, withPg } from '../support/copy-fixtures.js';

const ROWS = { notes: 1500, tags: 40, links: 800, log: 300 };

/** A source with a parent, a child with a foreign key, a keyless table and JSON. */
function source(dir: string): string {
  const file = path.join(dir, 'src.db');
  const db = new Database(file);
  db.exec(`
    CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
    CREATE TABLE notes (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT, score REAL, meta JSON, tag_id INTEGER REFERENCES tags(id));
    CREATE INDEX notes_tag ON notes(tag_id);
    CREATE TABLE links (src INTEGER NOT NULL, dst INTEGER NOT NULL, weight REAL, PRIMARY KEY (src, dst)) WITHOUT ROWID;
    CREATE TABLE log (msg TEXT, n INTEGER);
  `);
  db.transaction(() => {
    const t = db.prepare('INSERT INTO tags VALUES (?, ?)');
    for (let i = 1; i <= ROWS.tags; i++) t.run(i, `tag ${i}`);
    const n = db.prepare('INSERT INTO notes (id, body, score, meta, tag_id) VALUES (?, ?, ?, ?, ?)');
    for (let i = 1; i <= ROWS.notes; i++)
      n.run(i, `body ${i}`, i / 9, JSON.stringify({ z: i, a: [i, `${i}`], nested: { b: true, a: null } }), 1 + (i % ROWS.tags));
    const l = db.prepare('INSERT INTO links VALUES (?, ?, ?)');
    for (let i = 1; i <= ROWS.links; i++) l.run(i % 97, i, i * 0.5);
    const g = db.prepare('INSERT INTO log VALUES (?, ?)');
    for (let i = 1; i <= ROWS.log; i++) g.run(`line ${i}`, i);
  })();
  db.close();
  return file;
}

interface CopyJson {
  ok: boolean;
  exitCode: number;
  from: string;
  to: string;
  resumed: boolean;
  tables: { table: string; target: string; rows: number; bytes: number; ms: number; rejects: number }[];
  totals: { rows: number; bytes: number; ms: number; rejects: number };
  warnings: { code: string; table: string; message: string }[];
  rejectFile: string | null;
  verify: {
    ok: boolean;
    from: { dialect: string; displayUrl: string };
    to: { dialect: string; displayUrl: string };
    tables: { table: string; target: string; sourceRows: number; targetRows: number; ok: boolean }[];
    ms: number;
  } | null;
}

/** Content of every public table (rows sorted as text) plus its columns, indexes and constraints. */
async function pgFullState(url: string): Promise<unknown> {
  return withPg(url, async (c) => {
    const tables = (await c.query<{ t: string }>(`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`)).rows.map(
      (r) => r.t,
    );
    const out: Record<string, unknown> = {};
    for (const t of tables) {
      // The origin record's time is when the copy ran; everything else must be equal.
      const row = t === '_ferry_origin' ? '(x.table_name, x.origin)' : 'x';
      const rows = (await c.query<{ r: string }>(`SELECT ${row}::text AS r FROM ${q(t)} x ORDER BY ${row}::text COLLATE "C"`)).rows.map((r) => r.r);
      const cols = (
        await c.query(
          `SELECT column_name, data_type, is_nullable, column_default, is_identity FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
          [t],
        )
      ).rows;
      out[t] = { rows, cols };
    }
    const indexes = (await c.query(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1`)).rows;
    const constraints = (
      await c.query(
        `SELECT conname, pg_get_constraintdef(c.oid) AS def, convalidated FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'public' ORDER BY 1`,
      )
    ).rows;
    const sequences = (await c.query(`SELECT sequencename, last_value::text FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1`)).rows;
    return { tables, out, indexes, constraints, sequences };
  });
}

test('--tables and --exclude pick tables; verify covers exactly those', async (t) => {
  const db = await freshPostgresDatabase(t);
  if (!db) return;
  const dir = tempDir('copy-options');
  source(dir);
  const a = await ferry(dir, 'copy', 'src.db', db.url, '--tables', 'tags,log', '--json');
  assert.equal(a.status, 0, a.stderr);
  const ra = JSON.parse(a.stdout) as CopyJson;
  assert.deepEqual(ra.tables.map((x) => x.table).sort(), ['log', 'tags']);
  assert.deepEqual(ra.verify!.tables.map((x) => x.table).sort(), ['log', 'tags']);
  assert.deepEqual(await pgTables(db.url), ['log', 'tags']);

  // --exclude: everything else, into the same database (the two tables already there are left out).
  const b = await ferry(dir, 'copy', 'src.db', db.url, '--exclude', 'tags,log');
  assert.equal(b.status, 0, b.stderr);
  assert.deepEqual(await pgTables(db.url), ['links', 'log', 'notes', 'tags']);
  assert.equal(await pgCount(db.url, 'notes'), ROWS.notes);
  assert.equal(await pgCount(db.url, 'links'), ROWS.links);
  assert.match(b.stdout, /All 2 table\(s\) verified successfully/);
  // The foreign key from notes to tags (copied by an earlier run) is not part of this copy.
  assert.ok(/FOREIGN_KEY_SKIPPED|not part of this copy/.test(b.stderr), `the skipped foreign key is warned about: ${b.stderr}`);
  const v = await ferry(dir, 'verify', 'src.db', db.url);
  assert.equal(v.status, 0, v.stdout);
  const vt = await ferry(dir, 'verify', 'src.db', db.url, '--tables', 'links', '--json');
  assert.equal(vt.status, 0);
  assert.deepEqual(
    (JSON.parse(vt.stdout) as { tables: { table: string }[] }).tables.map((x) => x.table),
    ['links'],
  );
});

test('--schema-only creates empty tables (not verified); --data-only then fills them and verifies', async (t) => {
  const db = await freshPostgresDatabase(t);
  if (!db) return;
  const dir = tempDir('copy-options');
  source(dir);
  const s = await ferry(dir, 'copy', 'src.db', db.url, '--schema-only');
  assert.equal(s.status, 0, s.stderr);
  assert.match(s.stdout, /Not verified/);
  assert.match(s.stdout, /total\s+0\s/);
  assert.deepEqual(await pgTables(db.url), ['links', 'log', 'notes', 'tags']);
  for (const table of Object.keys(ROWS)) assert.equal(await pgCount(db.url, table), 0, `${table} is empty`);
  assert.deepEqual(await pgColumnTypes(db.url, 'notes'), { id: 'integer', body: 'text', score: 'double precision', meta: 'json', tag_id: 'integer' });
  const keys = await withPg(
    db.url,
    async (c) =>
      (
        await c.query<{ n: string }>(
          `SELECT count(*)::text AS n FROM pg_constraint c JOIN pg_namespace s ON s.oid = c.connamespace WHERE s.nspname = 'public' AND contype = 'p' AND c.conrelid <> '_ferry_origin'::regclass`,
        )
      ).rows[0]!.n,
  );
  assert.equal(keys, '3', 'primary keys of tags, notes and links are created by --schema-only');

  const d = await ferry(dir, 'copy', 'src.db', db.url, '--data-only', '--json');
  assert.equal(d.status, 0, `${d.stdout}${d.stderr}`);
  const rd = JSON.parse(d.stdout) as CopyJson;
  assert.equal(rd.verify!.ok, true);
  assert.equal(rd.totals.rows, ROWS.notes + ROWS.tags + ROWS.links + ROWS.log);
  for (const [table, n] of Object.entries(ROWS)) assert.equal(await pgCount(db.url, table), n);
  assert.equal(await pgTables(db.url).then((x) => x.includes('_ferry_copy_state')), false);
  // The identity still continues after the max key once the data is in.
  const id = await withPg(db.url, async (c) => (await c.query<{ id: bigint }>(`INSERT INTO notes (body) VALUES ('new') RETURNING id`)).rows[0]!.id);
  assert.equal(id, BigInt(ROWS.notes + 1));
  // Keys and the foreign key are in place.
  const cons = await withPg(db.url, async (c) =>
    (await c.query<{ contype: string }>(`SELECT contype FROM pg_constraint WHERE conrelid = 'public.notes'::regclass ORDER BY 1`)).rows.map((r) => r.contype),
  );
  assert.deepEqual(cons, ['f', 'p']);
});

test('--if-exists truncate and append on a table without keys: truncate replaces, append doubles and verify reports it (exit 4)', async (t) => {
  const db = await freshPostgresDatabase(t);
  if (!db) return;
  const dir = tempDir('copy-options');
  source(dir);
  assert.equal((await ferry(dir, 'copy', 'src.db', db.url, '--tables', 'log')).status, 0);
  await withPg(db.url, (c) => c.query(`DELETE FROM log WHERE n < 50; INSERT INTO log VALUES ('junk', -1)`));
  const again = await ferry(dir, 'copy', 'src.db', db.url, '--tables', 'log');
  assert.equal(again.status, 1, 'the default --if-exists fail refuses a table with rows');
  assert.match(again.stderr, /already has rows in log/);

  const tr = await ferry(dir, 'copy', 'src.db', db.url, '--tables', 'log', '--if-exists', 'truncate', '--json');
  assert.equal(tr.status, 0, `${tr.stdout}${tr.stderr}`);
  assert.equal((JSON.parse(tr.stdout) as CopyJson).verify!.ok, true);
  assert.equal(await pgCount(db.url, 'log'), ROWS.log);
  const junk = await withPg(db.url, async (c) => (await c.query(`SELECT 1 FROM log WHERE n = -1`)).rows.length);
  assert.equal(junk, 0, 'the old rows are gone');

  const ap = await ferry(dir, 'copy', 'src.db', db.url, '--tables', 'log', '--if-exists', 'append', '--json');
  assert.equal(ap.status, 4, `append then verify finds the doubled rows: ${ap.stdout}${ap.stderr}`);
  const rap = JSON.parse(ap.stdout) as CopyJson;
  assert.equal(rap.ok, false);
  assert.equal(rap.exitCode, 4);
  assert.equal(rap.tables[0]!.rows, ROWS.log);
  const vlog = rap.verify!.tables.find((x) => x.table === 'log')!;
  assert.deepEqual([vlog.ok, vlog.sourceRows, vlog.targetRows], [false, ROWS.log, 2 * ROWS.log]);
  assert.equal(await pgCount(db.url, 'log'), 2 * ROWS.log, 'append doubled the rows');
  const v = await ferry(dir, 'verify', 'src.db', db.url, '--tables', 'log');
  assert.equal(v.status, 4);
  assert.match(v.stdout, /log: SQLite=300, PostgreSQL=600/);
});

test('--if-exists truncate over a whole earlier copy (primary keys, a foreign key between the tables) replaces every row', async (t) => {
  const db = await freshPostgresDatabase(t);
  if (!db) return;
  const dir = tempDir('copy-options');
  source(dir);
  assert.equal((await ferry(dir, 'copy', 'src.db', db.url)).status, 0);
  await withPg(db.url, (c) => c.query(`DELETE FROM links WHERE src < 50; UPDATE tags SET name = 'changed' WHERE id = 3`));
  const tr = await ferry(dir, 'copy', 'src.db', db.url, '--if-exists', 'truncate');
  assert.equal(tr.status, 0, `${tr.stdout}${tr.stderr}`);
  assert.match(tr.stdout, /All 4 table\(s\) verified successfully/);
  for (const [table, n] of Object.entries(ROWS)) assert.equal(await pgCount(db.url, table), n, `${table} after truncate`);
  const pks = await withPg(
    db.url,
    async (c) =>
      (
        await c.query(
          `SELECT conname FROM pg_constraint WHERE contype IN ('p', 'f') AND connamespace = 'public'::regnamespace AND conrelid <> '_ferry_origin'::regclass ORDER BY 1`,
        )
      ).rows.length,
  );
  assert.equal(pks, 4, 'three primary keys and one foreign key, each once');
});

test('--if-exists append into a table with a primary key: the duplicate keys are refused rows, nothing doubled, and verify tells', async (t) => {
  const db = await freshPostgresDatabase(t);
  if (!db) return;
  const dir = tempDir('copy-options');
  source(dir);
  assert.equal((await ferry(dir, 'copy', 'src.db', db.url, '--tables', 'tags')).status, 0);
  const ap = await ferry(dir, 'copy', 'src.db', db.url, '--tables', 'tags', '--if-exists', 'append', '--max-rejects', '1000', '--reject-file', 'rejects.jsonl');
  // Refused rows alone exit 3; here the verify at the end also finds the target differs from the
  // source minus the refused rows (it holds the first copy's rows), and differences exit 4.
  assert.equal(ap.status, 4, `${ap.stdout}${ap.stderr}`);
  assert.match(ap.stdout, /tags: SQLite=0 \(\+40 rejected\), PostgreSQL=40/);
  assert.equal(await pgCount(db.url, 'tags'), ROWS.tags);
  const lines = fs.readFileSync(path.join(dir, 'rejects.jsonl'), 'utf8').trim().split('\n');
  assert.equal(lines.length, ROWS.tags, 'every duplicate row listed');
});

test('--no-verify skips the verification; the --json document has the documented shape', async (t) => {
  const db = await freshPostgresDatabase(t);
  if (!db) return;
  const dir = tempDir('copy-options');
  source(dir);
  const nv = await ferry(dir, 'copy', 'src.db', db.url, '--no-verify', '--tables', 'tags');
  assert.equal(nv.status, 0, nv.stderr);
  assert.match(nv.stdout, /Not verified/);
  assert.doesNotMatch(nv.stdout, /verified successfully/);
  assert.doesNotMatch(nv.stderr, /verifying/);

  const j = await ferry(dir, 'copy', 'src.db', db.url, '--exclude', 'tags', '--json');
  assert.equal(j.status, 0, j.stderr);
  assert.equal(j.stderr, '', '--json prints nothing else (no progress lines)');
  const r = JSON.parse(j.stdout) as CopyJson;
  assert.deepEqual(Object.keys(r).sort(), ['exitCode', 'from', 'ok', 'rejectFile', 'resumed', 'tables', 'to', 'totals', 'verify', 'warnings']);
  assert.equal(r.ok, true);
  assert.equal(r.exitCode, 0);
  assert.equal(r.resumed, false);
  assert.match(r.from, /^sqlite:.*src\.db$/);
  assert.equal(r.to, db.url.replace(/:[^:@/]*@/, ':***@'));
  assert.equal(r.rejectFile, null);
  assert.deepEqual(Object.keys(r.totals).sort(), ['bytes', 'ms', 'rejects', 'rows']);
  assert.equal(r.totals.rows, ROWS.notes + ROWS.links + ROWS.log);
  assert.equal(r.totals.rejects, 0);
  for (const tr of r.tables) {
    assert.deepEqual(Object.keys(tr).sort(), ['bytes', 'ms', 'rejects', 'rows', 'table', 'target']);
    assert.equal(tr.rows, ROWS[tr.table as keyof typeof ROWS]);
    assert.ok(tr.bytes > 0);
  }
  assert.ok(Array.isArray(r.warnings));
  assert.ok(
    r.warnings.some((w) => w.code === 'FOREIGN_KEY_SKIPPED' && w.table === 'notes'),
    JSON.stringify(r.warnings),
  );
  assert.equal(r.verify!.ok, true);
  assert.equal(r.verify!.from.dialect, 'sqlite');
  assert.equal(r.verify!.to.dialect, 'postgres');
  assert.equal(r.verify!.tables.length, 3);
  assert.ok(r.verify!.tables.every((x) => x.ok && x.sourceRows === x.targetRows));
});

test('config copy section: from/to, a table renamed with as and a column renamed with as; verify uses the renames', async (t) => {
  const db = await freshPostgresDatabase(t);
  if (!db) return;
  const dir = tempDir('copy-options');
  source(dir);
  fs.writeFileSync(
    path.join(dir, 'ferry.config.json'),
    JSON.stringify(
      {
        copy: {
          from: 'src.db',
          to: db.url,
          exclude: ['links'],
          tables: { notes: { as: 'Note Rows', columns: { body: { as: 'Body Text' } } }, tags: { as: 'labels' } },
        },
      },
      null,
      2,
    ),
  );
  const r = await ferry(dir, 'copy', '--json');
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  const rep = JSON.parse(r.stdout) as CopyJson;
  assert.deepEqual(rep.tables.map((x) => [x.table, x.target]).sort(), [
    ['log', 'log'],
    ['notes', 'Note Rows'],
    ['tags', 'labels'],
  ]);
  assert.equal(rep.verify!.ok, true);
  assert.deepEqual(await pgTables(db.url), ['Note Rows', 'labels', 'log']);
  assert.deepEqual(Object.keys(await pgColumnTypes(db.url, 'Note Rows')), ['id', 'Body Text', 'score', 'meta', 'tag_id']);
  const body = await withPg(db.url, async (c) => (await c.query<{ b: string }>(`SELECT "Body Text" AS b FROM "Note Rows" WHERE id = 7`)).rows[0]!.b);
  assert.equal(body, 'body 7');
  // The foreign key follows the renamed parent.
  const fk = await withPg(db.url, async (c) =>
    (
      await c.query<{ def: string }>(
        `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'public."Note Rows"'::regclass AND contype = 'f'`,
      )
    ).rows.map((x) => x.def),
  );
  assert.deepEqual(fk, ['FOREIGN KEY (tag_id) REFERENCES labels(id)']);
  // Standalone verify reads the same config (from, to and renames).
  const v = await ferry(dir, 'verify', '--json');
  assert.equal(v.status, 0, v.stdout);
  const vr = JSON.parse(v.stdout) as { ok: boolean; tables: { table: string; target: string; ok: boolean }[] };
  assert.deepEqual(vr.tables.map((x) => [x.table, x.target, x.ok]).sort(), [
    ['log', 'log', true],
    ['notes', 'Note Rows', true],
    ['tags', 'labels', true],
  ]);
  // A changed value in the renamed column is caught.
  await withPg(db.url, (c) => c.query(`UPDATE "Note Rows" SET "Body Text" = 'x' WHERE id = 7`));
  const v2 = await ferry(dir, 'verify', '--detailed');
  assert.equal(v2.status, 4);
  assert.match(v2.stdout, /notes → Note Rows: .*✗/);
  assert.match(v2.stdout, /in body/);
});

test('config copy defaults (ifExists) apply when the flags are not given', async (t) => {
  const db = await freshPostgresDatabase(t);
  if (!db) return;
  const dir = tempDir('copy-options');
  source(dir);
  assert.equal((await ferry(dir, 'copy', 'src.db', db.url, '--tables', 'log')).status, 0);
  fs.writeFileSync(path.join(dir, 'ferry.config.json'), JSON.stringify({ copy: { ifExists: 'truncate', batchSize: 7 } }, null, 2));
  // The command line wins over the config.
  const f = await ferry(dir, 'copy', 'src.db', db.url, '--tables', 'log', '--if-exists', 'fail');
  assert.equal(f.status, 1);
  const r = await ferry(dir, 'copy', 'src.db', db.url, '--tables', 'log');
  assert.equal(r.status, 0, `copy.ifExists "truncate" in the config is used when --if-exists is not given: ${r.stderr}`);
  assert.equal(await pgCount(db.url, 'log'), ROWS.log);
});

test('--parallel 1 and --parallel 3 give identical targets', async (t) => {
  const one = await freshPostgresDatabase(t);
  const three = await freshPostgresDatabase(t);
  if (!one || !three) return;
  const dir = tempDir('copy-options');
  source(dir);
  const a = await ferry(dir, 'copy', 'src.db', one.url, '--parallel', '1', '--batch-size', '200');
  const b = await ferry(dir, 'copy', 'src.db', three.url, '--parallel', '3', '--batch-size', '200');
  assert.equal(a.status, 0, a.stderr);
  assert.equal(b.status, 0, b.stderr);
  const sa = await pgFullState(one.url);
  const sb = await pgFullState(three.url);
  assert.deepEqual(sb, sa);
  assert.equal((sa as { out: Record<string, { rows: string[] }> }).out.notes!.rows.length, ROWS.notes);
});

test('--jsonb makes JSON columns jsonb (json without it); values and verify agree', async (t) => {
  const db = await freshPostgresDatabase(t);
  if (!db) return;
  const dir = tempDir('copy-options');
  source(dir);
  const r = await ferry(dir, 'copy', 'src.db', db.url, '--tables', 'tags,notes', '--jsonb', '--json');
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  assert.equal((JSON.parse(r.stdout) as CopyJson).verify!.ok, true);
  assert.equal((await pgColumnTypes(db.url, 'notes')).meta, 'jsonb');
  const meta = await withPg(
    db.url,
    async (c) => (await c.query<{ m: unknown; n: boolean }>(`SELECT meta AS m, meta @> '{"nested": {"b": true}}' AS n FROM notes WHERE id = 3`)).rows[0]!,
  );
  assert.deepEqual(meta.m, { z: 3, a: [3, '3'], nested: { b: true, a: null } });
  assert.equal(meta.n, true, 'jsonb operators work');
  const v = await ferry(dir, 'verify', 'src.db', db.url, '--tables', 'tags,notes');
  assert.equal(v.status, 0, v.stdout);
  // Copied back to SQLite, jsonb comes back as JSON text of the same document, in the original JSON column.
  const back = await ferry(dir, 'copy', db.url, 'back.db');
  assert.equal(back.status, 0, `${back.stdout}${back.stderr}`);
  const bdb = new Database(path.join(dir, 'back.db'), { readonly: true });
  try {
    const text = bdb.prepare('SELECT meta FROM notes WHERE id = 3').pluck().get() as string;
    assert.deepEqual(JSON.parse(text), { z: 3, a: [3, '3'], nested: { b: true, a: null } });
    assert.equal(bdb.prepare(`SELECT type FROM pragma_table_info('notes') WHERE name = 'meta'`).pluck().get(), 'JSON');
  } finally {
    bdb.close();
  }
});
