/**
 * `ferry consolidate` on bad input: every case must fail with the right exit code and ONE clear
 * message (naming the file, table or key, with a hint and no stack trace), and must write nothing:
 * no files in the target folder, no backup set, sources byte-identical. Each test builds its own
 * small legacy estate (generateEstate, 200 rows) in a fresh temporary folder and runs the real CLI
 * as a child process.
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { ConsolidateConfig, FerryConfig } from '../../src/config/types.js';
import { buildPlan } from '../../src/consolidate/build-plan.js';
import { consolidate } from '../../src/consolidate/run-consolidate.js';
import { generateEstate } from '../../src/demo/legacy-estate.js';
import { FerryError } from '../../src/errors.js';

// dist/test/integration -> repo root (never process.cwd(): the runner may start anywhere).
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const FERRY = path.join(ROOT, 'bin', 'ferry.js');

const tempDirs: string[] = [];
after(() => {
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-bad-input-'));
  tempDirs.push(d);
  return d;
}

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

/** A fresh legacy estate (debates.db/continuum.db with rows only in -wal, elo*.db, personas.db). */
function estate(): Fixture {
  const dir = tempDir();
  const e = generateEstate({ dir, rows: 200, walRows: 5 });
  const fx: Fixture = { dir, sourceDir: e.sourceDir, targetDir: '', backupDir: '', configFile: e.configFile, config: e.config };
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

function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
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

function snapshot(fx: Fixture, sourceDir = fx.sourceDir): Snapshot {
  return { sources: sourceState(sourceDir), target: treeState(fx.targetDir), backup: treeState(fx.backupDir) };
}

/** Nothing written: sources byte-identical, target folder as it was, no backup set. */
function assertNothingWritten(fx: Fixture, before: Snapshot, sourceDir = fx.sourceDir): void {
  assert.ok(Object.keys(before.sources).length > 0 || sourceDir !== fx.sourceDir, 'the snapshot saw the source files');
  assert.deepEqual(sourceState(sourceDir), before.sources, `source files in ${sourceDir} must be byte-identical`);
  assert.deepEqual(treeState(fx.targetDir), before.target, `nothing may be written to the target folder ${fx.targetDir}`);
  const backup = treeState(fx.backupDir);
  assert.ok(backup === null || Object.keys(backup).length === 0, `no backup set may be created, found in ${fx.backupDir}: ${JSON.stringify(backup)}`);
}

// ---------------------------------------------------------------------------------------------
// CLI helpers
// ---------------------------------------------------------------------------------------------

function ferry(cwd: string, ...args: string[]): SpawnSyncReturns<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.FERRY_DEBUG;
  const r = spawnSync(process.execPath, [FERRY, ...args], { cwd, encoding: 'utf8', env, timeout: 20_000 });
  if (r.error) throw r.error;
  return r;
}

/** A line like "    at foo (file.js:1:2)" or "    at file.js:1:2". */
const STACK_FRAME = /^\s+at\s.*:\d+:\d+\)?\s*$/m;

function assertNoStack(r: SpawnSyncReturns<string>): void {
  const all = `${r.stdout}\n${r.stderr}`;
  assert.doesNotMatch(all, STACK_FRAME, `no stack trace expected:\n${all}`);
  assert.doesNotMatch(all, /Unexpected error|This is a bug in ferry/, `an expected failure must not be reported as an internal error:\n${all}`);
}

/**
 * The one-clear-message contract: exit code, exactly one `error:` line on stderr that contains
 * every name, a `hint:` line, no stack trace. Returns the error line and the hint line.
 */
