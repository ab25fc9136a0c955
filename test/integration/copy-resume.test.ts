/**
 * `ferry copy` killed with SIGKILL mid-run, then resumed: 200,000 rows over a rowid table with an
 * index and a foreign key, a WITHOUT ROWID table keyed by text, and a table of blobs. The real CLI
 * is killed at several moments (right after the schema commit, mid-table, during keys and indexes,
 * during foreign keys); each time a re-run without --resume must refuse and change nothing, and a
 * re-run with --resume must finish, verify, and leave exactly the source's rows (no duplicate, no
 * gap) and no state table. The PostgreSQL -> SQLite direction is killed and resumed once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ferry, FERRY } from '../support/cli.js';
import { freshPostgresDatabase } from '../support/postgres.js';
import { tempDir } from '../support/sqlite-fixtures.js';
import { q, sqliteTables, withPg } from '../support/copy-fixtures.js';

const STATE = '_ferry_copy_state';
const COUNTS = { files: 20_000, events: 120_000, kv: 60_000 };

/** Table -> key columns and every column, in order. */
const SHAPE: Record<string, { key: string; columns: string[]; textKey: boolean }> = {
  files: { key: 'id', columns: ['id', 'name', 'data'], textKey: false },
  events: { key: 'id', columns: ['id', 'kind', 'n', 'r', 'note', 'file_id'], textKey: false },
  kv: { key: 'k', columns: ['k', 'v', 'note'], textKey: true },
};

function buildSource(file: string): void {
  const db = new Database(file);
  db.exec(`
    CREATE TABLE files (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, data BLOB);
    CREATE TABLE events (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, n INTEGER, r REAL, note TEXT, file_id INTEGER REFERENCES files(id));
    CREATE INDEX events_kind ON events(kind, n);
    CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL, note TEXT) WITHOUT ROWID;
  `);
  db.transaction(() => {
    const f = db.prepare('INSERT INTO files VALUES (?, ?, ?)');
    for (let i = 1; i <= COUNTS.files; i++) {
      const data = Buffer.alloc(50 + (i % 150), i % 256);
      data[0] = 0;
      f.run(i, `file-${i}`, i % 1000 === 0 ? null : data);
    }
    const e = db.prepare('INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)');
    for (let i = 1; i <= COUNTS.events; i++) e.run(i * 2, `k${i % 17}`, i * 7919, i / 3, i % 10 === 0 ? null : `note\t${i}\n`, 1 + (i % COUNTS.files));
    const k = db.prepare('INSERT INTO kv VALUES (?, ?, ?)');
    // Text keys whose byte order differs from a locale's: mixed case, digits, accents.
    for (let i = 1; i <= COUNTS.kv; i++) k.run(`${i % 3 ? 'Key' : 'key'}-${(i * 7919) % 100_003}${i % 5 ? '' : 'é'}-${i}`, i, `v${i}`);
  })();
  db.close();
}

/** A digest of every row of each table, read in key order (text keys byte by byte). */
function sqliteDigests(file: string): Record<string, { rows: number; digest: string }> {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.defaultSafeIntegers(true);
  try {
    const out: Record<string, { rows: number; digest: string }> = {};
    for (const [table, s] of Object.entries(SHAPE)) {
      const h = crypto.createHash('sha256');
      let rows = 0;
      for (const row of db
        .prepare(`SELECT ${s.columns.map(q).join(', ')} FROM ${q(table)} ORDER BY ${q(s.key)}`)
        .raw(true)
        .iterate() as IterableIterator<unknown[]>) {
        h.update(rowText(row));
        rows++;
      }
      out[table] = { rows, digest: h.digest('hex') };
    }
    return out;
  } finally {
    db.close();
  }
}

