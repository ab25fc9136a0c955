/**
 * `ferry consolidate` on bad input: every case must fail with the right exit code and ONE clear
 * message (naming the file, table or key, with a hint and no stack trace), and must write nothing:
 * no files in the target folder, no backup set, sources byte-identical. Each test gets its own
 * copy of a small legacy estate (generateEstate, 200 rows, rows only in -wal files) in a fresh
 * temporary folder and runs the real CLI (bin/ferry.js) as a child process.
 */
import { before, test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ferry, sha256, type CliResult } from '../support/cli.js';
import { tempDir } from '../support/sqlite-fixtures.js';
import Database from 'better-sqlite3';
import type { ConsolidateConfig, FerryConfig } from '../../src/config/types.js';
import { buildPlan } from '../../src/consolidate/build-plan.js';
import { consolidate } from '../../src/consolidate/run-consolidate.js';
import { generateEstate } from '../../src/demo/legacy-estate.js';
import { FerryError } from '../../src/errors.js';

// ---------------------------------------------------------------------------------------------
// Fixture helpers
// ---------------------------------------------------------------------------------------------

interface Fixture {
  /** The estate folder: holds ferry.config.json and is the CLI's working folder. */
  dir: string;
  sourceDir: string;
  targetDir: string;
  backupDir: string;
  configFile: string;
  config: FerryConfig;
}

let template = '';

/**
 * A fresh legacy estate (debates.db/continuum.db in WAL mode with their newest rows only in the
 * -wal file, elo*.db, personas.db with a rollback journal, ferry.config.json). One estate is
 * generated per test file and copied (with its -wal files, without the -shm index) into a new
 * temporary folder for each test.
 */
before(async () => {
  template = tempDir('bad-input');
  await generateEstate({ dir: template, rows: 200, walRows: 5 });
  assert.ok(fs.statSync(path.join(template, '.nomic', 'debates.db-wal')).size > 0, 'the estate has rows only in a -wal file');
});

function estate(): Fixture {
  const dir = tempDir('bad-input');
  fs.cpSync(template, dir, { recursive: true, filter: (src) => !src.endsWith('-shm') });
  const configFile = path.join(dir, 'ferry.config.json');
  const fx: Fixture = {
    dir,
    sourceDir: path.join(dir, '.nomic'),
    targetDir: '',
    backupDir: '',
    configFile,
    config: JSON.parse(fs.readFileSync(configFile, 'utf8')) as FerryConfig,
  };
  resolveDirs(fx);
  return fx;
}

function resolveDirs(fx: Fixture): void {
  const c = fx.config.consolidate!;
  fx.targetDir = path.resolve(fx.dir, c.targetDir);
  fx.backupDir = path.resolve(fx.dir, c.backupDir ?? path.join(c.sourceDir, 'backup'));
}

/** Rewrites ferry.config.json with a changed consolidate section. */
function editConfig(fx: Fixture, change: (c: ConsolidateConfig) => void): void {
  const config = structuredClone(fx.config);
  change(config.consolidate!);
  fx.config = config;
  fs.writeFileSync(fx.configFile, JSON.stringify(config, null, 2) + '\n');
  resolveDirs(fx);
}

/**
 * SHA-256 of every file directly in a source folder. `-shm` files are SQLite's shared-memory
 * index (rewritten by any reader) and are left out; an empty `-wal` is the same database state as
 * no `-wal` (SQLite creates one when it merely opens a WAL database read-only), so it is left out
 * too. A `-wal` with content, a `-journal` or any other new file counts.
 */
function sourceState(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!fs.existsSync(dir)) return out;
  for (const name of fs.readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    const st = fs.statSync(p);
    if (!st.isFile()) continue;
    if (name.endsWith('-shm')) continue;
    if (name.endsWith('-wal') && st.size === 0) continue;
    out[name] = sha256(p);
  }
  return out;
}

/** Every file and folder under `dir` (relative path -> sha256, or 'dir'); null when `dir` is absent. */
function treeState(dir: string): Record<string, string> | null {
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    return null;
  }
  if (!st.isDirectory()) return { '.': `not a folder: ${sha256(dir)}` };
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const rel = path.relative(dir, p);
      if (e.isDirectory()) {
        out[rel] = 'dir';
        walk(p);
      } else out[rel] = sha256(p);
    }
  };
  walk(dir);
  return out;
}

