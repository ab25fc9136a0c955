/**
 * Rows PostgreSQL refuses during `ferry copy`: text holding a NUL character (PostgreSQL text cannot
 * store U+0000) and NULL in a primary-key column (SQLite allows it outside INTEGER PRIMARY KEY).
 * With the default --max-rejects 0 the run stops with exit 3 after committing the chunk (its good
 * rows kept); the reject file lists each refused row as JSON; --max-rejects N (fresh or with
 * --resume) completes with exit 3, every good row present, and the final verify accounts for the
 * rejected rows. A CHECK that PostgreSQL's semantics break (bigint overflow) keeps every row and
 * stays NOT VALID with a warning.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ferry } from '../support/cli.js';
import { freshPostgresDatabase } from '../support/postgres.js';
import { tempDir } from '../support/sqlite-fixtures.js';
import { pgCount, pgTables, q, withPg } from '../support/copy-fixtures.js';

const NOTES = 3000;
/** Ids of `notes` rows whose text holds a NUL. */
const NUL_IDS = [1500, 2500];

interface Reject {
  table: string;
  key: unknown;
  column?: string;
  value?: unknown;
  reason: string;
}

function readRejects(file: string): Reject[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Reject);
}

/** notes: 3000 rows, two with a NUL in `s`. */
function notesSource(dir: string): string {
  const file = path.join(dir, 'src.db');
  const db = new Database(file);
  db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, s TEXT, n INTEGER NOT NULL)');
  const ins = db.prepare('INSERT INTO notes VALUES (?, ?, ?)');
  db.transaction(() => {
    for (let i = 1; i <= NOTES; i++) ins.run(i, i === NUL_IDS[0] ? 'bad\u0000nul' : i === NUL_IDS[1] ? '\u0000' : `note ${i}`, i * 3);
  })();
  db.close();
  return file;
}

async function notesIds(url: string): Promise<number[]> {
  return withPg(url, async (c) => (await c.query<{ id: bigint }>('SELECT id FROM notes ORDER BY id')).rows.map((r) => Number(r.id)));
}

async function hasState(url: string): Promise<boolean> {
  return (await pgTables(url)).includes('_ferry_copy_state');
}

test(
  "default --max-rejects 0: a NUL in text stops the run with exit 3; the chunk's good rows are kept and the row is listed",
  { timeout: 60_000 },
  async (t) => {
    const db = await freshPostgresDatabase(t);
    if (!db) return;
    const dir = tempDir('copy-rejects');
    notesSource(dir);
    const run = await ferry(dir, 'copy', 'src.db', db.url, '--batch-size', '1000', '--reject-file', 'rejects.jsonl');

    // The reject file lists the refused row as JSON.
    const rejects = readRejects(path.join(dir, 'rejects.jsonl'));
    assert.equal(rejects.length, 1, `one refused row listed: ${JSON.stringify(rejects)}`);
    assert.equal(rejects[0]!.table, 'notes');
    assert.equal(String(rejects[0]!.key), String(NUL_IDS[0]));
    assert.equal(rejects[0]!.column, 's');
    assert.equal(rejects[0]!.value, 'bad\u0000nul');
    assert.match(rejects[0]!.reason, /NUL/);

    // The chunk holding the refused row (ids 1001..2000) is committed without it; the run stopped there.
    const ids = await notesIds(db.url);
    assert.deepEqual(
      ids,
      Array.from({ length: 2000 }, (_, i) => i + 1).filter((i) => i !== NUL_IDS[0]),
      'rows 1..2000 except the refused one, and nothing after',
    );
    assert.equal(await hasState(db.url), true, 'the stopped copy keeps its state for --resume');

    assert.equal(run.status, 3, `exit 3 (rows rejected): ${run.stderr}`);
    assert.match(run.stderr, /refused/);
    assert.match(run.stderr, /--max-rejects/);
    assert.match(run.stderr, /rejects\.jsonl/, 'the message names the reject file');
    assert.doesNotMatch(run.stderr, /TypeError| {4}at /, 'one clear message, no stack trace');
  },
);