async function pgDigests(url: string): Promise<Record<string, { rows: number; digest: string }>> {
  return withPg(url, async (c) => {
    const out: Record<string, { rows: number; digest: string }> = {};
    for (const [table, s] of Object.entries(SHAPE)) {
      const h = crypto.createHash('sha256');
      const res = await c.query({
        text: `SELECT ${s.columns.map(q).join(', ')} FROM ${q(table)} ORDER BY ${q(s.key)}${s.textKey ? ' COLLATE "C"' : ''}`,
        rowMode: 'array',
      });
      for (const row of res.rows as unknown[][]) h.update(rowText(row));
      out[table] = { rows: res.rows.length, digest: h.digest('hex') };
    }
    return out;
  });
}

/** One row as text both engines' readers agree on (ints as digits, doubles shortest, blobs hex). */
function rowText(row: unknown[]): string {
  return (
    row
      .map((v) => {
        if (v === null) return 'N';
        if (Buffer.isBuffer(v) || v instanceof Uint8Array) return `x${Buffer.from(v).toString('hex')}`;
        if (typeof v === 'number') return `f${String(v)}`;
        if (typeof v === 'bigint') return `i${v}`;
        return `s${JSON.stringify(v)}`;
      })
      .join('|') + '\n'
  );
}

/** Everything a run could change in the PostgreSQL target, for "changed nothing" checks. */
async function pgSnapshot(url: string): Promise<unknown> {
  return withPg(url, async (c) => {
    const tables = (await c.query<{ t: string }>(`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`)).rows.map(
      (r) => r.t,
    );
    const counts: Record<string, string> = {};
    for (const t of tables) counts[t] = String((await c.query({ text: `SELECT count(*) FROM ${q(t)}`, rowMode: 'array' })).rows[0]![0]);
    const state = tables.includes(STATE) ? (await c.query({ text: `SELECT * FROM ${q(STATE)} ORDER BY table_name`, rowMode: 'array' })).rows : null;
    const indexes = (await c.query({ text: `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1`, rowMode: 'array' })).rows;
    const constraints = (
      await c.query({
        text: `SELECT conname, convalidated FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'public' ORDER BY 1`,
        rowMode: 'array',
      })
    ).rows;
    return { tables, counts, state, indexes, constraints };
  });
}

async function pgHasState(url: string): Promise<boolean> {
  return withPg(
    url,
    async (c) => (await c.query(`SELECT 1 FROM information_schema.tables WHERE table_schema = 'public' AND table_name = $1`, [STATE])).rows.length > 0,
  );
}

type Trigger = { log: RegExp } | { poll: (url: string) => Promise<boolean>; url: string };

/**
 * Runs `ferry copy ...args` in `cwd` and kills it with SIGKILL as soon as `trigger` fires: a line
 * on stderr, or a predicate polled every 10 ms. Resolves with whether the kill landed before the
 * run ended on its own, and what it logged.
 */
function runAndKill(cwd: string, args: string[], trigger: Trigger): Promise<{ killed: boolean; code: number | null; log: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FERRY, 'copy', ...args], {
      cwd,
      env: { ...process.env, CI: 'true', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    let killed = false;
    let done = false;
    const kill = () => {
      if (!killed && !done && child.exitCode === null) {
        killed = true;
        child.kill('SIGKILL');
      }
    };
    const safety = setTimeout(kill, 60_000);
    child.stdout.resume();
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      log += d;
      if ('log' in trigger && trigger.log.test(log)) kill();
    });
    if ('poll' in trigger) {
      const tick = async () => {
        while (!done && !killed) {
          if (await trigger.poll(trigger.url).catch(() => false)) kill();
          else await new Promise((r) => setTimeout(r, 10));
        }
      };
      void tick();
    }
    child.on('error', reject);
    child.on('exit', (code) => {
      done = true;
      clearTimeout(safety);
      resolve({ killed, code, log });
    });
  });
}

/** True once the state shows at least `rows` rows of `table` committed. */
function rowsCommitted(table: string, rows: number): (url: string) => Promise<boolean> {
  return (url) =>
    withPg(url, async (c) => {
      const r = await c.query<{ n: bigint | null }>(`SELECT rows_copied AS n FROM ${q(STATE)} WHERE table_name = $1`, [table]);
      return r.rows.length > 0 && Number(r.rows[0]!.n) >= rows;
    });
}