interface Snapshot {
  sources: Record<string, string>;
  target: Record<string, string> | null;
  backup: Record<string, string> | null;
}

function snapshot(fx: Fixture): Snapshot {
  return { sources: sourceState(fx.sourceDir), target: treeState(fx.targetDir), backup: treeState(fx.backupDir) };
}

function filesOf(tree: Record<string, string> | null): Record<string, string> {
  return Object.fromEntries(Object.entries(tree ?? {}).filter(([, v]) => v !== 'dir'));
}

/** Nothing written: sources byte-identical, no new or changed file in the target folder, no backup set. */
function assertNothingWritten(fx: Fixture, before: Snapshot): void {
  assert.ok(Object.keys(before.sources).length >= 5, 'the snapshot saw the source files');
  assert.deepEqual(sourceState(fx.sourceDir), before.sources, `source files in ${fx.sourceDir} must be byte-identical`);
  // An empty folder ferry made while checking it can write there is not a written file.
  assert.deepEqual(filesOf(treeState(fx.targetDir)), filesOf(before.target), `nothing may be written to the target folder ${fx.targetDir}`);
  const backup = treeState(fx.backupDir);
  assert.ok(backup === null || Object.keys(backup).length === 0, `no backup set may be created, found in ${fx.backupDir}: ${JSON.stringify(backup)}`);
}

// ---------------------------------------------------------------------------------------------
// CLI helpers
// ---------------------------------------------------------------------------------------------

/** A line like "    at foo (file.js:1:2)" or "    at file.js:1:2". */
const STACK_FRAME = /^\s+at\s.*:\d+:\d+\)?\s*$/m;

function assertNoStack(r: CliResult): void {
  const all = `${r.stdout}\n${r.stderr}`;
  assert.doesNotMatch(all, STACK_FRAME, `no stack trace expected:\n${all}`);
  assert.doesNotMatch(all, /Unexpected error|This is a bug in ferry/, `an expected failure must not be reported as an internal error:\n${all}`);
}

/**
 * The one-clear-message contract: exit code, exactly one `error:` line on stderr that contains
 * every name, a `hint:` line, no stack trace. Returns the error line and the hint line.
 */
function assertCleanError(r: CliResult, exit: number, names: (string | RegExp)[]): { error: string; hint: string | undefined } {
  assert.equal(r.status, exit, `exit code ${exit} expected, got ${r.status}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assertNoStack(r);
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  const errors = lines.filter((l) => l.startsWith('error:'));
  assert.equal(errors.length, 1, `exactly one "error:" line on stderr expected:\n${r.stderr}`);
  const error = errors[0]!;
  for (const n of names) {
    if (typeof n === 'string') assert.ok(error.includes(n), `the error should name ${JSON.stringify(n)}: ${error}`);
    else assert.match(error, n);
  }
  const hint = lines.find((l) => l.startsWith('hint:'));
  return { error, hint };
}

function assertHint(r: CliResult): string {
  const hint = r.stderr.split('\n').find((l) => l.startsWith('hint:'));
  assert.ok(hint && hint.length > 'hint: '.length + 5, `a "hint:" line expected on stderr:\n${r.stderr}`);
  return hint;
}

interface JsonError {
  code: string;
  message: string;
  subject?: string;
  hint?: string;
  data?: Record<string, unknown>;
}

/** Checks a `--json` run's `{ ok: false, error: { code, message } }` document and returns the error. */
function assertJsonError(r: CliResult, codes: string | string[], exit = 1): JsonError {
  assertNoStack(r);
  let doc: { ok: boolean; error: JsonError };
  try {
    doc = JSON.parse(r.stdout);
  } catch {
    assert.fail(`--json must print one JSON document on stdout, got:\n${r.stdout}\nstderr: ${r.stderr}`);
  }
  assert.equal(doc.ok, false);
  assert.equal(typeof doc.error?.message, 'string');
  const wanted = Array.isArray(codes) ? codes : [codes];
  assert.ok(wanted.includes(doc.error.code), `error code ${wanted.join(' or ')} expected, got ${doc.error.code}: ${doc.error.message}`);
  assert.equal(r.status, exit);
  return doc.error;
}

/** A `--dry-run` result must be exit 1 with an error line naming everything in `names` (in the plan listing or on stderr). */
function assertDryRunReports(r: CliResult, names: string[]): void {
  assert.equal(r.status, 1, `--dry-run must exit 1 on this problem\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assertNoStack(r);
  const errorLines = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => /^\s*error:/.test(l));
  assert.ok(
    errorLines.some((l) => names.every((n) => l.includes(n))),
    `--dry-run should list an error naming ${names.join(', ')}; its error lines:\n${errorLines.join('\n') || '(none)'}\nstdout:\n${r.stdout}`,
  );
}