test('default --max-rejects 0 while another table loads in parallel: still exit 3 with one clear message', { timeout: 60_000 }, async (t) => {
  const db = await freshPostgresDatabase(t);
  if (!db) return;
  const dir = tempDir('copy-rejects');
  notesSource(dir);
  const sdb = new Database(path.join(dir, 'src.db'));
  sdb.exec('CREATE TABLE other (id INTEGER PRIMARY KEY, s TEXT)');
  const ins = sdb.prepare('INSERT INTO other VALUES (?, ?)');
  sdb.transaction(() => {
    // Wide rows keep the other worker busy inside its chunks when the limit is hit.
    for (let i = 1; i <= 20_000; i++) ins.run(i, `other ${i} ${'y'.repeat(1000)}`);
  })();
  sdb.close();
  // The other worker is still loading when the limit is hit; how it is stopped depends on timing,
  // so the run is repeated (each attempt starts over with --if-exists truncate).
  const outcomes: string[] = [];
  for (let attempt = 0; attempt < 10; attempt++) {
    fs.rmSync(path.join(dir, 'rejects.jsonl'), { force: true });
    const run = await ferry(
      dir,
      'copy',
      'src.db',
      db.url,
      '--batch-size',
      '1000',
      '--parallel',
      '2',
      '--reject-file',
      'rejects.jsonl',
      ...(attempt ? ['--if-exists', 'truncate'] : []),
    );
    const crashed = /TypeError|busy executing| {4}at /.test(run.stderr);
    outcomes.push(`attempt ${attempt}: exit ${run.status}${crashed ? ` crashed: ${run.stderr.split('\n').find((l) => /Error/.test(l))}` : ''}`);
    if (crashed || run.status !== 3) break;
    assert.match(run.stderr, /more than --max-rejects 0/);
    assert.equal(readRejects(path.join(dir, 'rejects.jsonl')).length, 1);
  }
  assert.ok(
    outcomes.every((o) => /exit 3$/.test(o)),
    `every attempt exits 3 with one clear message:\n${outcomes.join('\n')}`,
  );
  // Whatever the other table committed is resumable: --resume with a higher limit finishes both.
  const resumed = await ferry(dir, 'copy', 'src.db', db.url, '--batch-size', '1000', '--reject-file', 'rejects.jsonl', '--max-rejects', '10', '--resume');
  assert.equal(resumed.status, 3, `${resumed.stdout}${resumed.stderr}`);
  assert.equal(await pgCount(db.url, 'other'), 20_000);
  assert.equal(await pgCount(db.url, 'notes'), NOTES - 2);
  assert.match(resumed.stdout, /All 2 table\(s\) verified successfully/);
});

test('--max-rejects 10 --resume finishes a stopped copy: exit 3, every good row once, verify accounts for the rejects', { timeout: 60_000 }, async (t) => {
  const db = await freshPostgresDatabase(t);
  if (!db) return;
  const dir = tempDir('copy-rejects');
  notesSource(dir);
  await ferry(dir, 'copy', 'src.db', db.url, '--batch-size', '1000', '--reject-file', 'rejects.jsonl');
  assert.equal(await hasState(db.url), true, 'the first run stopped part-way');

  const run = await ferry(dir, 'copy', 'src.db', db.url, '--batch-size', '1000', '--reject-file', 'rejects.jsonl', '--max-rejects', '10', '--resume', '--json');
  assert.equal(run.status, 3, `exit 3: ${run.stdout}${run.stderr}`);
  const report = JSON.parse(run.stdout) as {
    ok: boolean;
    exitCode: number;
    resumed: boolean;
    totals: { rows: number; rejects: number };
    tables: { table: string; rows: number; rejects: number }[];
    rejectFile: string;
    verify: { ok: boolean; tables: { table: string; ok: boolean; sourceRows: number; targetRows: number; rejected?: number }[] };
  };
  assert.equal(report.ok, false);
  assert.equal(report.exitCode, 3);
  assert.equal(report.resumed, true);
  assert.equal(report.totals.rejects, 2, "both refused rows counted (the first run's one too)");
  assert.equal(report.totals.rows, NOTES - 2);
  assert.equal(report.rejectFile, path.join(dir, 'rejects.jsonl'));
  assert.equal(report.verify.ok, true, `verify passes with the rejects accounted for: ${JSON.stringify(report.verify)}`);
  const v = report.verify.tables.find((x) => x.table === 'notes')!;
  assert.equal(v.rejected, 2);
  assert.equal(v.targetRows, NOTES - 2);

  assert.deepEqual(
    await notesIds(db.url),
    Array.from({ length: NOTES }, (_, i) => i + 1).filter((i) => !NUL_IDS.includes(i)),
    'every good row exactly once',
  );
  assert.equal(await hasState(db.url), false);
  const rejects = readRejects(path.join(dir, 'rejects.jsonl'));
  assert.deepEqual(rejects.map((r) => String(r.key)).sort(), NUL_IDS.map(String).sort(), 'each refused row listed once');
  assert.ok(rejects.every((r) => r.table === 'notes' && r.column === 's' && /NUL/.test(r.reason)));
});

