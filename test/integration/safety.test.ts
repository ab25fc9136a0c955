/**
 * Issue 10, "Data that was lost or could be lost" and "Crashes": one test per fixed defect, each
 * reproducing the original situation through the real CLI on real SQLite files and a real
 * PostgreSQL, and asserting the fixed behaviour.
 *
 *  1. `consolidate --rollback` after a write to a source stops (SOURCES_CHANGED, nothing changed);
 *     with --force it goes on and keeps the changed sources as a before-restore set.
 *  2. A resumed `consolidate` whose sources changed since the killed run's backup stops
 *     (SOURCES_CHANGED); `--restart` completes with the new row.
 *  3. A target at a source's own path is refused (TARGET_IS_SOURCE) before anything is written.
 *  4. `ferry restore` keeps what it replaces as a before-restore set, never picked as "latest".
 *  5. Keyless tables merged from two sources: KEYLESS_MERGE warning; onConflict skip drops
 *     whole-row duplicates (NULL-safe), lists them, and verify accounts for them.
 *  6. `ferry verify` looks both ways and refuses a source with no tables.
 *  7. Half-written backup sets of dead runs are removed; a live run's stays.
 *  8. A copy killed during its closing verify is finished with --resume (which only verifies).
 * 10. Wide tables: 1000 columns to PostgreSQL, 1999 columns consolidated, 1700 refused before writing.
 * 16. A reject file after a resumed copy: the same file, each refused row once, keyed by its own
 *     primary key.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { generateEstate } from '../../src/demo/legacy-estate.js';
import { ferry, FERRY, sha256, type CliResult } from '../support/cli.js';
import { findPostgresUrl, freshPostgresDatabase, type FreshDatabase } from '../support/postgres.js';
import { fileFingerprints, tempDir } from '../support/sqlite-fixtures.js';
import { pgCount, withPg } from '../support/copy-fixtures.js';

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** The whole of stdout as one JSON document (fails when there is anything else on stdout). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON documents of any shape
function doc(r: CliResult): Record<string, any> {
  try {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return JSON.parse(r.stdout) as Record<string, any>;
  } catch (e) {
    throw new Error(`stdout is not one JSON document (${(e as Error).message}):\n${r.stdout}\nstderr:\n${r.stderr}`);
  }
}

/** "exit N: stdout / stderr" for assertion messages. */
function said(r: CliResult): string {
  return `exit ${r.status}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
}

/** A fresh PostgreSQL database; these tests must not skip, so a missing server fails them. */
async function pgDatabase(t: TestContext): Promise<FreshDatabase> {
  assert.ok(await findPostgresUrl(), 'these tests need PostgreSQL (run through scripts/run-tests.js, or start a local server)');
  const db = await freshPostgresDatabase(t);
  assert.ok(db);
  return db;
}

/** Every table of the schema public, ferry's own included. */
async function allPgTables(url: string): Promise<string[]> {
  return withPg(url, async (c) =>
    (await c.query<{ t: string }>(`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`)).rows.map((r) => r.t),
  );
}

function count(file: string, sql: string, ...params: unknown[]): number {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return Number(
      db
        .prepare(sql)
        .pluck()
        .get(...params),
    );
  } finally {
    db.close();
  }
}

function exec(file: string, sql: string): void {
  const db = new Database(file);
  try {
    db.exec(sql);
  } finally {
    db.close();
  }
}

/**
 * Starts the CLI and kills it with SIGKILL as soon as `trigger` shows on its stderr (progress lines
 * go there in a pipe). Resolves with whether the kill landed before the process ended by itself.
 */
function runAndKill(cwd: string, trigger: RegExp, args: string[]): Promise<{ killed: boolean; stderr: string; status: number | null }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true', NO_COLOR: '1' };
    delete env.FERRY_DEBUG;
    const child = spawn(process.execPath, [FERRY, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let killed = false;
    const kill = () => {
      if (!killed && child.exitCode === null && child.signalCode === null) {
        killed = true;
        child.kill('SIGKILL');
      }
    };
    child.stdout.resume();
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
      if (trigger.test(stderr)) kill();
    });
    // A run that never reaches the trigger must not stall the file.
    const timer = setTimeout(kill, 30_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ killed, stderr, status });
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ---------------------------------------------------------------------------------------------
// 1. rollback after a write to a source
// ---------------------------------------------------------------------------------------------

test(
  '1. consolidate --rollback after a write to a source stops with SOURCES_CHANGED and changes nothing; --force keeps the changed sources as a before-restore set',
  { timeout: 60_000 },
  async () => {
    const dir = tempDir('safety-rollback');
    const estate = await generateEstate({ dir, rows: 600, walRows: 10 });
    const src = estate.sourceDir;
    const targetDir = path.join(src, 'consolidated');
    const backupDir = path.join(src, 'backup');
    const personas = path.join(src, 'personas.db');

    const run = await ferry(dir, 'consolidate');
    // The demo estate has 10 rows skipped on purpose (onConflict skip): exit 3.
    assert.equal(run.status, 3, said(run));
    assert.equal(count(personas, 'SELECT count(*) FROM personas'), 500);

    // A write to a source after the consolidation (the app kept running on the old file).
    exec(personas, `INSERT INTO personas VALUES ('Written After', 'late', 9999, 'x')`);
    const sourcesBefore = fileFingerprints(src);
    const targetsBefore = fileFingerprints(targetDir);
    assert.equal(Object.keys(targetsBefore).length, 4, 'the four targets are in place');
    const setsBefore = fs.readdirSync(backupDir).sort();

    const refused = await ferry(dir, 'consolidate', '--rollback', '--json');
    assert.equal(refused.status, 1, said(refused));
    const err = doc(refused).error;
    assert.equal(err.code, 'SOURCES_CHANGED');
    // Names the file and the table.
    assert.match(err.message, /personas\.db \(personas: 500 → 501 rows\)/);
    assert.match(err.hint, /--force/);
    assert.deepEqual(
      err.data.changed.map((c: { source: string }) => c.source),
      [personas],
      'only the written source is named',
    );

    // Nothing was changed: sources, targets and backup sets as before.
    assert.deepEqual(fileFingerprints(src), sourcesBefore, 'sources unchanged');
    assert.deepEqual(fileFingerprints(targetDir), targetsBefore, 'targets unchanged');
    assert.deepEqual(fs.readdirSync(backupDir).sort(), setsBefore, 'no backup set made');
    assert.equal(count(personas, `SELECT count(*) FROM personas WHERE name = 'Written After'`), 1);

    // --force: rolls back, but first keeps the sources (with the new row) as a set of their own.
    const forced = await ferry(dir, 'consolidate', '--rollback', '--force', '--json');
    assert.equal(forced.status, 0, said(forced));
    const rolled = doc(forced);
    assert.equal(rolled.ok, true);
    assert.equal(typeof rolled.sourcesKept, 'string', `sourcesKept is a set id: ${forced.stdout}`);
    assert.equal(count(personas, 'SELECT count(*) FROM personas'), 500, 'personas.db is back to the backup');
    assert.deepEqual(
      fs.readdirSync(targetDir).filter((f) => f.endsWith('.db')),
      [],
      'targets removed',
    );

    const listed = await ferry(dir, 'backups', '--json');
    assert.equal(listed.status, 0, said(listed));
    const kept = doc(listed).sets.find((s: { id: string }) => s.id === rolled.sourcesKept);
    assert.ok(kept, `ferry backups lists ${rolled.sourcesKept}: ${listed.stdout}`);
    assert.equal(kept.reason, 'before-restore');
    assert.equal(kept.files.find((f: { name: string }) => f.name === 'personas.db').rows, 501, 'the kept set holds the new row');

    // Restoring that set brings the row back.
    const restored = await ferry(dir, 'restore', rolled.sourcesKept);
    assert.equal(restored.status, 0, said(restored));
    assert.equal(count(personas, 'SELECT count(*) FROM personas'), 501);
    assert.equal(count(personas, `SELECT count(*) FROM personas WHERE name = 'Written After' AND "order" = 9999`), 1);
  },
);

// ---------------------------------------------------------------------------------------------
// 2. resumed consolidation after sources changed
// ---------------------------------------------------------------------------------------------

test(
  '2. a consolidation killed mid-run whose sources then changed is not resumed (SOURCES_CHANGED); --restart completes with the new row',
  { timeout: 90_000 },
  async () => {
    const dir = tempDir('safety-resume');
    // Big enough that the run takes a while after core.db is finished (memory, analytics, agents).
    const estate = await generateEstate({ dir, rows: 20_000, walRows: 5 });
    const src = estate.sourceDir;
    const targetDir = path.join(src, 'consolidated');
    const statePath = path.join(targetDir, '.ferry', 'consolidate-state.json');
    const personas = path.join(src, 'personas.db');

    // Killed as soon as the second target starts: core.db is finished and recorded in the run state,
    // agents.db (fed by personas.db) is not built yet. The kill is not left to timing: it is sent the
    // moment the run prints "building memory.db", and three targets (~70,000 rows, several hundred ms
    // even on an idle machine) remain after it; the assertions below prove where it landed.
    const killed = await runAndKill(dir, /building memory\.db/, ['consolidate']);
    assert.ok(killed.killed, `the run was killed mid-run, not finished: ${killed.stderr}`);
    assert.ok(fs.existsSync(statePath), 'the killed run left its state');
    const state = JSON.parse(fs.readFileSync(statePath, 'utf8')) as { completed: string[]; backupSet: string };
    assert.deepEqual(state.completed, ['core.db']);
    assert.equal(fs.existsSync(path.join(targetDir, 'agents.db')), false);

    // The app writes a row meanwhile.
    exec(personas, `INSERT INTO personas VALUES ('Written Between', 'late', 7777, 'x')`);

    const again = await ferry(dir, 'consolidate', '--json');
    assert.equal(again.status, 1, said(again));
    assert.doesNotMatch(again.stdout, /Migration (completed|finished)/);
    assert.doesNotMatch(again.stderr, /resuming the interrupted run/);
    const err = doc(again).error;
    assert.equal(err.code, 'SOURCES_CHANGED', said(again));
    assert.match(err.message, /personas\.db \(personas: 500 → 501 rows\)/);
    assert.match(err.hint, /--restart/);
    assert.equal(fs.existsSync(path.join(targetDir, 'agents.db')), false, 'no target built from the stale backup');
    assert.deepEqual(JSON.parse(fs.readFileSync(statePath, 'utf8')), state, 'the run state is left as it was');

    // Text mode says the same and never claims a resumed migration.
    const text = await ferry(dir, 'consolidate');
    assert.equal(text.status, 1, said(text));
    assert.doesNotMatch(text.stdout, /Migration completed \(resumed\)!/);
    assert.match(text.stderr, /personas: 500 → 501 rows/);

    const restarted = await ferry(dir, 'consolidate', '--restart');
    // Exit 3: the demo estate's 10 rows skipped on purpose (onConflict skip), nothing else.
    assert.equal(restarted.status, 3, `--restart must complete the consolidation: ${said(restarted)}`);
    assert.match(restarted.stdout, /Migration finished, but 10 row\(s\)/);
    assert.doesNotMatch(restarted.stdout, /resumed/);
    const agents = path.join(targetDir, 'agents.db');
    assert.equal(count(agents, 'SELECT count(*) FROM personas'), 501);
    assert.equal(count(agents, `SELECT count(*) FROM personas WHERE name = 'Written Between' AND "order" = 7777`), 1, 'the new row is in the target');
    assert.equal(fs.existsSync(statePath), false, 'no run state left');

    const verified = await ferry(dir, 'consolidate', '--verify');
    assert.equal(verified.status, 0, said(verified));
    assert.match(verified.stdout, /agents\.db:personas: sources=501, target=501/);
    assert.match(verified.stdout, /All 6 table\(s\) match/);
  },
);

// ---------------------------------------------------------------------------------------------
// 3. target at a source's path
// ---------------------------------------------------------------------------------------------

test(
  '3. a target at the same path as a source is refused with TARGET_IS_SOURCE (with or without --force, and by --dry-run) before anything is written',
  { timeout: 60_000 },
  async () => {
    const dir = tempDir('safety-same-path');
    const data = path.join(dir, 'data');
    fs.mkdirSync(data);
    exec(path.join(data, 'a.db'), `CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'a1'), (2, 'a2');`);
    exec(path.join(data, 'b.db'), `CREATE TABLE u (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO u VALUES (1, 'b1');`);
    // targetDir = sourceDir, and the target file is named like a source.
    fs.writeFileSync(
      path.join(dir, 'ferry.config.json'),
      JSON.stringify({ consolidate: { sourceDir: 'data', targetDir: 'data', sources: { 'a.db': { target: 'a.db' }, 'b.db': { target: 'a.db' } } } }),
    );
    const hashes = { a: sha256(path.join(data, 'a.db')), b: sha256(path.join(data, 'b.db')) };
    const listing = fs.readdirSync(data).sort();

    for (const args of [['consolidate'], ['consolidate', '--force']]) {
      const r = await ferry(dir, ...args, '--json');
      assert.equal(r.status, 1, `${args.join(' ')}: ${said(r)}`);
      assert.equal(doc(r).error.code, 'TARGET_IS_SOURCE', `${args.join(' ')}: ${r.stdout}`);
      assert.match(doc(r).error.message, /The target \S+a\.db is the source a\.db itself/);
    }
    const dry = await ferry(dir, 'consolidate', '--dry-run', '--json');
    assert.equal(dry.status, 1, said(dry));
    const plan = doc(dry);
    assert.equal(plan.ok, false);
    const p = plan.plan.problems.find((x: { code: string }) => x.code === 'TARGET_IS_SOURCE');
    assert.ok(p, `--dry-run lists TARGET_IS_SOURCE: ${JSON.stringify(plan.plan.problems)}`);
    assert.equal(p.severity, 'error');
    const dryForce = await ferry(dir, 'consolidate', '--dry-run', '--force');
    assert.equal(dryForce.status, 1, said(dryForce));
    assert.match(dryForce.stdout, /error: The target \S+a\.db is the source a\.db itself/);

    // Nothing written: the sources' bytes, no backup set, no working folder.
    assert.equal(sha256(path.join(data, 'a.db')), hashes.a, 'a.db unchanged');
    assert.equal(sha256(path.join(data, 'b.db')), hashes.b, 'b.db unchanged');
    assert.deepEqual(fs.readdirSync(data).sort(), listing, 'no backup folder, no .ferry folder, no other file');
    assert.equal(count(path.join(data, 'a.db'), 'SELECT count(*) FROM t'), 2);
  },
);

// ---------------------------------------------------------------------------------------------
// 4. restore keeps what it replaces
// ---------------------------------------------------------------------------------------------

test('4. ferry restore keeps what it replaces as a before-restore set that latest never picks; --dry-run changes nothing', { timeout: 60_000 }, async () => {
  const dir = tempDir('safety-restore');
  const x = path.join(dir, 'x.db');
  exec(x, `CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'one'), (2, 'two');`);
  const made = await ferry(dir, 'backup', 'x.db', '--dir', 'bk', '--json');
  assert.equal(made.status, 0, said(made));
  const original = doc(made).id as string;

  exec(x, `INSERT INTO t VALUES (3, 'written after the backup')`);
  const hash = sha256(x);

  // --dry-run: says what would be replaced, changes nothing.
  const dryText = await ferry(dir, 'restore', '--dir', 'bk', '--dry-run');
  assert.equal(dryText.status, 0, said(dryText));
  assert.match(dryText.stdout, new RegExp(`Would restore from ${original}`));
  assert.match(dryText.stdout, /x\.db: replace its 3 rows in 1 table\(s\) with 2 rows in 1 table\(s\)/);
  assert.ok(dryText.stdout.includes(`${x}: replace its 3 rows`), said(dryText));
  assert.equal(sha256(x), hash, 'dry-run leaves the file alone');
  assert.deepEqual(fs.readdirSync(path.join(dir, 'bk')), [original], 'dry-run makes no set');

  // The restore: the row written after the backup goes into a new before-restore set.
  const restore = await ferry(dir, 'restore', '--dir', 'bk', '--json');
  assert.equal(restore.status, 0, said(restore));
  const r = doc(restore);
  assert.equal(r.set, original);
  assert.equal(typeof r.before, 'string');
  const before = r.before as string;
  assert.notEqual(before, original);
  assert.equal(count(x, 'SELECT count(*) FROM t'), 2);

  const listed = await ferry(dir, 'backups', '--dir', 'bk', '--json');
  assert.equal(listed.status, 0, said(listed));
  const set = doc(listed).sets.find((s: { id: string }) => s.id === before);
  assert.ok(set, `ferry backups lists ${before}: ${listed.stdout}`);
  assert.equal(set.reason, 'before-restore');
  assert.equal(set.files[0].rows, 3);

  // "latest" is the set someone made, not what a restore kept.
  const latest = await ferry(dir, 'restore', '--dir', 'bk', '--json');
  assert.equal(latest.status, 0, said(latest));
  assert.equal(doc(latest).set, original, 'ferry restore (latest) does not pick the before-restore set');

  // Restoring the before-restore set brings the row back.
  const undo = await ferry(dir, 'restore', before, '--dir', 'bk');
  assert.equal(undo.status, 0, said(undo));
  assert.equal(count(x, 'SELECT count(*) FROM t'), 3);
  assert.equal(count(x, `SELECT count(*) FROM t WHERE id = 3 AND v = 'written after the backup'`), 1);
});

// ---------------------------------------------------------------------------------------------
// 5. keyless tables merged from two sources
// ---------------------------------------------------------------------------------------------

test(
  '5. keyless tables merged from two sources: KEYLESS_MERGE warning with the count of shared rows; onConflict skip drops whole-row duplicates (NULL-safe), lists them and verifies',
  { timeout: 60_000 },
  async () => {
    const dir = tempDir('safety-keyless');
    fs.mkdirSync(path.join(dir, 'src'));
    // Rows 1 and 2 are in both files; row 2 has a NULL column.
    exec(path.join(dir, 'src', 'a.db'), `CREATE TABLE log (a, b); INSERT INTO log VALUES (1, 'x'), (2, NULL), (3, 'only a');`);
    exec(path.join(dir, 'src', 'b.db'), `CREATE TABLE log (a, b); INSERT INTO log VALUES (1, 'x'), (2, NULL), (4, 'only b');`);
    const config = (targetDir: string, skip: boolean) => ({
      consolidate: {
        sourceDir: 'src',
        targetDir,
        sources: { 'a.db': { target: 't.db' }, 'b.db': { target: 't.db', ...(skip ? { tables: { log: { onConflict: 'skip' } } } : {}) } },
      },
    });
    fs.writeFileSync(path.join(dir, 'plain.json'), JSON.stringify(config('out-plain', false)));
    fs.writeFileSync(path.join(dir, 'skip.json'), JSON.stringify(config('out-skip', true)));

    // --dry-run warns, with the number of whole rows found in both files (NULL equal to NULL).
    const dry = await ferry(dir, 'consolidate', '-c', 'plain.json', '--dry-run', '--json');
    assert.equal(dry.status, 0, said(dry));
    const plan = doc(dry).plan;
    const warnings = plan.problems.filter((p: { code: string }) => p.code === 'KEYLESS_MERGE');
    assert.ok(warnings.length > 0, `a KEYLESS_MERGE warning: ${JSON.stringify(plan.problems)}`);
    assert.ok(warnings.every((w: { severity: string }) => w.severity === 'warning'));
    assert.ok(
      warnings.some((w: { message: string }) => /\b2 row\(s\) of t\.db:log are in both a\.db and b\.db/.test(w.message)),
      `the warning counts the 2 rows found in both files, (1, 'x') and (2, NULL): ${JSON.stringify(warnings.map((w: { message: string }) => w.message))}`,
    );

    // A plain run appends every row.
    const plain = await ferry(dir, 'consolidate', '-c', 'plain.json');
    assert.equal(plain.status, 0, said(plain));
    assert.equal(count(path.join(dir, 'out-plain', 't.db'), 'SELECT count(*) FROM log'), 6);

    // onConflict skip: rows equal in every column to one already written are dropped and listed.
    const skip = await ferry(dir, 'consolidate', '-c', 'skip.json');
    assert.equal(skip.status, 3, said(skip));
    const t = path.join(dir, 'out-skip', 't.db');
    assert.equal(count(t, 'SELECT count(*) FROM log'), 4);
    assert.equal(count(t, 'SELECT count(*) FROM log WHERE a = 2 AND b IS NULL'), 1, 'the NULL row once');
    assert.equal(count(t, `SELECT count(*) FROM log WHERE a = 1 AND b = 'x'`), 1);
    const rejects = fs
      .readFileSync(path.join(dir, 'out-skip', 't.db.rejects.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { action: string; source: string; key: unknown });
    assert.equal(rejects.length, 2, JSON.stringify(rejects));
    assert.deepEqual(
      rejects.map((r) => [r.action, r.source, r.key]),
      [
        ['skipped', 'b.db', [1, 'x']],
        ['skipped', 'b.db', [2, null]],
      ],
    );

    const verify = await ferry(dir, 'consolidate', '-c', 'skip.json', '--verify');
    assert.equal(verify.status, 0, said(verify));
    assert.match(verify.stdout, /t\.db:log: sources=4 \(2 left out on purpose, see rejects file\), target=4/);
  },
);

// ---------------------------------------------------------------------------------------------
// 6. verify both ways, and an empty source
// ---------------------------------------------------------------------------------------------

test(
  '6. ferry verify: a table only in the second database is a difference (exit 4); a source with no tables is an error (exit 1)',
  { timeout: 60_000 },
  async (t) => {
    const pg = await pgDatabase(t);
    const dir = tempDir('safety-verify');
    exec(path.join(dir, 'a.db'), `CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'a'), (2, 'b');`);
    const copy = await ferry(dir, 'copy', 'a.db', pg.url);
    assert.equal(copy.status, 0, said(copy));
    assert.match(copy.stdout, /All 1 table\(s\) verified successfully/);

    await withPg(pg.url, (c) => c.query(`CREATE TABLE extra (id int PRIMARY KEY); INSERT INTO extra VALUES (1);`));
    const text = await ferry(dir, 'verify', 'a.db', pg.url);
    assert.equal(text.status, 4, said(text));
    assert.match(text.stdout, /extra: only in postgres:\/\/\S+, not in sqlite:\S+a\.db/);
    assert.match(text.stdout, /1 of 2 table\(s\) differ/);
    assert.match(text.stdout, /^t: SQLite=2, PostgreSQL=2 ✓$/m);

    // A SQLite database with no tables, and a 0-byte file: nothing to verify, an error.
    exec(path.join(dir, 'empty.db'), 'PRAGMA user_version = 7');
    assert.ok(fs.statSync(path.join(dir, 'empty.db')).size > 0);
    fs.writeFileSync(path.join(dir, 'zero.db'), '');
    const empty = await ferry(dir, 'verify', 'empty.db', pg.url);
    assert.equal(empty.status, 1, said(empty));
    assert.match(empty.stderr, /empty\.db has no tables, so there is nothing to verify/);
    const zero = await ferry(dir, 'verify', 'zero.db', pg.url, '--json');
    assert.equal(zero.status, 1, said(zero));
    assert.equal(doc(zero).ok, false);
    assert.match(doc(zero).error.message, /zero\.db has no tables, so there is nothing to verify/);
    assert.equal(fs.statSync(path.join(dir, 'zero.db')).size, 0, 'verify wrote nothing into the 0-byte file');
  },
);

// ---------------------------------------------------------------------------------------------
// 7. partial backup sets of dead runs
// ---------------------------------------------------------------------------------------------

test("7. a backup removes the half-written sets of dead runs (and old-style ones) and keeps a live run's", { timeout: 30_000 }, async () => {
  const dir = tempDir('safety-partials');
  const bk = path.join(dir, 'bk');
  exec(path.join(dir, 'x.db'), `CREATE TABLE t (a); INSERT INTO t VALUES (1), (2);`);
  const deadPid = 999_999;
  assert.throws(() => process.kill(deadPid, 0), 'pid 999999 is not running');
  const dead = path.join(bk, `.20240101_000000.${deadPid}.partial`);
  const oldStyle = path.join(bk, '.20240101_000001.partial');
  const live = path.join(bk, `.20240101_000002.${process.pid}.partial`);
  for (const d of [dead, oldStyle, live]) {
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(d, 'x.db'), Buffer.alloc(64 * 1024, 1));
  }

  const r = await ferry(dir, 'backup', 'x.db', '--dir', bk, '--json');
  assert.equal(r.status, 0, said(r));
  const id = doc(r).id as string;
  assert.equal(fs.existsSync(dead), false, "the dead run's partial set is gone");
  assert.equal(fs.existsSync(oldStyle), false, 'the old-style partial set is gone');
  assert.equal(fs.existsSync(live), true, 'a partial set whose writer is alive stays');
  assert.deepEqual(fs.readdirSync(bk).sort(), [path.basename(live), id].sort());
  assert.deepEqual(fs.readdirSync(path.join(bk, id)).sort(), ['manifest.json', 'x.db']);

  const check = await ferry(dir, 'backups', '--dir', bk, '--check', '--json');
  assert.equal(check.status, 0, said(check));
  const sets = doc(check).sets as { id: string; problems: unknown[]; files: { rows: number }[] }[];
  assert.deepEqual(
    sets.map((s) => [s.id, s.problems, s.files[0]!.rows]),
    [[id, [], 2]],
    'the new set is complete and intact',
  );
});

// ---------------------------------------------------------------------------------------------
// 8. copy killed during its closing verify
// ---------------------------------------------------------------------------------------------

test(
  '8. a copy killed during its closing verify: without --resume PARTIAL_COPY says it is complete and --resume only verifies; --resume verifies and drops the state',
  { timeout: 90_000 },
  async (t) => {
    const pg = await pgDatabase(t);
    const dir = tempDir('safety-verify-kill');
    const ROWS = 100_000;
    const db = new Database(path.join(dir, 'src.db'));
    db.exec(`CREATE TABLE big (id INTEGER PRIMARY KEY, a TEXT NOT NULL, b REAL, c INTEGER); CREATE TABLE small (id INTEGER PRIMARY KEY, s TEXT);`);
    db.exec(
      `WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < ${ROWS}) INSERT INTO big SELECT i, 'row ' || i || ' with some text', i * 1.5, i * 7 FROM r;`,
    );
    db.exec(`INSERT INTO small VALUES (1, 'x'), (2, NULL)`);
    db.close();

    // Killed the moment the closing verify starts (~1 s of reading 100,000 rows on both sides).
    const killed = await runAndKill(dir, /verifying every table by content/, ['copy', 'src.db', pg.url]);
    assert.ok(killed.killed, `killed during the verify: ${killed.stderr}`);
    assert.ok((await allPgTables(pg.url)).includes('_ferry_copy_state'), 'the state stays until the verify ends');
    const phases = await withPg(
      pg.url,
      async (c) =>
        (
          await c.query<{ table_name: string; phase: string }>(
            `SELECT table_name, phase FROM _ferry_copy_state WHERE table_name IN ('big', 'small') ORDER BY 1`,
          )
        ).rows,
    );
    assert.deepEqual(
      phases.map((p) => [p.table_name, p.phase]),
      [
        ['big', 'done'],
        ['small', 'done'],
      ],
    );

    const refusedJson = await ferry(dir, 'copy', 'src.db', pg.url, '--json');
    assert.equal(refusedJson.status, 1, said(refusedJson));
    const err = doc(refusedJson).error;
    assert.equal(err.code, 'PARTIAL_COPY');
    assert.match(err.message, /complete copy/);
    assert.match(err.hint, /--resume \(it only verifies\)/);
    assert.doesNotMatch(`${err.message} ${err.hint}`, /truncate/, 'never advises throwing the complete copy away');
    assert.ok((await allPgTables(pg.url)).includes('_ferry_copy_state'), 'the refused run changed nothing');

    const resumed = await ferry(dir, 'copy', 'src.db', pg.url, '--resume');
    assert.equal(resumed.status, 0, said(resumed));
    assert.match(resumed.stdout, /\(resumed\)/);
    assert.match(resumed.stdout, /big: SQLite=100000, PostgreSQL=100000 ✓/);
    assert.match(resumed.stdout, /All 2 table\(s\) verified successfully/);
    assert.doesNotMatch(resumed.stderr, /big: .* in \d/, 'nothing loaded again');
    assert.ok(!(await allPgTables(pg.url)).includes('_ferry_copy_state'), 'the state table is gone');
    const [n, distinct] = await withPg(pg.url, async (c) => {
      const row = (await c.query<{ n: bigint; d: bigint }>('SELECT count(*)::int8 AS n, count(DISTINCT id)::int8 AS d FROM big')).rows[0]!;
      return [Number(row.n), Number(row.d)];
    });
    assert.deepEqual([n, distinct], [ROWS, ROWS], 'every row exactly once');
    assert.equal(await pgCount(pg.url, 'small'), 2);
  },
);

// ---------------------------------------------------------------------------------------------
// 10. wide tables
// ---------------------------------------------------------------------------------------------

/** A table `name` of `n` columns (id, then INTEGER/TEXT/REAL in turn) with `rows` rows. */
function wideTable(file: string, name: string, n: number, rows: number): void {
  const db = new Database(file);
  try {
    const cols = Array.from({ length: n - 1 }, (_, i) => `c${i + 1} ${['INTEGER', 'TEXT', 'REAL'][i % 3]}`);
    db.exec(`CREATE TABLE ${name} (id INTEGER PRIMARY KEY, ${cols.join(', ')})`);
    const ins = db.prepare(`INSERT INTO ${name} VALUES (${Array(n).fill('?').join(', ')})`);
    db.transaction(() => {
      for (let r = 1; r <= rows; r++)
        ins.run(r, ...Array.from({ length: n - 1 }, (_, i) => (i % 3 === 0 ? r * i : i % 3 === 1 ? (i % 7 === 0 ? null : `v${r}.${i}`) : r + i / 8)));
    })();
  } finally {
    db.close();
  }
}

test(
  '10. wide tables: 1000 columns copy to PostgreSQL and verify; 1999 columns consolidate and verify (one JSON document); 1700 columns are refused by PostgreSQL before anything is written',
  { timeout: 90_000 },
  async (t) => {
    const pg = await pgDatabase(t);
    const pg2 = await pgDatabase(t);
    const dir = tempDir('safety-wide');

    wideTable(path.join(dir, 'w1000.db'), 'wide1000', 1000, 40);
    const copy = await ferry(dir, 'copy', 'w1000.db', pg.url);
    assert.equal(copy.status, 0, said(copy));
    assert.match(copy.stdout, /wide1000: SQLite=40, PostgreSQL=40 ✓/);
    assert.equal(
      await withPg(pg.url, async (c) =>
        Number(
          (await c.query<{ n: bigint }>(`SELECT count(*)::int8 AS n FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'wide1000'`))
            .rows[0]!.n,
        ),
      ),
      1000,
    );
    assert.match(copy.stdout, /All 1 table\(s\) verified successfully/);

    // 1999 columns (SQLite's limit is 2000) through a consolidation.
    fs.mkdirSync(path.join(dir, 'src'));
    wideTable(path.join(dir, 'src', 'w1999.db'), 'wide1999', 1999, 15);
    fs.writeFileSync(
      path.join(dir, 'ferry.config.json'),
      JSON.stringify({ consolidate: { sourceDir: 'src', targetDir: 'out', sources: { 'w1999.db': { target: 'wide.db' } } } }),
    );
    const run = await ferry(dir, 'consolidate', '--json');
    assert.equal(run.status, 0, said(run));
    assert.equal(doc(run).ok, true);
    assert.equal(doc(run).totalRows, 15);
    const v = await ferry(dir, 'consolidate', '--verify', '--json');
    assert.equal(v.status, 0, said(v));
    const vd = doc(v);
    assert.equal(vd.ok, true, v.stdout);
    assert.deepEqual(
      vd.tables.map((x: { table: string; ok: boolean; targetRows: number }) => [x.table, x.ok, x.targetRows]),
      [['wide1999', true, 15]],
    );
    const target = new Database(path.join(dir, 'out', 'wide.db'), { readonly: true });
    assert.equal((target.prepare('PRAGMA table_info(wide1999)').all() as unknown[]).length, 1999);
    target.close();

    // 1700 columns: more than PostgreSQL's 1600, refused before anything is written.
    wideTable(path.join(dir, 'w1700.db'), 'wide1700', 1700, 3);
    const refused = await ferry(dir, 'copy', 'w1700.db', pg2.url, '--json');
    assert.equal(refused.status, 1, said(refused));
    assert.equal(doc(refused).error.code, 'TOO_MANY_COLUMNS');
    assert.match(doc(refused).error.message, /at most 1600 columns: wide1700 has 1700\. Nothing was written/);
    assert.deepEqual(await allPgTables(pg2.url), [], "no table created, not even ferry's own");
    assert.deepEqual(
      fs.readdirSync(dir).filter((f) => f.startsWith('ferry-rejects')),
      [],
      'no reject file',
    );
  },
);

// ---------------------------------------------------------------------------------------------
// 16. reject file after a resumed copy
// ---------------------------------------------------------------------------------------------

test(
  "16. a resumed copy appends to the recorded reject file, each refused row once, keyed by the table's own TEXT primary key",
  { timeout: 60_000 },
  async (t) => {
    const pg = await pgDatabase(t);
    const dir = tempDir('safety-rejects');
    const bad = [700, 1800, 1801, 2900];
    const code = (i: number) => `item-${String(i).padStart(5, '0')}`;
    const db = new Database(path.join(dir, 'src.db'));
    db.exec('CREATE TABLE items (code TEXT PRIMARY KEY, note TEXT, n INTEGER NOT NULL)');
    const ins = db.prepare('INSERT INTO items VALUES (?, ?, ?)');
    // Rowids 1..3000 and keys 'item-00001'..: a record keyed by rowid would say 700, not 'item-00700'.
    db.transaction(() => {
      for (let i = 1; i <= 3000; i++) ins.run(code(i), bad.includes(i) ? `bad\u0000${i}` : `note ${i}`, i);
    })();
    db.close();
    const rejectFiles = () => fs.readdirSync(dir).filter((f) => /^ferry-rejects-.*\.jsonl$/.test(f));

    // Default --max-rejects 0: stops at the first refused row, exit 3.
    const first = await ferry(dir, 'copy', 'src.db', pg.url, '--batch-size', '1000');
    assert.equal(first.status, 3, said(first));
    assert.equal(rejectFiles().length, 1, `one reject file: ${rejectFiles()}`);
    const file = path.join(dir, rejectFiles()[0]!);
    assert.ok(first.stderr.includes(file), `the error names the reject file: ${said(first)}`);
    const read = () => fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
    assert.deepEqual(
      read().map((l) => JSON.parse(l).key),
      [code(700)],
    );

    // A new default reject file name would carry another second.
    await sleep(1100);
    const resumed = await ferry(dir, 'copy', 'src.db', pg.url, '--batch-size', '1000', '--resume', '--max-rejects', '10');
    assert.equal(resumed.status, 3, said(resumed));
    assert.deepEqual(rejectFiles(), [path.basename(file)], 'the resumed run appends to the recorded file');
    assert.ok(resumed.stdout.includes(`4 refused row(s) are listed in ${file}`), said(resumed));
    assert.match(resumed.stdout, /items: SQLite=2996 \(\+4 rejected\), PostgreSQL=2996 ✓/);

    const lines = read();
    assert.equal(new Set(lines).size, lines.length, `no duplicate lines:\n${lines.join('\n')}`);
    const records = lines.map((l) => JSON.parse(l) as { table: string; key: unknown; column: string; value: string; reason: string });
    assert.deepEqual(records.map((r) => r.key).sort(), bad.map(code), 'each refused row once, keyed by its TEXT primary key');
    for (const r of records) {
      assert.equal(r.table, 'items');
      assert.equal(r.column, 'note');
      assert.match(r.reason, /NUL/);
      assert.equal(r.value, `bad\u0000${Number(String(r.key).slice(5))}`);
    }
    assert.equal(await pgCount(pg.url, 'items'), 2996);
    assert.ok(!(await allPgTables(pg.url)).includes('_ferry_copy_state'), 'the copy finished');
  },
);