/** True once the state shows some table past loading (post-load steps under way). */
function phaseLike(pattern: string): (url: string) => Promise<boolean> {
  return (url) => withPg(url, async (c) => (await c.query(`SELECT 1 FROM ${q(STATE)} WHERE phase LIKE $1`, [pattern])).rows.length > 0);
}

let source: { dir: string; file: string; digests: Record<string, { rows: number; digest: string }> } | undefined;

function sharedSource(): NonNullable<typeof source> {
  if (!source) {
    const dir = tempDir('copy-resume');
    const file = path.join(dir, 'src.db');
    buildSource(file);
    const digests = sqliteDigests(file);
    assert.deepEqual(Object.fromEntries(Object.entries(digests).map(([t, d]) => [t, d.rows])), COUNTS);
    source = { dir, file, digests };
  }
  return source;
}

/** Each moment to kill the SQLite -> PostgreSQL copy at. */
const MOMENTS: { name: string; trigger: (url: string) => Trigger; mustLand: boolean }[] = [
  { name: 'right after the schema commit (first chunk)', trigger: () => ({ log: /loading \d+ table/ }), mustLand: true },
  { name: 'mid-table (events partly loaded)', trigger: (url) => ({ poll: rowsCommitted('events', 30_000), url }), mustLand: true },
  { name: 'during keys and indexes', trigger: (url) => ({ poll: phaseLike('keys:%'), url }), mustLand: false },
  { name: 'during foreign keys', trigger: () => ({ log: /adding foreign keys/ }), mustLand: false },
];

let landed = 0;

for (const moment of MOMENTS) {
  test(`SQLite -> PostgreSQL killed ${moment.name}: no --resume refuses and changes nothing; --resume completes exactly`, { timeout: 120_000 }, async (t) => {
    const db = await freshPostgresDatabase(t);
    if (!db) return;
    const src = sharedSource();
    const args = ['src.db', db.url, '--batch-size', '2000', '--parallel', '1'];
    const run = await runAndKill(src.dir, args, moment.trigger(db.url));
    const partial = await pgHasState(db.url);
    if (moment.mustLand) {
      assert.equal(run.killed, true, `the kill landed before the run ended: ${run.log}`);
      assert.equal(partial, true, `the killed run left its state table: ${run.log}`);
    }
    if (!run.killed || !partial) {
      // The run finished (or died before its schema committed, which leaves nothing): nothing to resume.
      if (!run.killed) assert.equal(run.code, 0, run.log);
      t.diagnostic(`kill ${moment.name} did not leave a partial copy (killed=${run.killed}); checked that the target is whole or empty`);
      const tables = (await pgSnapshot(db.url)) as { tables: string[] };
      if (run.killed) assert.deepEqual(tables.tables, [], 'a kill before the schema commit leaves nothing');
      else assert.deepEqual(await pgDigests(db.url), src.digests);
      return;
    }
    landed++;
    const phases = await withPg(
      db.url,
      async (c) =>
        (
          await c.query<{ table_name: string; phase: string; rows_copied: bigint }>(
            `SELECT table_name, phase, rows_copied FROM ${q(STATE)} WHERE table_name <> '' ORDER BY 1`,
          )
        ).rows,
    );
    t.diagnostic(`killed with state: ${phases.map((p) => `${p.table_name}=${p.phase}/${p.rows_copied}`).join(', ')}`);

    // Without --resume: refused, names --resume, changes nothing.
    const before = await pgSnapshot(db.url);
    const refused = await ferry(src.dir, 'copy', ...args);
    assert.notEqual(refused.status, 0, 'a re-run without --resume fails');
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /--resume/, `the message says how to continue: ${refused.stderr}`);
    assert.match(refused.stderr, /unfinished copy/);
    assert.deepEqual(await pgSnapshot(db.url), before, 'the refused re-run changed nothing');

    // With --resume: completes, verifies, exactly the source's rows, no state left.
    const resumed = await ferry(src.dir, 'copy', ...args, '--resume');
    assert.equal(resumed.status, 0, `resume exits 0: ${resumed.stdout}\n${resumed.stderr}`);
    assert.match(resumed.stdout, /\(resumed\)/);
    assert.match(resumed.stdout, /All 3 table\(s\) verified successfully/);
    assert.equal(await pgHasState(db.url), false, 'the state table is gone');
    assert.deepEqual(await pgDigests(db.url), src.digests, 'every row exactly once, values equal');
    const after = (await pgSnapshot(db.url)) as { indexes: string[][]; constraints: unknown[][] };
    const indexNames = after.indexes.map((r) => r[0]).sort();
    // _ferry_origin stays: it records the SQLite schema for the way back.
    assert.deepEqual(
      indexNames,
      ['_ferry_origin_pkey', 'events_kind', 'events_pkey', 'files_name_key', 'files_pkey', 'kv_pkey'],
      'keys and indexes are built once',
    );
    assert.ok(
      after.constraints.every((r) => r[1] === true),
      `every constraint is validated: ${JSON.stringify(after.constraints)}`,
    );
    assert.ok(
      after.constraints.some((r) => String(r[0]).includes('fkey')),
      'the foreign key exists',
    );
    // The identity continues after the max key, even across a resume.
    const id = await withPg(db.url, async (c) => (await c.query<{ id: bigint }>(`INSERT INTO events (kind) VALUES ('new') RETURNING id`)).rows[0]!.id);
    assert.equal(id, BigInt(COUNTS.events * 2 + 1));
  });
}