function assertCleanError(r: SpawnSyncReturns<string>, exit: number, names: (string | RegExp)[]): { error: string; hint: string | undefined } {
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

function assertHint(r: SpawnSyncReturns<string>): string {
  const hint = r.stderr.split('\n').find((l) => l.startsWith('hint:'));
  assert.ok(hint && hint.length > 'hint: '.length + 5, `a "hint:" line expected on stderr:\n${r.stderr}`);
  return hint;
}

/** Runs the command with --json and checks the `{ ok: false, error: { code, message } }` document. */
function assertJsonError(cwd: string, args: string[], codes: string | string[], exit = 1): { code: string; message: string; subject?: string; hint?: string; data?: Record<string, unknown> } {
  const r = ferry(cwd, ...args, '--json');
  assertNoStack(r);
  let doc: { ok: boolean; error: { code: string; message: string; subject?: string; hint?: string; data?: Record<string, unknown> } };
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

/** `--dry-run` must exit 1 and report an error line naming everything in `names` (plan listing or stderr). */
function assertDryRunReports(cwd: string, names: string[]): SpawnSyncReturns<string> {
  const r = ferry(cwd, 'consolidate', '--dry-run');
  assert.equal(r.status, 1, `--dry-run must exit 1 on this problem\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assertNoStack(r);
  const errorLines = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => /^\s*error:/.test(l));
  assert.ok(
    errorLines.some((l) => names.every((n) => l.includes(n))),
    `--dry-run should list an error naming ${names.join(', ')}; its error lines:\n${errorLines.join('\n') || '(none)'}\nstdout:\n${r.stdout}`,
  );
  return r;
}

/** 1-based line of the first occurrence of `needle`. */
function lineOf(text: string, needle: string): number {
  const at = text.indexOf(needle);
  assert.notEqual(at, -1, `${needle} not found`);
  return text.slice(0, at).split('\n').length;
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
// Tests
// ---------------------------------------------------------------------------------------------

describe('ferry consolidate refuses bad input and writes nothing', () => {
  test('missing source folder', () => {
    const fx = estate();
    editConfig(fx, (c) => {
      c.sourceDir = 'no-such-folder';
    });
    const missing = path.join(fx.dir, 'no-such-folder');
    const before = snapshot(fx, fx.sourceDir);

    const r = ferry(fx.dir, 'consolidate');
    const dry = ferry(fx.dir, 'consolidate', '--dry-run');
    assert.equal(r.status, 1);
    assert.equal(fs.existsSync(missing), false, 'the missing source folder is not created');
    assertNothingWritten(fx, before);
    // The config's targetDir/backupDir live under .nomic and must not appear under the missing folder either.
    assert.equal(fs.existsSync(path.join(fx.dir, '.nomic', 'consolidated')), false);

    const { hint } = assertCleanError(r, 1, [missing]);
    assert.ok(hint?.includes('sourceDir'), `the hint should point at consolidate.sourceDir: ${hint}`);
    assert.equal(assertJsonError(fx.dir, ['consolidate'], 'SOURCE_DIR_MISSING').subject, missing);
    assertCleanError(dry, 1, [missing]);
  });

  test('missing mapped source file', () => {
    const fx = estate();
    fs.rmSync(path.join(fx.sourceDir, 'elo.db'));
    const before = snapshot(fx);

    const r = ferry(fx.dir, 'consolidate');
    assertNothingWritten(fx, before);
    const { hint } = assertCleanError(r, 1, ['elo.db', fx.sourceDir]);
    assert.ok(hint, 'a hint line is printed');
    assert.equal(assertJsonError(fx.dir, ['consolidate'], 'SOURCE_MISSING').subject, path.join(fx.sourceDir, 'elo.db'));
    const dry = assertDryRunReports(fx.dir, ['elo.db']);
    assert.match(dry.stdout, /elo\.db\s+missing/, 'the plan marks the file missing');
    assertNothingWritten(fx, before);
  });

  test('a mapped "source" that is not SQLite', () => {
    const fx = estate();
    const file = path.join(fx.sourceDir, 'elo.db');
    fs.rmSync(file);
    fs.writeFileSync(file, 'agent,season,rating\nagent-1,2024,1500\n'.repeat(300));
    const before = snapshot(fx);

    const r = ferry(fx.dir, 'consolidate');
    assertNothingWritten(fx, before);
    assertCleanError(r, 1, [file, /not a SQLite database/]);
    assertHint(r);
    assertJsonError(fx.dir, ['consolidate'], 'NOT_SQLITE');
    assertDryRunReports(fx.dir, [file]);
    assertNothingWritten(fx, before);
    assert.equal(fs.readFileSync(file, 'utf8').slice(0, 5), 'agent', 'the text file is left as it was');
  });

  test('a corrupt SQLite file (header intact, middle pages garbage)', () => {
    const fx = estate();
    const file = path.join(fx.sourceDir, 'elo.db');
    corruptMiddlePages(file);
    const before = snapshot(fx);

    const r = ferry(fx.dir, 'consolidate');
    const dry = ferry(fx.dir, 'consolidate', '--dry-run');
    // Whatever stage notices it (planning or the backup's integrity check): exit 1, nothing written.
    assert.equal(r.status, 1, `exit 1 expected\nstderr: ${r.stderr}`);
    assertNothingWritten(fx, before);
    assert.equal(dry.status, 1);

    // ...and the message names the file and says it is corrupt (not "Unexpected error ... bug in ferry").
    assertCleanError(r, 1, [file]);
    assertHint(r);
    assertJsonError(fx.dir, ['consolidate'], ['CORRUPT', 'BACKUP_INVALID']);
    assertDryRunReports(fx.dir, [file]);
    assertNothingWritten(fx, before);
  });

  test('a locked database (another process holds an exclusive lock)', () => {
    const fx = estate();
    const file = path.join(fx.sourceDir, 'personas.db');
    const holder = new Database(file);
    let r: SpawnSyncReturns<string>;
    let json: ReturnType<typeof assertJsonError>;
    let dry: SpawnSyncReturns<string>;
    let before: Snapshot;
    try {
      assert.equal(String(holder.pragma('journal_mode', { simple: true })).toLowerCase(), 'delete', 'personas.db uses a rollback journal');
      before = snapshot(fx);
      holder.exec('BEGIN EXCLUSIVE');
      const started = Date.now();
      r = ferry(fx.dir, 'consolidate', '--lock-timeout', '200');
      assert.ok(Date.now() - started < 10_000, 'ferry gives up after the lock timeout instead of waiting for the default');
      json = assertJsonError(fx.dir, ['consolidate', '--lock-timeout', '200'], 'LOCKED');
      dry = ferry(fx.dir, 'consolidate', '--dry-run', '--lock-timeout', '200');
    } finally {
      if (holder.inTransaction) holder.exec('ROLLBACK');
      holder.close();
    }
    assertNothingWritten(fx, before);
    assertCleanError(r, 1, [file, /locked/i]);
    assert.ok(assertHint(r).includes('--lock-timeout'));
    assert.equal(json.subject, file);
    assert.equal(dry.status, 1);
    assert.ok(dry.stdout.split('\n').some((l) => /^\s*error:/.test(l) && l.includes(file) && /locked/i.test(l)), `--dry-run lists the lock:\n${dry.stdout}`);
    // Once the lock is gone, the same config plans cleanly (the failure was the lock, nothing else).
    assert.equal(ferry(fx.dir, 'consolidate', '--dry-run').status, 0);
  });

  test('config syntax error in JSON names the file and line', () => {
    const fx = estate();
    const text = fs.readFileSync(fx.configFile, 'utf8');
    const bad = text.replace('"backupDir": ".nomic/backup",', '"backupDir": ".nomic/backup",,');
    assert.notEqual(bad, text);
    fs.writeFileSync(fx.configFile, bad);
    const line = lineOf(bad, ',,');
    const before = snapshot(fx);

    const r = ferry(fx.dir, 'consolidate');
    assertNothingWritten(fx, before);
    assertCleanError(r, 1, [new RegExp(`ferry\\.config\\.json:${line}:\\d+`)]);
    assertHint(r);
    const err = assertJsonError(fx.dir, ['consolidate'], 'CONFIG_SYNTAX');
    assert.equal((err.data as { line?: number }).line, line);
    assertCleanError(ferry(fx.dir, 'consolidate', '--dry-run'), 1, [new RegExp(`ferry\\.config\\.json:${line}:`)]);
  });

  test('config syntax error in YAML names the file and line', () => {
    const fx = estate();
    fs.rmSync(fx.configFile);
    const yamlFile = path.join(fx.dir, 'ferry.config.yaml');
    const yaml = ['consolidate:', '  sourceDir: .nomic', '  targetDir: .nomic/consolidated: oops', '  backupDir: .nomic/backup', '  sources:', '    elo.db:', '      target: analytics.db', ''].join('\n');
    fs.writeFileSync(yamlFile, yaml);
    const before = snapshot(fx);

    const r = ferry(fx.dir, 'consolidate');
    assertNothingWritten(fx, before);
    assertCleanError(r, 1, [/ferry\.config\.yaml:3:\d+/]);
    assertHint(r);
    const err = assertJsonError(fx.dir, ['consolidate'], 'CONFIG_SYNTAX');
    assert.equal((err.data as { line?: number }).line, 3);
    assertCleanError(ferry(fx.dir, 'consolidate', '--dry-run'), 1, [/ferry\.config\.yaml:3:/]);
  });

  test('unknown config key gets a "did you mean" suggestion', () => {
    const fx = estate();
    const text = fs.readFileSync(fx.configFile, 'utf8');
    const bad = text.replace('"columns": [', '"colums": [');
    assert.notEqual(bad, text);
    fs.writeFileSync(fx.configFile, bad);
    const line = lineOf(bad, '"colums"');
    const before = snapshot(fx);

    const r = ferry(fx.dir, 'consolidate');
    assertNothingWritten(fx, before);
    const { hint } = assertCleanError(r, 1, ['colums', 'did you mean "columns"', new RegExp(`ferry\\.config\\.json:${line}:`)]);
    assert.ok(hint?.includes('columns'), `hint lists the allowed keys: ${hint}`);
    const err = assertJsonError(fx.dir, ['consolidate'], 'CONFIG_INVALID');
    assert.match(err.subject ?? '', /colums$/);
    assertCleanError(ferry(fx.dir, 'consolidate', '--dry-run'), 1, ['colums']);
  });

  test('a mapped table that does not exist', () => {
    const fx = estate();
    editConfig(fx, (c) => {
      c.sources['continuum.db']!.tables!.memoriez = {};
    });
    const before = snapshot(fx);

    const r = ferry(fx.dir, 'consolidate');
    assertNothingWritten(fx, before);
    const { hint } = assertCleanError(r, 1, ['"memoriez"', 'continuum.db']);
    assert.ok(hint?.includes('memories'), `the hint lists the tables that do exist: ${hint}`);
    assert.equal(assertJsonError(fx.dir, ['consolidate'], 'TABLE_MISSING').subject, 'continuum.db:memoriez');
    assertDryRunReports(fx.dir, ['memoriez', 'continuum.db']);
    assertNothingWritten(fx, before);
  });

  test('a mapped column that does not exist', () => {
    const fx = estate();
    editConfig(fx, (c) => {
      c.sources['continuum.db']!.tables!.memories!.columns!.push('importanse');
    });
    const before = snapshot(fx);

    const r = ferry(fx.dir, 'consolidate');
    assertNothingWritten(fx, before);
    const { hint } = assertCleanError(r, 1, ['"importanse"', 'continuum.db:memories']);
    assert.ok(hint?.includes('importance'), `the hint lists the real columns: ${hint}`);
    assertJsonError(fx.dir, ['consolidate'], 'COLUMN_MISSING');
    assertDryRunReports(fx.dir, ['importanse']);
    assertNothingWritten(fx, before);
  });

  test('two sources mapped to one target table with incompatible columns', () => {
    const fx = estate();
    editConfig(fx, (c) => {
      // elo_archive.db:ratings (agent, season, rating, games) into memory.db:tier_transitions (id, memory_id, ...).
      c.sources['elo_archive.db'] = { target: 'memory.db', tables: { ratings: { as: 'tier_transitions' } } };
    });
    const before = snapshot(fx);

    const r = ferry(fx.dir, 'consolidate');
    assertNothingWritten(fx, before);
    assertCleanError(r, 1, ['memory.db:tier_transitions', 'elo_archive.db:ratings', 'continuum.db:tier_transitions']);
    assertHint(r);
    assert.equal(assertJsonError(fx.dir, ['consolidate'], 'INCOMPATIBLE_COLUMNS').subject, 'memory.db:tier_transitions');
    assertDryRunReports(fx.dir, ['memory.db:tier_transitions']);
    assertNothingWritten(fx, before);
  });

  test('a target file that already exists is refused; --force replaces it and backs the old one up', () => {
    const fx = estate();
    fs.mkdirSync(fx.targetDir, { recursive: true });
    const core = path.join(fx.targetDir, 'core.db');
    const old = new Database(core);
    old.exec(`CREATE TABLE old_stuff (x INTEGER); INSERT INTO old_stuff VALUES (42);`);
    old.close();
    const oldSha = sha256(core);
    const before = snapshot(fx);
    assert.deepEqual(Object.keys(before.target ?? {}), ['core.db']);

    const r = ferry(fx.dir, 'consolidate');
    assertNothingWritten(fx, before);
    const { hint } = assertCleanError(r, 1, [core]);
    assert.ok(hint?.includes('--force'), `the hint mentions --force: ${hint}`);
    assertJsonError(fx.dir, ['consolidate'], 'TARGET_EXISTS');
    assertNothingWritten(fx, before);

    const forced = ferry(fx.dir, 'consolidate', '--force');
    // 3 = finished, with rows skipped on purpose (the estate's elo_archive.db overlaps elo.db, onConflict "skip").
    assert.ok(forced.status === 0 || forced.status === 3, `--force should succeed, exit ${forced.status}\n${forced.stderr}`);
    assertNoStack(forced);
    const sets = fs.readdirSync(fx.backupDir).filter((n) => /^\d{8}_\d{6}(_\d+)?$/.test(n));
    const manifests = sets.map((s) => ({ set: s, m: JSON.parse(fs.readFileSync(path.join(fx.backupDir, s, 'manifest.json'), 'utf8')) as { reason: string; files: { name: string; source: string; sha256: string }[] } }));
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

    const plan = await buildPlan({ config, baseDir: fx.dir, inspect: true, freeBytes: () => 1000 });
    const diskProblem = plan.problems.find((p) => p.code === 'DISK_FULL');
    assert.ok(diskProblem && diskProblem.severity === 'error', `the plan (dry-run) lists DISK_FULL: ${JSON.stringify(plan.problems)}`);
    assert.ok(diskProblem.message.includes(fx.targetDir));

    await assert.rejects(
      consolidate({ config, baseDir: fx.dir, freeBytes: () => 1000 }),
      (e: unknown) => {
        assert.ok(e instanceof FerryError, `a FerryError expected, got ${String(e)}`);
        assert.equal(e.code, 'DISK_FULL');
        assert.ok(e.message.includes(fx.targetDir), e.message);
        assert.match(e.message, /1000 bytes free/);
        assert.ok(e.hint && e.hint.length > 0, 'DISK_FULL carries a hint');
        return true;
      },
    );
    assertNothingWritten(fx, before);
  });

  test('unwritable target folder (targetDir under a regular file)', () => {
    const fx = estate();
    const afile = path.join(fx.dir, 'afile');
    fs.writeFileSync(afile, 'not a folder\n');
    editConfig(fx, (c) => {
      c.targetDir = 'afile/consolidated';
    });
    const before = snapshot(fx);

    const r = ferry(fx.dir, 'consolidate');
    assertNothingWritten(fx, before);
    assert.equal(fs.readFileSync(afile, 'utf8'), 'not a folder\n');
    assertCleanError(r, 1, [path.join(fx.dir, 'afile', 'consolidated')]);
    assertHint(r);
    assertJsonError(fx.dir, ['consolidate'], 'UNWRITABLE');
    assertNothingWritten(fx, before);
  });

  test('--dry-run together with --verify is a usage error (exit 2)', () => {
    const fx = estate();
    const before = snapshot(fx);
    const r = ferry(fx.dir, 'consolidate', '--dry-run', '--verify');
    assertNothingWritten(fx, before);
    assertCleanError(r, 2, ['--dry-run', '--verify']);
    assertJsonError(fx.dir, ['consolidate', '--dry-run', '--verify'], 'USAGE', 2);
  });

  test('--json on failing commands prints { ok: false, error: { code, message } } on stdout only', () => {
    const fx = estate();
    fs.rmSync(path.join(fx.sourceDir, 'personas.db'));
    const before = snapshot(fx);
    const cases: [string[], string, number][] = [
      [['consolidate'], 'SOURCE_MISSING', 1],
      [['consolidate', '--lock-timeout', 'soon'], 'USAGE', 2],
      [['consolidate', '--config', 'nope.json'], 'CONFIG_NOT_FOUND', 1],
    ];
    for (const [args, code, exit] of cases) {
      const r = ferry(fx.dir, ...args, '--json');
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

describe('ferry consolidate --dry-run warns about what the run would refuse', () => {
  // The run refuses these before writing anything; the dry-run is where a user looks first.
  test('--dry-run reports a target file that already exists', () => {
    const fx = estate();
    fs.mkdirSync(fx.targetDir, { recursive: true });
    const core = path.join(fx.targetDir, 'core.db');
    const old = new Database(core);
    old.exec('CREATE TABLE old_stuff (x)');
    old.close();
    const before = snapshot(fx);
    const r = ferry(fx.dir, 'consolidate', '--dry-run');
    assertNoStack(r);
    assertNothingWritten(fx, before);
    assert.ok(
      r.stdout.split('\n').some((l) => /^\s*(error|warning):/.test(l) && l.includes(core)),
      `the dry-run should say that ${core} exists (and that the run needs --force), but printed:\n${r.stdout}`,
    );
  });

  test('--dry-run reports an unwritable target folder', () => {
    const fx = estate();
    fs.writeFileSync(path.join(fx.dir, 'afile'), 'not a folder\n');
    editConfig(fx, (c) => {
      c.targetDir = 'afile/consolidated';
    });
    const before = snapshot(fx);
    const r = ferry(fx.dir, 'consolidate', '--dry-run');
    assertNothingWritten(fx, before);
    assertNoStack(r);
    assert.equal(r.status, 1, `the dry-run should fail: the run cannot write to afile/consolidated\n${r.stdout}`);
    assert.ok(r.stdout.split('\n').some((l) => /^\s*error:/.test(l) && l.includes('afile')), r.stdout);
  });

  test('a usage error (--dry-run --verify) also prints a hint line', () => {
    const fx = estate();
    const r = ferry(fx.dir, 'consolidate', '--dry-run', '--verify');
    assert.equal(r.status, 2);
    assertHint(r);
  });
});