test('a fresh run with --max-rejects 10: exit 3, summary names the rejects and the reject file in the current folder', { timeout: 60_000 }, async (t) => {
  const db = await freshPostgresDatabase(t);
  if (!db) return;
  const dir = tempDir('copy-rejects');
  notesSource(dir);
  const run = await ferry(dir, 'copy', 'src.db', db.url, '--max-rejects', '10');
  assert.equal(run.status, 3, `${run.stdout}${run.stderr}`);
  assert.match(run.stdout, /2 refused row\(s\) are listed in .*ferry-rejects-.*\.jsonl/);
  assert.match(run.stdout, /notes: SQLite=2998 \(\+2 rejected\), PostgreSQL=2998 ✓/, 'the verify line shows the rejected rows beside the source count');
  assert.match(run.stderr, /NUL character/, 'the plan warns about the NUL text before loading');
  const files = fs.readdirSync(dir).filter((f) => /^ferry-rejects-.*\.jsonl$/.test(f));
  assert.equal(files.length, 1, 'the default reject file is in the current folder');
  assert.equal(readRejects(path.join(dir, files[0]!)).length, 2);
  assert.equal(await pgCount(db.url, 'notes'), NOTES - 2);
  // The columns kept their types: text values with a NUL did not widen anything.
  const types = await withPg(db.url, async (c) =>
    (
      await c.query<{ column_name: string; data_type: string }>(
        `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'notes' ORDER BY ordinal_position`,
      )
    ).rows.map((r) => r.data_type),
  );
  assert.deepEqual(types, ['integer', 'text', 'integer']);
});

test('a run without rejects writes no reject file', { timeout: 60_000 }, async (t) => {
  const db = await freshPostgresDatabase(t);
  if (!db) return;
  const dir = tempDir('copy-rejects');
  const sdb = new Database(path.join(dir, 'src.db'));
  sdb.exec(`CREATE TABLE ok (id INTEGER PRIMARY KEY, s TEXT); INSERT INTO ok VALUES (1, 'a'), (2, 'b')`);
  sdb.close();
  const run = await ferry(dir, 'copy', 'src.db', db.url, '--json');
  assert.equal(run.status, 0, run.stderr);
  const report = JSON.parse(run.stdout) as { rejectFile: string | null; totals: { rejects: number } };
  assert.equal(report.rejectFile, null);
  assert.equal(report.totals.rejects, 0);
  assert.deepEqual(
    fs.readdirSync(dir).filter((f) => f.endsWith('.jsonl')),
    [],
  );
});

test('NULL in a TEXT PRIMARY KEY column (allowed by SQLite) is a refused row, not a failed copy', { timeout: 60_000 }, async (t) => {
  const db = await freshPostgresDatabase(t);
  if (!db) return;
  const dir = tempDir('copy-rejects');
  const sdb = new Database(path.join(dir, 'src.db'));
  sdb.exec('CREATE TABLE people (email TEXT PRIMARY KEY, name TEXT NOT NULL)');
  const ins = sdb.prepare('INSERT INTO people VALUES (?, ?)');
  for (let i = 1; i <= 100; i++) ins.run(i === 50 ? null : `u${i}@example.com`, `name ${i}`);
  sdb.close();

  const run = await ferry(dir, 'copy', 'src.db', db.url, '--max-rejects', '10', '--reject-file', 'rejects.jsonl', '--json');
  const rejects = readRejects(path.join(dir, 'rejects.jsonl'));
  assert.equal(run.status, 3, `exit 3 (one row refused): ${run.stdout}${run.stderr}`);
  assert.equal(rejects.length, 1, JSON.stringify(rejects));
  assert.equal(rejects[0]!.table, 'people');
  assert.equal(String(rejects[0]!.key), '50', 'keyed by the source rowid');
  assert.equal(rejects[0]!.column, 'email');
  assert.equal(rejects[0]!.value ?? null, null);
  assert.match(rejects[0]!.reason, /null/i);
  assert.equal(await pgCount(db.url, 'people'), 99, 'the other 99 rows are in');
  const pk = await withPg(
    db.url,
    async (c) => (await c.query(`SELECT 1 FROM pg_constraint WHERE conrelid = 'public.people'::regclass AND contype = 'p'`)).rows.length,
  );
  assert.equal(pk, 1, 'the primary key was built');
  const report = JSON.parse(run.stdout) as { totals: { rejects: number }; verify: { ok: boolean } };
  assert.equal(report.totals.rejects, 1);
  assert.equal(report.verify.ok, true);
});