test('most kills landed mid-run', () => {
  if (!source) return;
  assert.ok(landed >= 2, `at least the early and mid-table kills left a partial copy (landed ${landed})`);
});

test('PostgreSQL -> SQLite killed mid-load resumes exactly', { timeout: 120_000 }, async (t) => {
  const db = await freshPostgresDatabase(t);
  if (!db) return;
  const src = sharedSource();
  const first = await ferry(src.dir, 'copy', 'src.db', db.url, '--batch-size', '20000');
  assert.equal(first.status, 0, first.stderr);
  const dir = tempDir('copy-resume-back');
  const target = path.join(dir, 'back.db');
  const args = [db.url, 'back.db', '--batch-size', '2000'];
  // Files come first (events refer to them); once they are in, events and kv are still to load.
  const run = await runAndKill(dir, args, { log: /files: [\d,]+ rows in/ });
  assert.equal(run.killed, true, `killed mid-load: ${run.log}`);
  assert.ok(fs.existsSync(target), 'the target file exists after the schema commit');
  assert.ok(sqliteTables(target).includes(STATE), 'the killed run left its state in the SQLite target');

  const fileBefore = fs.readFileSync(target);
  const refused = await ferry(dir, 'copy', ...args);
  assert.equal(refused.status, 1, refused.stderr);
  assert.match(refused.stderr, /--resume/);
  assert.ok(fs.readFileSync(target).equals(fileBefore), 'the refused re-run did not change the SQLite file');

  const resumed = await ferry(dir, 'copy', ...args, '--resume');
  assert.equal(resumed.status, 0, `${resumed.stdout}\n${resumed.stderr}`);
  assert.match(resumed.stdout, /All 3 table\(s\) verified successfully/);
  assert.deepEqual(sqliteTables(target), ['events', 'files', 'kv'], 'no state table left');
  assert.deepEqual(sqliteDigests(target), src.digests, 'every row exactly once, values equal');
  const check = new Database(target, { readonly: true });
  try {
    assert.equal(check.pragma('integrity_check', { simple: true }), 'ok');
    assert.deepEqual(check.pragma('foreign_key_check'), []);
  } finally {
    check.close();
  }
});