/** The three runs each case checks: the run, the same with --json, and --dry-run. */
async function runAll(cwd: string, ...extra: string[]): Promise<{ run: CliResult; json: CliResult; dry: CliResult }> {
  const run = await ferry(cwd, 'consolidate', ...extra);
  const json = await ferry(cwd, 'consolidate', ...extra, '--json');
  const dry = await ferry(cwd, 'consolidate', '--dry-run', ...extra);
  return { run, json, dry };
}

/** 1-based line of the first occurrence of `needle`. */
function lineOf(text: string, needle: string): number {
  const at = text.indexOf(needle);
  assert.notEqual(at, -1, `${needle} not found`);
  return text.slice(0, at).split('\n').length;
}

/** Overwrites one page (1-based number) of a SQLite file, keeping its first 8 bytes, with deterministic garbage. */
function corruptPage(file: string, page: number): void {
  const buf = fs.readFileSync(file);
  const pageSize = buf.readUInt16BE(16) === 1 ? 65536 : buf.readUInt16BE(16);
  assert.ok(page > 1 && page * pageSize <= buf.length, `page ${page} is inside ${file}`);
  for (let i = (page - 1) * pageSize + 8; i < page * pageSize; i++) buf[i] = (i * 37 + 11) & 0xff;
  fs.writeFileSync(file, buf);
}

/** Overwrites every page but the first (schema + header) and the last with deterministic garbage. */
function corruptMiddlePages(file: string): void {
  const buf = fs.readFileSync(file);
  const pageSize = buf.readUInt16BE(16) === 1 ? 65536 : buf.readUInt16BE(16);
  const pages = buf.length / pageSize;
  assert.ok(pages >= 4, `${file} should have a few pages to corrupt (has ${pages})`);
  const header = Buffer.from(buf.subarray(0, 100));
  let x = 0x2545f491;
  for (let i = pageSize; i < (pages - 1) * pageSize; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    buf[i] = x & 0xff;
  }
  fs.writeFileSync(file, buf);
  assert.deepEqual(fs.readFileSync(file).subarray(0, 100), header, 'the SQLite header stays intact');
}

// ---------------------------------------------------------------------------------------------
// Tests (independent of each other, each in its own estate, run side by side)
// ---------------------------------------------------------------------------------------------