test(
  'a CHECK that PostgreSQL semantics break (bigint overflow) keeps every row; the constraint stays NOT VALID with a warning',
  { timeout: 60_000 },
  async (t) => {
    const db = await freshPostgresDatabase(t);
    if (!db) return;
    const dir = tempDir('copy-rejects');
    const sdb = new Database(path.join(dir, 'src.db'));
    sdb.defaultSafeIntegers(true);
    // SQLite turns an overflowing integer product into a real, so 2^62 * 4 > 0 holds; PostgreSQL's
    // bigint arithmetic raises "bigint out of range" instead.
    sdb.exec('CREATE TABLE big (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, CONSTRAINT n_positive CHECK (n * 4 > 0))');
    sdb.prepare('INSERT INTO big VALUES (?, ?)').run(1n, 5n);
    sdb.prepare('INSERT INTO big VALUES (?, ?)').run(2n, 2n ** 62n);
    sdb.close();
    const run = await ferry(dir, 'copy', 'src.db', db.url, '--json');
    assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
    const report = JSON.parse(run.stdout) as {
      totals: { rejects: number; rows: number };
      warnings: { code: string; table: string; message: string }[];
      verify: { ok: boolean };
    };
    assert.equal(report.totals.rejects, 0, 'no row is refused for a CHECK');
    assert.equal(report.totals.rows, 2);
    assert.equal(report.verify.ok, true);
    const w = report.warnings.filter((x) => x.table === 'big');
    // INTEGER holding 2^62 is bigint (the values decide), and the CHECK stays NOT VALID.
    assert.deepEqual(
      w.map((x) => x.code),
      ['INTEGER_AS_BIGINT', 'NOT_VALIDATED'],
      JSON.stringify(w),
    );
    assert.match(w[1]!.message, /n_positive/);
    assert.match(w[1]!.message, /out of range/);
    const con = await withPg(
      db.url,
      async (c) => (await c.query<{ convalidated: boolean }>(`SELECT convalidated FROM pg_constraint WHERE conname = 'n_positive'`)).rows,
    );
    assert.deepEqual(con, [{ convalidated: false }], 'the CHECK exists, NOT VALID, guarding new rows');
    const values = await withPg(db.url, async (c) => (await c.query<{ n: bigint }>(`SELECT n FROM ${q('big')} ORDER BY id`)).rows.map((r) => r.n));
    assert.deepEqual(values, [5n, 2n ** 62n]);
  },
);

test('a CHECK PostgreSQL cannot create (text compared with a number) is one warning, not two', { timeout: 60_000 }, async (t) => {
  const db = await freshPostgresDatabase(t);
  if (!db) return;
  const dir = tempDir('copy-rejects');
  const sdb = new Database(path.join(dir, 'src.db'));
  sdb.exec(`CREATE TABLE t2 (id INTEGER PRIMARY KEY, s TEXT CHECK (s > 5)); INSERT INTO t2 VALUES (1, 'abc')`);
  sdb.close();
  const run = await ferry(dir, 'copy', 'src.db', db.url, '--json');
  assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
  const report = JSON.parse(run.stdout) as { warnings: { code: string; table: string; message: string }[] };
  const w = report.warnings.filter((x) => x.table === 't2');
  assert.deepEqual(
    w.map((x) => x.code),
    ['CHECK_SKIPPED'],
    `only the skipped CHECK is reported, not a VALIDATE of a constraint that does not exist: ${JSON.stringify(w)}`,
  );
  assert.equal(await pgCount(db.url, 't2'), 1);
});