describe('ferry consolidate refuses bad input and writes nothing', { concurrency: 4 }, () => {
  test('missing source folder', async () => {
    const fx = estate();
    editConfig(fx, (c) => {
      c.sourceDir = 'no-such-folder';
    });
    const missing = path.join(fx.dir, 'no-such-folder');
    const before = snapshot(fx);

    const { run, json, dry } = await runAll(fx.dir);
    assert.equal(run.status, 1);
    assert.equal(fs.existsSync(missing), false, 'the missing source folder is not created');
    assertNothingWritten(fx, before);

    const { hint } = assertCleanError(run, 1, [missing]);
    assert.ok(hint?.includes('sourceDir'), `the hint should point at consolidate.sourceDir: ${hint}`);
    assert.equal(assertJsonError(json, 'SOURCE_DIR_MISSING').subject, missing);
    assertCleanError(dry, 1, [missing]);
  });

  test('missing mapped source file', async () => {
    const fx = estate();
    fs.rmSync(path.join(fx.sourceDir, 'elo.db'));
    const before = snapshot(fx);

    const { run, json, dry } = await runAll(fx.dir);
    assertNothingWritten(fx, before);
    assertCleanError(run, 1, ['elo.db', fx.sourceDir]);
    assertHint(run);
    assert.equal(assertJsonError(json, 'SOURCE_MISSING').subject, path.join(fx.sourceDir, 'elo.db'));
    assertDryRunReports(dry, ['elo.db']);
    assert.match(dry.stdout, /elo\.db\s+missing/, 'the plan marks the file missing');
  });

  test('a mapped "source" that is not SQLite', async () => {
    const fx = estate();
    const file = path.join(fx.sourceDir, 'elo.db');
    fs.rmSync(file);
    fs.writeFileSync(file, 'agent,season,rating\nagent-1,2024,1500\n'.repeat(300));
    const before = snapshot(fx);

    const { run, json, dry } = await runAll(fx.dir);
    assertNothingWritten(fx, before);
    assertCleanError(run, 1, [file, /not a SQLite database/]);
    assertHint(run);
    assertJsonError(json, 'NOT_SQLITE');
    assertDryRunReports(dry, [file]);
    assert.equal(fs.readFileSync(file, 'utf8').slice(0, 5), 'agent', 'the text file is left as it was');
  });

  test('a corrupt SQLite file (header intact, middle pages garbage)', async () => {
    const fx = estate();
    const file = path.join(fx.sourceDir, 'elo.db');
    corruptMiddlePages(file);
    const before = snapshot(fx);

    const { run, json, dry } = await runAll(fx.dir);
    // Whatever stage notices it (planning or the backup's integrity check): exit 1, nothing written.
    assert.equal(run.status, 1, `exit 1 expected\nstderr: ${run.stderr}`);
    assert.equal(dry.status, 1);
    assertNothingWritten(fx, before);

    // ...and one clear message that names the file (not "Unexpected error ... a bug in ferry").
    assertCleanError(run, 1, [file]);
    assertHint(run);
    assertJsonError(json, ['CORRUPT', 'BACKUP_INVALID']);
    assertDryRunReports(dry, [file]);
  });

  test('a corrupt index page (noticed only when the backup reads the whole file)', async () => {
    const fx = estate();
    const file = path.join(fx.sourceDir, 'elo.db');
    const db = new Database(file, { readonly: true });
    const root = db.prepare(`SELECT rootpage FROM sqlite_schema WHERE name = 'idx_ratings_rank'`).pluck().get() as number;
    db.close();
    corruptPage(file, root);
    const before = snapshot(fx);

    const { run, json, dry } = await runAll(fx.dir);
    assert.equal(run.status, 1, `exit 1 expected\nstderr: ${run.stderr}`);
    assertNothingWritten(fx, before);
    assertCleanError(run, 1, [file, /corrupt/i]);
    assertHint(run);
    assertJsonError(json, ['CORRUPT', 'BACKUP_INVALID']);
    assertDryRunReports(dry, [file]);
  });

  test('a locked database (another process holds an exclusive lock)', async () => {
    const fx = estate();
    const file = path.join(fx.sourceDir, 'personas.db');
    const holder = new Database(file);
    let results: { run: CliResult; json: CliResult; dry: CliResult };
    let before: Snapshot;
    let elapsed: number;
    try {
      assert.equal(String(holder.pragma('journal_mode', { simple: true })).toLowerCase(), 'delete', 'personas.db uses a rollback journal');
      before = snapshot(fx);
      holder.exec('BEGIN EXCLUSIVE');
      const started = Date.now();
      const run = await ferry(fx.dir, 'consolidate', '--lock-timeout', '200');
      elapsed = Date.now() - started;
      const json = await ferry(fx.dir, 'consolidate', '--lock-timeout', '200', '--json');
      const dry = await ferry(fx.dir, 'consolidate', '--dry-run', '--lock-timeout', '200');
      results = { run, json, dry };
    } finally {
      if (holder.inTransaction) holder.exec('ROLLBACK');
      holder.close();
    }
    const { run, json, dry } = results;
    assertNothingWritten(fx, before);
    assert.ok(elapsed < 4_500, `with --lock-timeout 200 the run must not wait for the 5 s default (took ${elapsed} ms)`);
    assertCleanError(run, 1, [file, /locked/i]);
    assert.ok(assertHint(run).includes('--lock-timeout'));
    assert.equal(assertJsonError(json, 'LOCKED').subject, file);
    assertDryRunReports(dry, [file, 'locked']);
    // With the lock gone the same config plans cleanly: the lock was the only problem.
    assert.equal((await ferry(fx.dir, 'consolidate', '--dry-run')).status, 0);
  });

  test('config syntax error in JSON names the file and line', async () => {
    const fx = estate();
    const text = fs.readFileSync(fx.configFile, 'utf8');
    const bad = text.replace('"backupDir": ".nomic/backup",', '"backupDir": ".nomic/backup",,');
    assert.notEqual(bad, text);
    fs.writeFileSync(fx.configFile, bad);
    const line = lineOf(bad, ',,');
    const before = snapshot(fx);

    const { run, json, dry } = await runAll(fx.dir);
    assertNothingWritten(fx, before);
    assertCleanError(run, 1, [new RegExp(`ferry\\.config\\.json:${line}:\\d+`)]);
    assertHint(run);
    assert.equal((assertJsonError(json, 'CONFIG_SYNTAX').data as { line?: number }).line, line);
    assertCleanError(dry, 1, [new RegExp(`ferry\\.config\\.json:${line}:`)]);
  });

  test('config syntax error in YAML names the file and line', async () => {
    const fx = estate();
    fs.rmSync(fx.configFile);
    const yaml = [
      'consolidate:',
      '  sourceDir: .nomic',
      '  targetDir: .nomic/consolidated: oops',
      '  backupDir: .nomic/backup',
      '  sources:',
      '    elo.db:',
      '      target: analytics.db',
      '',
    ].join('\n');
    fs.writeFileSync(path.join(fx.dir, 'ferry.config.yaml'), yaml);
    const before = snapshot(fx);

    const { run, json, dry } = await runAll(fx.dir);
    assertNothingWritten(fx, before);
    assertCleanError(run, 1, [/ferry\.config\.yaml:3:\d+/]);
    assertHint(run);
    assert.equal((assertJsonError(json, 'CONFIG_SYNTAX').data as { line?: number }).line, 3);
    assertCleanError(dry, 1, [/ferry\.config\.yaml:3:/]);
  });

  test('unknown config key gets a "did you mean" suggestion', async () => {
    const fx = estate();
    const text = fs.readFileSync(fx.configFile, 'utf8');
    const bad = text.replace('"columns": [', '"colums": [');
    assert.notEqual(bad, text);
    fs.writeFileSync(fx.configFile, bad);
    const line = lineOf(bad, '"colums"');
    const before = snapshot(fx);

    const { run, json, dry } = await runAll(fx.dir);
    assertNothingWritten(fx, before);
    const { hint } = assertCleanError(run, 1, ['colums', 'did you mean "columns"', new RegExp(`ferry\\.config\\.json:${line}:`)]);
    assert.ok(hint?.includes('columns'), `the hint lists the allowed keys: ${hint}`);
    assert.match(assertJsonError(json, 'CONFIG_INVALID').subject ?? '', /colums$/);
    assertCleanError(dry, 1, ['colums']);
  });

  test('a mapped table that does not exist', async () => {
    const fx = estate();
    editConfig(fx, (c) => {
      c.sources['continuum.db']!.tables!.memoriez = {};
    });
    const before = snapshot(fx);

    const { run, json, dry } = await runAll(fx.dir);
    assertNothingWritten(fx, before);
    const { hint } = assertCleanError(run, 1, ['"memoriez"', 'continuum.db']);
    assert.ok(hint?.includes('memories'), `the hint lists the tables that do exist: ${hint}`);
    assert.equal(assertJsonError(json, 'TABLE_MISSING').subject, 'continuum.db:memoriez');
    assertDryRunReports(dry, ['memoriez', 'continuum.db']);
  });

  test('a mapped column that does not exist', async () => {
    const fx = estate();
    editConfig(fx, (c) => {
      c.sources['continuum.db']!.tables!.memories!.columns!.push('importanse');
    });
    const before = snapshot(fx);

    const { run, json, dry } = await runAll(fx.dir);
    assertNothingWritten(fx, before);
    const { hint } = assertCleanError(run, 1, ['"importanse"', 'continuum.db:memories']);
    assert.ok(hint?.includes('importance'), `the hint lists the real columns: ${hint}`);
    assertJsonError(json, 'COLUMN_MISSING');
    assertDryRunReports(dry, ['importanse']);
  });

  test('two sources mapped to one target table with incompatible columns', async () => {
    const fx = estate();
    editConfig(fx, (c) => {
      // elo_archive.db:ratings (agent, season, rating, games) into memory.db:tier_transitions (id, memory_id, ...).
      c.sources['elo_archive.db'] = { target: 'memory.db', tables: { ratings: { as: 'tier_transitions' } } };
    });
    const before = snapshot(fx);

    const { run, json, dry } = await runAll(fx.dir);
    assertNothingWritten(fx, before);
    assertCleanError(run, 1, ['memory.db:tier_transitions', 'elo_archive.db:ratings', 'continuum.db:tier_transitions']);
    assertHint(run);
    assert.equal(assertJsonError(json, 'INCOMPATIBLE_COLUMNS').subject, 'memory.db:tier_transitions');
    assertDryRunReports(dry, ['memory.db:tier_transitions']);
  });

  test('a target file that already exists is refused; --force replaces it and backs the old one up', async () => {
    const fx = estate();
    fs.mkdirSync(fx.targetDir, { recursive: true });
    const core = path.join(fx.targetDir, 'core.db');
    const old = new Database(core);
    old.exec(`CREATE TABLE old_stuff (x INTEGER); INSERT INTO old_stuff VALUES (42);`);
    old.close();
    const oldSha = sha256(core);
    const before = snapshot(fx);
    assert.deepEqual(Object.keys(before.target ?? {}), ['core.db']);

    const run = await ferry(fx.dir, 'consolidate');
    const json = await ferry(fx.dir, 'consolidate', '--json');
    assertNothingWritten(fx, before);
    const { hint } = assertCleanError(run, 1, [core]);
    assert.ok(hint?.includes('--force'), `the hint mentions --force: ${hint}`);
    assertJsonError(json, 'TARGET_EXISTS');

    const forced = await ferry(fx.dir, 'consolidate', '--force');
    // 3 = finished, with rows skipped on purpose (the estate's elo_archive.db overlaps elo.db, onConflict "skip").
    assert.ok(forced.status === 0 || forced.status === 3, `--force should succeed, exit ${forced.status}\n${forced.stderr}`);
    assertNoStack(forced);
    const sets = fs.readdirSync(fx.backupDir).filter((n) => /^\d{8}_\d{6}(_\d+)?$/.test(n));
    const manifests = sets.map((s) => ({
      set: s,
      m: JSON.parse(fs.readFileSync(path.join(fx.backupDir, s, 'manifest.json'), 'utf8')) as {
        reason: string;
        files: { name: string; source: string; sha256: string }[];
      },
    }));
    const replaced = manifests.filter((x) => x.m.reason === 'replaced-targets');
    assert.equal(replaced.length, 1, `one "replaced-targets" set expected: ${JSON.stringify(manifests.map((x) => x.m.reason))}`);
    assert.equal(manifests.filter((x) => x.m.reason === 'consolidate').length, 1, 'and the usual consolidation backup');
    const entry = replaced[0]!.m.files.find((f) => f.name === 'core.db');
    assert.ok(entry, 'the old core.db is in the set');
    assert.equal(entry.source, core);
    const copyPath = path.join(fx.backupDir, replaced[0]!.set, 'core.db');
    assert.equal(sha256(copyPath), entry.sha256);
    const copy = new Database(copyPath, { readonly: true });
    assert.equal(copy.prepare('SELECT x FROM old_stuff').pluck().get(), 42, 'the backup holds the old target content');
    copy.close();
    assert.notEqual(sha256(core), oldSha);
    const now = new Database(core, { readonly: true });
    const tables = now.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`).pluck().all();
    now.close();
    assert.ok(tables.includes('debates') && !tables.includes('old_stuff'), `core.db is the consolidated file now: ${tables.join(', ')}`);
  });

  test('too little free disk (library API): DISK_FULL, nothing written', async () => {
    const fx = estate();
    const before = snapshot(fx);
    const config = fx.config.consolidate!;

    // The plan (what --dry-run prints) lists it...
    const plan = await buildPlan({ config, baseDir: fx.dir, inspect: true, freeBytes: () => 1000 });
    const diskProblem = plan.problems.find((p) => p.code === 'DISK_FULL');
    assert.ok(diskProblem && diskProblem.severity === 'error', `the plan lists DISK_FULL: ${JSON.stringify(plan.problems)}`);
    assert.ok(diskProblem.message.includes(fx.targetDir));

    // ...and the run refuses before backing anything up.
    await assert.rejects(consolidate({ config, baseDir: fx.dir, freeBytes: () => 1000 }), (e: unknown) => {
      assert.ok(e instanceof FerryError, `a FerryError expected, got ${String(e)}`);
      assert.equal(e.code, 'DISK_FULL');
      assert.ok(e.message.includes(fx.targetDir), e.message);
      assert.match(e.message, /1000 bytes free/);
      assert.ok(e.hint && e.hint.length > 0, 'DISK_FULL carries a hint');
      return true;
    });
    assertNothingWritten(fx, before);
  });

  test('unwritable target folder (targetDir under a regular file)', async () => {
    const fx = estate();
    const afile = path.join(fx.dir, 'afile');
    fs.writeFileSync(afile, 'not a folder\n');
    editConfig(fx, (c) => {
      c.targetDir = 'afile/consolidated';
    });
    const before = snapshot(fx);

    const run = await ferry(fx.dir, 'consolidate');
    const json = await ferry(fx.dir, 'consolidate', '--json');
    assertNothingWritten(fx, before);
    assert.equal(fs.readFileSync(afile, 'utf8'), 'not a folder\n');
    assertCleanError(run, 1, [path.join(fx.dir, 'afile', 'consolidated')]);
    assertHint(run);
    assertJsonError(json, 'UNWRITABLE');
  });

  test('--dry-run together with --verify is a usage error (exit 2)', async () => {
    const fx = estate();
    const before = snapshot(fx);
    const run = await ferry(fx.dir, 'consolidate', '--dry-run', '--verify');
    const json = await ferry(fx.dir, 'consolidate', '--dry-run', '--verify', '--json');
    assertNothingWritten(fx, before);
    assertCleanError(run, 2, ['--dry-run', '--verify']);
    assertJsonError(json, 'USAGE', 2);
  });

  test('--json on failing commands prints { ok: false, error: { code, message } } on stdout only', async () => {
    const fx = estate();
    fs.rmSync(path.join(fx.sourceDir, 'personas.db'));
    const before = snapshot(fx);
    const cases: [string[], string, number][] = [
      [['consolidate'], 'SOURCE_MISSING', 1],
      [['consolidate', '--lock-timeout', 'soon'], 'USAGE', 2],
      [['consolidate', '--config', 'nope.json'], 'CONFIG_NOT_FOUND', 1],
      [['consolidate', '--dry-run', '--verify'], 'USAGE', 2],
    ];
    for (const [args, code, exit] of cases) {
      const r = await ferry(fx.dir, ...args, '--json');
      assert.equal(r.status, exit, `${args.join(' ')}: exit ${exit}`);
      const doc = JSON.parse(r.stdout) as { ok: boolean; error: { code: string; message: string; hint?: string } };
      assert.equal(doc.ok, false);
      assert.equal(doc.error.code, code, `${args.join(' ')}: ${doc.error.message}`);
      assert.ok(doc.error.message.length > 10);
      assert.equal(r.stderr.trim(), '', `${args.join(' ')}: with --json nothing else is printed (stderr: ${r.stderr})`);
    }
    assertNothingWritten(fx, before);
  });
});

describe('ferry consolidate --dry-run and usage errors say what the run would refuse', { concurrency: 3 }, () => {
  // The run refuses these before writing anything, but the dry-run prints "No problems ✓" and
  // exits 0: the dry-run is where a user looks first.
  test('--dry-run reports a target file that already exists', async () => {
    const fx = estate();
    fs.mkdirSync(fx.targetDir, { recursive: true });
    const core = path.join(fx.targetDir, 'core.db');
    const old = new Database(core);
    old.exec('CREATE TABLE old_stuff (x)');
    old.close();
    const before = snapshot(fx);
    const r = await ferry(fx.dir, 'consolidate', '--dry-run');
    assertNoStack(r);
    assertNothingWritten(fx, before);
    assert.ok(
      r.stdout.split('\n').some((l) => /^\s*(error|warning):/.test(l) && l.includes(core)),
      `the dry-run should say that ${core} exists (the run needs --force), but printed:\n${r.stdout}`,
    );
  });

  test('--dry-run reports an unwritable target folder', async () => {
    const fx = estate();
    fs.writeFileSync(path.join(fx.dir, 'afile'), 'not a folder\n');
    editConfig(fx, (c) => {
      c.targetDir = 'afile/consolidated';
    });
    const before = snapshot(fx);
    const r = await ferry(fx.dir, 'consolidate', '--dry-run');
    assertNothingWritten(fx, before);
    assertNoStack(r);
    assert.equal(r.status, 1, `the dry-run should fail: the run cannot write to afile/consolidated\n${r.stdout}`);
    assert.ok(
      r.stdout.split('\n').some((l) => /^\s*error:/.test(l) && l.includes('afile')),
      r.stdout,
    );
  });

  test('a usage error (--dry-run --verify) prints a hint line too', async () => {
    const fx = estate();
    const r = await ferry(fx.dir, 'consolidate', '--dry-run', '--verify');
    assert.equal(r.status, 2);
    assertHint(r);
  });
});
