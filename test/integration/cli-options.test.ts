/**
 * Issue 10, "One set of options and messages across commands", through the real CLI:
 *
 * 12. --lock-timeout <ms> on every command that opens a database, one default (10000, in --help),
 *     a bad value refused in one line naming the option, and hints that name only options that
 *     exist (every hint printed by any run in this file is checked against the --help of the
 *     command it tells the user to run);
 * 13. --dry-run for copy (both directions), restore, upgrade and downgrade: it says what would
 *     happen and changes nothing; --sql stays;
 * 14. --quiet / --verbose (-q / -v) on every command, --quiet winning over --verbose;
 * 15. a broken ferry.config.json in the working folder is set aside, with one warning, by the
 *     commands that do not need it; consolidate and -c still fail on it; FERRY_CONFIG is named;
 * 16. messages: a read-only backup folder, a disk that fills during a copy into SQLite (on a real
 *     tmpfs), downgrade --sql over a revision without a down, a consolidation that skipped rows,
 *     a failing upgrade's backup reused, and upgrade refusing a mistyped SQLite path.
 *
 * Real SQLite files and a real PostgreSQL; the tmpfs cases mount and unmount (root, in a sandbox).
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { FERRY, ROOT, ferry, sha256, type CliResult } from '../support/cli.js';
import { withPg } from '../support/copy-fixtures.js';
import { freshPostgresDatabase } from '../support/postgres.js';
import { sqlRevision } from '../support/revision-fixtures.js';
import { emptySqliteFile, tempDir } from '../support/sqlite-fixtures.js';

// ------------------------------------------------------------------------------------------------
// Running ferry, and keeping every hint it prints for the check at the end.
// ------------------------------------------------------------------------------------------------

/** Every hint any run printed, with the command that printed it. */
const hints: { command: string; args: string[]; hint: string }[] = [];

function collectHints(args: string[], r: CliResult): void {
  const command = args[0]!;
  for (const m of r.stderr.matchAll(/^hint: (.*)$/gm)) hints.push({ command, args, hint: m[1]! });
  const start = r.stdout.indexOf('{');
  if (start >= 0) {
    try {
      const j = JSON.parse(r.stdout.slice(start)) as { error?: { hint?: string } };
      if (j.error?.hint) hints.push({ command, args, hint: j.error.hint });
    } catch {
      // Not one JSON document (text output): nothing to collect.
    }
  }
}

async function run(cwd: string, ...args: string[]): Promise<CliResult> {
  const r = await ferry(cwd, ...args);
  collectHints(args, r);
  return r;
}

/** Like run, with extra environment variables (FERRY_CONFIG), set for the child only. */
function runEnv(env: Record<string, string>, cwd: string, ...args: string[]): Promise<CliResult> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...env };
  delete childEnv.FERRY_DEBUG;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FERRY, ...args], { cwd, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      const r = { status, stdout, stderr };
      collectHints(args, r);
      resolve(r);
    });
  });
}

function show(r: CliResult): string {
  return `exit ${r.status}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
}

function ok(r: CliResult, what: string): CliResult {
  assert.equal(r.status, 0, `${what}: ${show(r)}`);
  return r;
}

function json(r: CliResult): Record<string, unknown> {
  const start = r.stdout.indexOf('{');
  assert.ok(start >= 0, `no JSON on stdout: ${show(r)}`);
  return JSON.parse(r.stdout.slice(start)) as Record<string, unknown>;
}

/** --help text with its wrapping undone, so "(default\n 10000)" still reads as one phrase. */
function flat(text: string): string {
  return text.replace(/\s+/g, ' ');
}

// ------------------------------------------------------------------------------------------------
// Fixtures.
// ------------------------------------------------------------------------------------------------

/** A small app database: two tables (a primary key, a unique), a few rows and a view (a copy warning). */
function appDb(file: string): string {
  const db = new Database(file);
  db.exec(`
    CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL, created DATETIME);
    CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT UNIQUE);
    CREATE VIEW user_names AS SELECT name FROM users;
    INSERT INTO users VALUES (1, 'ada', 1.5, '2024-01-01 10:00:00'), (2, 'bob', NULL, NULL), (3, 'cy', -2.25, '2024-02-29 23:59:59');
    INSERT INTO tags VALUES (1, 'x'), (2, 'y');
  `);
  db.close();
  return file;
}

function sqliteTableNames(file: string): string[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).pluck().all() as string[];
  } finally {
    db.close();
  }
}

/** Every relation of any user schema of a PostgreSQL database (ferry's own state tables too). */
async function pgRelations(url: string): Promise<string[]> {
  return withPg(url, async (c) => {
    const r = await c.query<{ n: string }>(
      `SELECT n.nspname || '.' || c.relname AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') ORDER BY 1`,
    );
    return r.rows.map((x) => x.n);
  });
}

const A = 'a10000000001';
const B = 'b10000000002';
const C = 'c10000000003';

/** a1 -> b1 -> c1, every one with a down. */
function threeRevisions(mig: string): void {
  fs.mkdirSync(mig, { recursive: true });
  sqlRevision(mig, A, [], 'create users', 'CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);', 'DROP TABLE users;');
  sqlRevision(mig, B, [A], 'create posts', 'CREATE TABLE posts (id INTEGER PRIMARY KEY, title TEXT);', 'DROP TABLE posts;');
  sqlRevision(mig, C, [B], 'create tags', 'CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT);', 'DROP TABLE tags;');
}

/** A consolidation of two sources into one target, the second's colliding keys skipped. */
function consolidationFolder(label: string): string {
  const dir = tempDir(label);
  fs.mkdirSync(path.join(dir, 'src'));
  for (const [file, ids] of [
    ['one.db', [1, 2, 3]],
    ['two.db', [3, 4]],
  ] as const) {
    const db = new Database(path.join(dir, 'src', file));
    db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL)');
    for (const id of ids) db.prepare('INSERT INTO users VALUES (?, ?)').run(id, `${file}:${id}`);
    db.close();
  }
  fs.writeFileSync(
    path.join(dir, 'ferry.config.json'),
    JSON.stringify(
      { consolidate: { sourceDir: 'src', targetDir: 'out', sources: { 'one.db': { target: 'all.db' }, 'two.db': { target: 'all.db', onConflict: 'skip' } } } },
      null,
      2,
    ),
  );
  return dir;
}

/**
 * Holds an EXCLUSIVE lock on a SQLite file from another process (`node -e`, BEGIN EXCLUSIVE) until
 * release(): readers and writers of that file get SQLITE_BUSY meanwhile.
 */
async function holdExclusiveLock(file: string): Promise<{ release(): Promise<void> }> {
  const script = [
    "const Database = require('better-sqlite3');",
    'const db = new Database(process.argv[1]);',
    "db.exec('BEGIN EXCLUSIVE');",
    "process.stdout.write('locked\\n');",
    "process.stdin.on('data', () => undefined);",
    "process.stdin.on('end', () => { db.exec('ROLLBACK'); db.close(); process.exit(0); });",
    'setTimeout(() => process.exit(0), 60000);',
  ].join('\n');
  // cwd ROOT: `node -e` resolves better-sqlite3 from there.
  const child = spawn(process.execPath, ['-e', script, file], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      if (out.includes('locked')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`the lock holder exited (${code}) before locking: ${err}`)));
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    async release() {
      child.stdin.end();
      await exited;
    },
  };
}

function mountTmpfs(dir: string, options: string): void {
  fs.mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]);
}

function unmount(dir: string): void {
  try {
    execFileSync('umount', [dir]);
  } catch {
    execFileSync('umount', ['-l', dir]);
  }
}

/** "135.2 KB" -> bytes (formatBytes' units, powers of 1024). */
function parseBytes(text: string): number {
  const m = /^([\d.]+) (B|KB|MB|GB|TB)$/.exec(text.trim());
  assert.ok(m, `not a byte count: ${text}`);
  return Number(m[1]) * 1024 ** ['B', 'KB', 'MB', 'GB', 'TB'].indexOf(m[2]!);
}

/** The commands that open a database, as the issue lists them. */
const DATABASE_COMMANDS = ['consolidate', 'copy', 'verify', 'backup', 'backups', 'restore', 'upgrade', 'downgrade', 'current', 'stamp', 'check'];

// ------------------------------------------------------------------------------------------------
// The cases. They run side by side (each in its own folders and databases); the hint check runs
// last, over every hint the others saw.
// ------------------------------------------------------------------------------------------------

test('issue 10: one set of options and messages across commands', { timeout: 150_000, concurrency: 4 }, async (t) => {
  const helps = new Map<string, string>();
  await t.test('--help of every command: the common options, one --lock-timeout default', () => helpOfEveryCommand(helps));
  await Promise.all([
    t.test('12: --lock-timeout is accepted by every command that opens a database', (tt) => lockTimeoutAccepted(tt)),
    t.test('12: a bad --lock-timeout is refused in one line naming it, on every command', () => lockTimeoutRefused()),
    t.test('12: a locked SQLite file fails within --lock-timeout, with a hint naming it', () => lockedSqlite()),
    t.test('12: a held revision lock fails within --lock-timeout, with a hint naming it', () => heldRunLock()),
    t.test('13: copy --dry-run into PostgreSQL and into a new SQLite file writes nothing', (tt) => copyDryRun(tt)),
    t.test('13: restore --dry-run names the path and changes nothing', () => restoreDryRun()),
    t.test('13: upgrade/downgrade --dry-run list revisions in order and run nothing; --sql stays', () => revisionDryRun()),
    t.test('14: --quiet, --verbose, -q, -v on copy (quiet wins)', (tt) => copyQuietVerbose(tt)),
    t.test('14: --quiet, --verbose on backup and upgrade', () => otherQuietVerbose()),
    t.test('15: a broken ferry.config.json in the folder: commands that do not need it warn once and work', (tt) => brokenConfig(tt)),
    t.test('16a: a read-only backup folder says it is read-only, not ENOENT', () => readOnlyBackupFolder()),
    t.test('16b: a disk that fills during a copy into SQLite: DISK_FULL, a --resume hint the resume agrees with', (tt) => diskFillsDuringCopy(tt)),
    t.test('16c: downgrade --sql over a revision without a down prints the SQL, exits non-zero, names the file', () => downgradeSqlWithoutDown()),
    t.test('16d: a consolidation that skipped rows exits 3 and does not say "Migration completed!"', () => consolidateSkipped()),
    t.test('16e: a failing upgrade run three times leaves one backup set', () => failingUpgradeBackups()),
    t.test('16f: upgrade --url typo.db refuses a path that does not exist; --create makes it', () => upgradeTypo()),
  ]);
  await t.test('12: every hint printed above names only options that exist', () => hintsNameRealOptions(helps));
});

// -- --help ---------------------------------------------------------------------------------------

async function helpOfEveryCommand(helps: Map<string, string>): Promise<void> {
  const dir = tempDir('opts-help');
  const top = ok(await run(dir, '--help'), 'ferry --help');
  const commands = [...top.stdout.split(/^Commands:$/m)[1]!.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
  for (const c of DATABASE_COMMANDS) assert.ok(commands.includes(c), `ferry --help lists ${c}: ${commands.join(', ')}`);
  const results = await Promise.all(commands.map((c) => run(dir, c, '--help')));
  commands.forEach((c, i) => helps.set(c, ok(results[i]!, `ferry ${c} --help`).stdout));
  for (const c of commands) {
    const help = flat(helps.get(c)!);
    // The common options, on every command (and so in every command's help).
    for (const opt of ['-c, --config <path>', '--lock-timeout <ms>', '--json', '-q, --quiet', '-v, --verbose']) {
      assert.ok(help.includes(opt), `ferry ${c} --help lists ${opt}:\n${helps.get(c)}`);
    }
    // One default, the same everywhere, shown.
    assert.match(help, /--lock-timeout <ms> [^-]*\(default 10000\)/, `ferry ${c} --help shows the --lock-timeout default 10000:\n${helps.get(c)}`);
  }
  for (const c of ['copy', 'restore', 'upgrade', 'downgrade']) assert.ok(flat(helps.get(c)!).includes('--dry-run'), `ferry ${c} --help lists --dry-run`);
  for (const c of ['upgrade', 'downgrade']) assert.ok(flat(helps.get(c)!).includes('--sql'), `ferry ${c} --help still lists --sql`);
  assert.ok(flat(helps.get('upgrade')!).includes('--create'), 'ferry upgrade --help lists --create');
}

/** The long options a command's --help lists. */
function optionsOf(help: string): Set<string> {
  return new Set([...help.matchAll(/^ {2}(?:-\w, )?(--[a-z][a-z0-9-]*)/gm)].map((m) => m[1]!));
}

async function hintsNameRealOptions(helps: Map<string, string>): Promise<void> {
  assert.ok(helps.size > 0, 'the --help case ran first');
  const options = new Map([...helps].map(([c, h]) => [c, optionsOf(h)]));
  assert.ok(
    hints.some((h) => h.hint.includes('--lock-timeout')),
    `some hint above named --lock-timeout: ${JSON.stringify(hints, null, 1)}`,
  );
  const wrong: string[] = [];
  for (const { command, args, hint } of hints) {
    // Options before any "ferry <command>" in the hint are the printing command's; after one,
    // that command's ("how long ferry waits" names no command).
    let owner = command;
    let from = 0;
    const segments: { owner: string; text: string }[] = [];
    for (const m of hint.matchAll(/\bferry ([a-z][a-z-]*)\b/g)) {
      if (!options.has(m[1]!)) continue;
      segments.push({ owner, text: hint.slice(from, m.index) });
      owner = m[1]!;
      from = m.index! + m[0].length;
    }
    segments.push({ owner, text: hint.slice(from) });
    for (const seg of segments) {
      const known = options.get(seg.owner)!;
      for (const m of seg.text.matchAll(/(?<![\w-])(--[a-z][a-z0-9-]*)/g)) {
        if (!known.has(m[1]!)) wrong.push(`${m[1]} is not an option of ferry ${seg.owner} (hint of ferry ${args.join(' ')}: ${hint})`);
      }
    }
  }
  assert.deepEqual(wrong, [], `${hints.length} hint(s) checked`);
}

// -- 12: --lock-timeout ---------------------------------------------------------------------------

async function lockTimeoutAccepted(t: TestContext): Promise<void> {
  const dir = tempDir('opts-lt');
  const pgdb = await freshPostgresDatabase(t);
  assert.ok(pgdb, 'PostgreSQL is available');
  const a = appDb(path.join(dir, 'a.db'));
  fs.copyFileSync(a, path.join(dir, 'b.db'));
  threeRevisions(path.join(dir, 'migrations'));
  const rev = emptySqliteFile(path.join(dir, 'rev.db'));
  const cons = consolidationFolder('opts-lt-cons');
  const lt = ['--lock-timeout', '5000'];

  const first = await Promise.all([
    run(cons, 'consolidate', '--dry-run', ...lt),
    run(dir, 'copy', 'a.db', pgdb.url, ...lt),
    run(dir, 'verify', 'a.db', 'b.db', ...lt),
    run(dir, 'backup', 'a.db', '--dir', 'bk', ...lt),
    run(dir, 'upgrade', '--url', rev, '--no-backup', ...lt),
  ]);
  ['consolidate', 'copy', 'verify', 'backup', 'upgrade'].forEach((c, i) => ok(first[i]!, `${c} ${lt.join(' ')}`));
  const second = await Promise.all([
    run(dir, 'backups', '--dir', 'bk', ...lt),
    run(dir, 'restore', '--dir', 'bk', '--dry-run', ...lt),
    run(dir, 'current', '--url', rev, ...lt),
    run(dir, 'check', '--url', rev, ...lt),
  ]);
  ['backups', 'restore', 'current', 'check'].forEach((c, i) => ok(second[i]!, `${c} ${lt.join(' ')}`));
  assert.match(second[2]!.stdout, new RegExp(C));
  ok(await run(dir, 'downgrade', 'base', '--url', rev, '--no-backup', ...lt), 'downgrade --lock-timeout');
  ok(await run(dir, 'stamp', 'heads', '--url', rev, ...lt), 'stamp --lock-timeout');
  ok(await run(dir, 'restore', '--dir', 'bk', ...lt), 'restore (for real) --lock-timeout');
}

async function lockTimeoutRefused(): Promise<void> {
  const dir = tempDir('opts-ltbad');
  appDb(path.join(dir, 'a.db'));
  fs.copyFileSync(path.join(dir, 'a.db'), path.join(dir, 'b.db'));
  fs.mkdirSync(path.join(dir, 'migrations'));
  const argsOf: Record<string, string[]> = {
    consolidate: ['consolidate'],
    copy: ['copy', 'a.db', 'c.db'],
    verify: ['verify', 'a.db', 'b.db'],
    backup: ['backup', 'a.db', '--dir', 'bk'],
    backups: ['backups', '--dir', 'bk'],
    restore: ['restore', '--dir', 'bk'],
    upgrade: ['upgrade', '--url', 'a.db'],
    downgrade: ['downgrade', '-1', '--url', 'a.db'],
    current: ['current', '--url', 'a.db'],
    stamp: ['stamp', 'base', '--url', 'a.db'],
    check: ['check', '--url', 'a.db'],
  };
  const before = sha256(path.join(dir, 'a.db'));
  const results = await Promise.all(DATABASE_COMMANDS.map((c) => run(dir, ...argsOf[c]!, '--lock-timeout', 'abc')));
  DATABASE_COMMANDS.forEach((c, i) => {
    const r = results[i]!;
    assert.ok(r.status === 2 || r.status === 1, `ferry ${c} --lock-timeout abc exits 2 (or 1): ${show(r)}`);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('error:'));
    assert.equal(errors.length, 1, `ferry ${c}: one error line: ${show(r)}`);
    assert.match(errors[0]!, /--lock-timeout/, `ferry ${c}: the error names --lock-timeout`);
    assert.match(errors[0]!, /abc/, `ferry ${c}: the error quotes the value`);
    assert.doesNotMatch(r.stderr, /^\s+at /m, `ferry ${c}: no stack trace`);
  });
  assert.equal(sha256(path.join(dir, 'a.db')), before, 'nothing was written');
  assert.equal(fs.existsSync(path.join(dir, 'c.db')), false, 'copy wrote nothing');
  assert.equal(fs.existsSync(path.join(dir, 'bk')), false, 'backup wrote nothing');
  // --json: the same, as one document.
  const j = await run(dir, 'verify', 'a.db', 'b.db', '--lock-timeout', '-5', '--json');
  assert.equal(j.status, 2, show(j));
  const err = json(j).error as { code: string; message: string };
  assert.equal(err.code, 'USAGE');
  assert.match(err.message, /--lock-timeout/);
}

async function lockedSqlite(): Promise<void> {
  const dir = tempDir('opts-locked');
  const a = appDb(path.join(dir, 'a.db'));
  fs.copyFileSync(a, path.join(dir, 'b.db'));
  const lock = await holdExclusiveLock(a);
  try {
    const started = Date.now();
    const r = await run(dir, 'verify', 'a.db', 'b.db', '--lock-timeout', '200');
    const ms = Date.now() - started;
    assert.equal(r.status, 1, show(r));
    assert.match(r.stderr, /^error: .*a\.db.*locked/m, show(r));
    assert.match(r.stderr, /^hint: .*--lock-timeout/m, `the LOCKED hint names --lock-timeout: ${show(r)}`);
    // The default would wait 10 s (plus the start-up); 200 ms plus the start-up is far less, even on a busy machine.
    assert.ok(ms < 9000, `--lock-timeout 200 gave up in ${ms} ms`);
    const j = await run(dir, 'verify', 'a.db', 'b.db', '--lock-timeout', '200', '--json');
    assert.equal((json(j).error as { code: string }).code, 'LOCKED', show(j));

    // A longer timeout waits for the lock to go.
    const waiting = run(dir, 'verify', 'a.db', 'b.db', '--lock-timeout', '15000');
    await new Promise((r) => setTimeout(r, 1500));
    await lock.release();
    ok(await waiting, 'verify --lock-timeout 15000 waits for the lock to be released');
  } finally {
    await lock.release();
  }
}

async function heldRunLock(): Promise<void> {
  const dir = tempDir('opts-runlock');
  threeRevisions(path.join(dir, 'migrations'));
  const rev = emptySqliteFile(path.join(dir, 'rev.db'));
  const lock = await holdExclusiveLock(`${rev}.ferry-lock`);
  try {
    const started = Date.now();
    const r = await run(dir, 'upgrade', '--url', rev, '--no-backup', '--lock-timeout', '300');
    const ms = Date.now() - started;
    assert.equal(r.status, 1, show(r));
    assert.match(r.stderr, /^error: .*lock.*300 ms/m, show(r));
    assert.match(r.stderr, /^hint: .*--lock-timeout/m, `the hint names --lock-timeout: ${show(r)}`);
    assert.ok(ms < 9000, `--lock-timeout 300 gave up in ${ms} ms`);
    assert.deepEqual(sqliteTableNames(rev), [], 'nothing ran');
  } finally {
    await lock.release();
  }
}

// -- 13: --dry-run --------------------------------------------------------------------------------

async function copyDryRun(t: TestContext): Promise<void> {
  const dir = tempDir('opts-dry');
  appDb(path.join(dir, 'a.db'));
  const db = await freshPostgresDatabase(t);
  assert.ok(db, 'PostgreSQL is available');

  const text = await run(dir, 'copy', 'a.db', db.url, '--dry-run');
  ok(text, 'copy --dry-run');
  const out = text.stdout;
  // Each table, each column's source type -> target type, the keys.
  assert.match(out, /^\s+users\b/m, out);
  assert.match(out, /^\s+tags\b/m, out);
  assert.match(out, /^\s+id\s+INTEGER\s+→ integer/m, out);
  assert.match(out, /^\s+name\s+TEXT\s+→ text NOT NULL/m, out);
  assert.match(out, /^\s+score\s+REAL\s+→ double precision/m, out);
  assert.match(out, /^\s+created\s+DATETIME\s+→ timestamp/m, out);
  assert.match(out, /^\s+label\s+TEXT\s+→ text/m, out);
  assert.match(out, /primary key \(id\)/, out);
  assert.match(out, /1 unique/, out);
  // The warnings (the view) and the pre-flight.
  assert.match(out, /warning: .*user_names/, out);
  assert.match(out, /^Pre-flight:/m, out);
  assert.match(out, /connected as .* to PostgreSQL \d+/, out);
  assert.match(out, /may create tables/, out);
  assert.deepEqual(await pgRelations(db.url), [], 'copy --dry-run wrote nothing into PostgreSQL');

  const j = await run(dir, 'copy', 'a.db', db.url, '--dry-run', '--json');
  ok(j, 'copy --dry-run --json');
  const doc = json(j) as {
    ok: boolean;
    dryRun: boolean;
    plan: { tables: { source: string; columns: { source: string; sourceType: string; targetType: string }[] }[] };
    checks: string[];
  };
  assert.equal(doc.ok, true);
  assert.equal(doc.dryRun, true);
  assert.deepEqual(doc.plan.tables.map((x) => x.source).sort(), ['tags', 'users']);
  const users = doc.plan.tables.find((x) => x.source === 'users')!;
  assert.deepEqual(
    users.columns.map((c) => `${c.source}:${c.sourceType}->${c.targetType}`),
    ['id:INTEGER->integer', 'name:TEXT->text', 'score:REAL->double precision', 'created:DATETIME->timestamp'],
  );
  assert.ok(Array.isArray(doc.checks) && doc.checks.length >= 2, JSON.stringify(doc.checks));
  assert.deepEqual(await pgRelations(db.url), [], 'copy --dry-run --json wrote nothing into PostgreSQL');

  // The other way: PostgreSQL into a SQLite file that does not exist yet; it is not created.
  await withPg(db.url, (c) =>
    c.query(`CREATE TABLE items (id integer PRIMARY KEY, title text NOT NULL, price numeric(10,2)); INSERT INTO items VALUES (1, 'a', 1.50), (2, 'b', NULL)`),
  );
  const back = await run(dir, 'copy', db.url, 'new.db', '--dry-run');
  ok(back, 'copy <pg> new.db --dry-run');
  assert.match(back.stdout, /^\s+items\b/m, back.stdout);
  assert.match(back.stdout, /^\s+title\s+text\s+→ TEXT NOT NULL/m, back.stdout);
  assert.match(back.stdout, /^Pre-flight:/m, back.stdout);
  assert.match(back.stdout, /new\.db does not exist yet and would be created/, back.stdout);
  assert.deepEqual(
    fs.readdirSync(dir).filter((f) => f.startsWith('new.db')),
    [],
    'the SQLite target was not created',
  );
  assert.deepEqual(await pgRelations(db.url).then((r) => r.filter((n) => !n.startsWith('public.items'))), [], 'the source got nothing either');
}

async function restoreDryRun(): Promise<void> {
  const dir = tempDir('opts-restore');
  const a = appDb(path.join(dir, 'a.db'));
  ok(await run(dir, 'backup', 'a.db', '--dir', 'bk'), 'backup');
  const w = new Database(a);
  w.exec(`INSERT INTO tags VALUES (3, 'added after the backup')`);
  w.close();
  const before = sha256(a);
  const sets = fs.readdirSync(path.join(dir, 'bk')).sort();

  const r = ok(await run(dir, 'restore', '--dir', 'bk', '--dry-run'), 'restore --dry-run');
  assert.ok(r.stdout.includes(a), `restore --dry-run names ${a}: ${r.stdout}`);
  const j = json(ok(await run(dir, 'restore', '--dir', 'bk', '--dry-run', '--json'), 'restore --dry-run --json'));
  assert.equal(j.dryRun, true);
  assert.ok(JSON.stringify(j).includes(a), JSON.stringify(j));
  assert.equal(sha256(a), before, 'restore --dry-run changed nothing');
  assert.deepEqual(fs.readdirSync(path.join(dir, 'bk')).sort(), sets, 'and made no backup set');
}

async function revisionDryRun(): Promise<void> {
  const dir = tempDir('opts-revdry');
  threeRevisions(path.join(dir, 'migrations'));
  const app = path.join(dir, 'app.db');
  const db = new Database(app);
  db.exec(`CREATE TABLE existing (id INTEGER PRIMARY KEY); INSERT INTO existing VALUES (1)`);
  db.close();
  const before = sha256(app);

  const r = ok(await run(dir, 'upgrade', '--url', app, '--dry-run'), 'upgrade --dry-run');
  const listed = [...r.stdout.matchAll(/\b([abc]10000000\d{3})\b/g)].map((m) => m[1]);
  assert.deepEqual(listed, [A, B, C], `the pending revisions, in order: ${r.stdout}`);
  assert.match(r.stdout, /create users/);
  const j = json(ok(await run(dir, 'upgrade', '--url', app, '--dry-run', '--json'), 'upgrade --dry-run --json')) as { planned: { id: string }[] };
  assert.deepEqual(
    j.planned.map((p) => p.id),
    [A, B, C],
  );
  // --sql stays: the SQL, nothing run.
  const sql = ok(await run(dir, 'upgrade', '--url', app, '--sql'), 'upgrade --sql');
  assert.match(sql.stdout, /CREATE TABLE users/);
  assert.match(sql.stdout, /CREATE TABLE tags/);
  const both = await run(dir, 'upgrade', '--url', app, '--sql', '--dry-run');
  assert.equal(both.status, 2, `--sql with --dry-run is a usage error: ${show(both)}`);

  assert.deepEqual(sqliteTableNames(app), ['existing'], 'no ferry_version, nothing applied');
  assert.equal(sha256(app), before, 'the database file is unchanged');
  assert.equal(fs.existsSync(path.join(dir, 'backup')), false, 'no backup was made');

  ok(await run(dir, 'upgrade', '--url', app, '--no-backup'), 'upgrade');
  const applied = sha256(app);
  const down1 = ok(await run(dir, 'downgrade', '-1', '--url', app, '--dry-run'), 'downgrade -1 --dry-run');
  assert.deepEqual(
    [...down1.stdout.matchAll(/down\s+([abc]10000000\d{3})/g)].map((m) => m[1]),
    [C],
    `downgrade -1 --dry-run lists the head only: ${down1.stdout}`,
  );
  const downAll = ok(await run(dir, 'downgrade', 'base', '--url', app, '--dry-run'), 'downgrade base --dry-run');
  assert.deepEqual(
    [...downAll.stdout.matchAll(/down\s+([abc]10000000\d{3})/g)].map((m) => m[1]),
    [C, B, A],
    downAll.stdout,
  );
  assert.equal(sha256(app), applied, 'downgrade --dry-run changed nothing');
  assert.deepEqual(
    sqliteTableNames(app).filter((n) => !n.startsWith('ferry_')),
    ['existing', 'posts', 'tags', 'users'],
  );
}

// -- 14: --quiet / --verbose ----------------------------------------------------------------------

async function copyQuietVerbose(t: TestContext): Promise<void> {
  const dir = tempDir('opts-quiet');
  appDb(path.join(dir, 'a.db'));
  const dbs = await Promise.all([
    freshPostgresDatabase(t),
    freshPostgresDatabase(t),
    freshPostgresDatabase(t),
    freshPostgresDatabase(t),
    freshPostgresDatabase(t),
  ]);
  const [plain, quiet, verbose, both, short] = dbs.map((d) => d!.url) as [string, string, string, string, string];
  const [rPlain, rQuiet, rVerbose, rBoth, rShort] = await Promise.all([
    run(dir, 'copy', 'a.db', plain),
    run(dir, 'copy', 'a.db', quiet, '--quiet'),
    run(dir, 'copy', 'a.db', verbose, '--verbose'),
    run(dir, 'copy', 'a.db', both, '-q', '-v'),
    run(dir, 'copy', 'a.db', short, '-v'),
  ]);
  for (const [r, what] of [
    [rPlain, 'copy'],
    [rQuiet, 'copy --quiet'],
    [rVerbose, 'copy --verbose'],
    [rBoth, 'copy -q -v'],
    [rShort, 'copy -v'],
  ] as const) {
    ok(r, what);
    assert.match(r.stdout, /verified successfully/, `${what}: the result still prints`);
    assert.match(r.stderr, /^warning: .*user_names/m, `${what}: warnings still print: ${show(r)}`);
  }
  const lines = (s: string) => s.split('\n').filter((l) => l.trim() !== '');
  const columnLine = /users\.name: TEXT → text/;

  assert.match(rPlain.stderr, /loading \d+ table\(s\)/, `the default prints progress: ${show(rPlain)}`);
  assert.doesNotMatch(rPlain.stderr, columnLine, 'the default prints no per-column detail');

  assert.deepEqual(
    lines(rQuiet.stderr).filter((l) => !l.startsWith('warning:')),
    [],
    `--quiet: nothing on stderr but warnings: ${show(rQuiet)}`,
  );
  assert.deepEqual(
    lines(rBoth.stderr).filter((l) => !l.startsWith('warning:')),
    [],
    `-q -v: --quiet wins: ${show(rBoth)}`,
  );

  for (const [r, what] of [
    [rVerbose, '--verbose'],
    [rShort, '-v'],
  ] as const) {
    assert.match(r.stderr, /loading \d+ table\(s\)/, `${what}: progress too`);
    assert.match(r.stderr, columnLine, `${what}: a line per column with its types: ${show(r)}`);
    assert.match(r.stderr, /users\.score: REAL → double precision/);
    assert.match(r.stderr, /tags\.label: TEXT → text/);
  }
}

async function otherQuietVerbose(): Promise<void> {
  const dir = tempDir('opts-quiet2');
  appDb(path.join(dir, 'a.db'));
  threeRevisions(path.join(dir, 'migrations'));
  const files = fs.readdirSync(path.join(dir, 'migrations')).sort();

  const [bPlain, bQuiet] = await Promise.all([run(dir, 'backup', 'a.db', '--dir', 'bk1'), run(dir, 'backup', 'a.db', '--dir', 'bk2', '-q')]);
  assert.match(ok(bPlain, 'backup').stderr, /backed up a\.db/);
  assert.equal(ok(bQuiet, 'backup -q').stderr.trim(), '', `backup -q prints no progress: ${show(bQuiet)}`);
  assert.match(bQuiet.stdout, /Backup .* written/, 'the result still prints');

  const app = emptySqliteFile(path.join(dir, 'app.db'));
  const [dPlain, dVerbose, dShort, dBoth] = await Promise.all([
    run(dir, 'upgrade', '--url', app, '--dry-run'),
    run(dir, 'upgrade', '--url', app, '--dry-run', '--verbose'),
    run(dir, 'upgrade', '--url', app, '--dry-run', '-v'),
    run(dir, 'upgrade', '--url', app, '--dry-run', '--verbose', '--quiet'),
  ]);
  for (const f of files) {
    assert.ok(!ok(dPlain, 'upgrade --dry-run').stdout.includes(f), `without --verbose no file names: ${dPlain.stdout}`);
    assert.ok(ok(dVerbose, 'upgrade --dry-run --verbose').stdout.includes(f), `--verbose names each revision's file (${f}): ${dVerbose.stdout}`);
    assert.ok(ok(dShort, 'upgrade --dry-run -v').stdout.includes(f), `-v names each revision's file (${f}): ${dShort.stdout}`);
    assert.ok(!ok(dBoth, 'upgrade --dry-run --verbose --quiet').stdout.includes(f), `--quiet wins over --verbose: ${dBoth.stdout}`);
  }

  const uQuiet = ok(await run(dir, 'upgrade', '--url', app, '--quiet'), 'upgrade --quiet');
  assert.equal(uQuiet.stderr.trim(), '', `upgrade --quiet prints no progress: ${show(uQuiet)}`);
  assert.match(uQuiet.stdout, /Upgraded 3 revision\(s\)/);
  const dLoud = ok(await run(dir, 'downgrade', 'base', '--url', app), 'downgrade');
  assert.match(dLoud.stderr, /downgraded/, `downgrade prints progress by default: ${show(dLoud)}`);
}

// -- 15: the config file --------------------------------------------------------------------------

async function brokenConfig(t: TestContext): Promise<void> {
  const dir = tempDir('opts-badcfg');
  appDb(path.join(dir, 'a.db'));
  fs.copyFileSync(path.join(dir, 'a.db'), path.join(dir, 'b.db'));
  fs.mkdirSync(path.join(dir, 'migrations'));
  sqlRevision(path.join(dir, 'migrations'), A, [], 'create users', 'CREATE TABLE users (id INTEGER PRIMARY KEY);', 'DROP TABLE users;');
  const broken = '{ "copy": { "from": "a.db", oops }';
  fs.writeFileSync(path.join(dir, 'ferry.config.json'), broken);
  fs.writeFileSync(path.join(dir, 'broken.json'), broken);
  const db = await freshPostgresDatabase(t);
  assert.ok(db);

  const [copy, verify, backup, heads] = await Promise.all([
    run(dir, 'copy', 'a.db', db.url),
    run(dir, 'verify', 'a.db', 'b.db'),
    run(dir, 'backup', 'a.db', '--dir', 'bk'),
    run(dir, 'heads', '--dir', 'migrations'),
  ]);
  // Whether each warned once is checked at the end, so the other checks run regardless.
  const warnedOnce: string[] = [];
  for (const [r, what] of [
    [copy, 'copy a.db <pg>'],
    [verify, 'verify a.db b.db'],
    [backup, 'backup a.db --dir bk'],
    [heads, 'heads --dir migrations'],
  ] as const) {
    ok(r, `${what} with a broken ferry.config.json in the folder`);
    const warnings = r.stderr.split('\n').filter((l) => /^warning:/.test(l) && l.includes('ferry.config.json'));
    if (warnings.length !== 1) warnedOnce.push(`ferry ${what}: ${warnings.length} warning(s) naming ferry.config.json, not one: ${show(r)}`);
  }
  assert.match(heads.stdout, new RegExp(A));

  // consolidate needs the config: it still fails on it.
  const cons = await run(dir, 'consolidate', '--json');
  assert.equal(cons.status, 1, show(cons));
  assert.equal((json(cons).error as { code: string }).code, 'CONFIG_SYNTAX');
  const consText = await run(dir, 'consolidate');
  assert.equal(consText.status, 1, show(consText));
  assert.match(consText.stderr, /^error: .*ferry\.config\.json/m);

  // A config named with -c is needed by definition: still an error.
  const named = await run(dir, 'verify', 'a.db', 'b.db', '-c', 'broken.json', '--json');
  assert.equal(named.status, 1, show(named));
  assert.equal((json(named).error as { code: string }).code, 'CONFIG_SYNTAX');
  const namedHeads = await run(dir, 'heads', '--dir', 'migrations', '-c', 'broken.json');
  assert.equal(namedHeads.status, 1, show(namedHeads));
  assert.match(namedHeads.stderr, /broken\.json/);

  // FERRY_CONFIG pointing nowhere is named as such.
  const clean = tempDir('opts-ferryconfig');
  appDb(path.join(clean, 'a.db'));
  const env = await runEnv({ FERRY_CONFIG: '/nope.json' }, clean, 'copy', 'a.db', db.url);
  assert.equal(env.status, 1, show(env));
  assert.match(env.stderr, /FERRY_CONFIG/, `the message names FERRY_CONFIG: ${show(env)}`);
  assert.match(env.stderr, /\/nope\.json/);
  assert.doesNotMatch(env.stderr, /--config/, `and not --config: ${show(env)}`);

  assert.deepEqual(warnedOnce, [], 'each command that set the broken config aside warned once, naming it');
}

// -- 16: messages ---------------------------------------------------------------------------------

async function readOnlyBackupFolder(): Promise<void> {
  const dir = tempDir('opts-ro');
  appDb(path.join(dir, 'a.db'));
  // As root, chmod does not stop writes: a read-only filesystem does.
  const mnt = path.join(dir, 'ro');
  mountTmpfs(mnt, 'size=1m,ro');
  try {
    // The folder itself on a read-only filesystem.
    const same = await run(dir, 'backup', 'a.db', '--dir', mnt);
    assert.equal(same.status, 1, show(same));
    assert.match(same.stderr, /read-only/, `backup --dir <read-only folder>: ${show(same)}`);
    // A folder to be created inside it (the case).
    const nested = await run(dir, 'backup', 'a.db', '--dir', path.join(mnt, 'sets'));
    assert.equal(nested.status, 1, show(nested));
    assert.match(nested.stderr, /read-only/, `backup --dir <read-only fs>/sets says read-only: ${show(nested)}`);
    assert.doesNotMatch(nested.stderr, /ENOENT|no such file/i, `not ENOENT: ${show(nested)}`);
  } finally {
    unmount(mnt);
  }
}

/**
 * The target folder is a 4 MB tmpfs. The pre-flight estimates the room a SQLite copy needs from
 * the PostgreSQL source's size (pg_total_relation_size x 1.2), so a table of ~10 MB of rows is
 * refused before anything is written. To get past the pre-flight and fill the disk while writing,
 * the data here is smaller in PostgreSQL than in SQLite: 8 uuid columns (16 bytes each there, 36
 * characters of text in SQLite) and 4 timestamptz (8 bytes there, ~27 characters of text):
 * ~3 MB in PostgreSQL (the pre-flight asks for ~3.6 MB) and ~6 MB as a SQLite file. With chunks
 * of 2000 rows, some chunks are committed before the disk fills.
 */
async function diskFillsDuringCopy(t: TestContext): Promise<void> {
  const dir = tempDir('opts-full');
  const db = await freshPostgresDatabase(t);
  assert.ok(db);
  await withPg(db.url, async (c) => {
    await c.query(`CREATE TABLE big (id integer PRIMARY KEY, a uuid NOT NULL, b uuid NOT NULL, c uuid NOT NULL, d uuid NOT NULL, e uuid NOT NULL, f uuid NOT NULL, g uuid NOT NULL, h uuid NOT NULL,
      t1 timestamptz NOT NULL, t2 timestamptz NOT NULL, t3 timestamptz NOT NULL, t4 timestamptz NOT NULL)`);
    await c.query(`INSERT INTO big SELECT g, gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), gen_random_uuid(),
      timestamptz '2024-01-01 00:00:00+00' - g * interval '1.234567 s', timestamptz '2024-01-01 00:00:00+00' + g * interval '2.5 s', timestamptz '2020-02-29 12:00:00.5+00', timestamptz '2024-01-01 00:00:00+00' + g * interval '1 ms'
      FROM generate_series(1, 14000) g`);
    await c.query('VACUUM ANALYZE big');
  });
  const mnt = path.join(dir, 'disk');
  mountTmpfs(mnt, 'size=4m');
  try {
    const target = path.join(mnt, 'back.db');
    const failed = await run(dir, 'copy', db.url, target, '--batch-size', '2000', '--json');
    assert.equal(failed.status, 1, `the copy fails on a full disk: ${show(failed)}`);
    const error = json(failed).error as { code: string; message: string; hint: string };
    assert.equal(error.code, 'DISK_FULL', show(failed));
    const sizeAtFailure = fs.statSync(target).size;
    const freeAtFailure = fs.statfsSync(mnt).bavail * fs.statfsSync(mnt).bsize;
    const hint = /The rest needs about (\S+ [KMGT]?B) free in (\S+); make room, then continue with: ferry (.+)$/.exec(error.hint);
    assert.ok(hint, `the hint says how much room the rest needs and how to continue: ${error.hint}`);
    assert.equal(hint[2], mnt, 'in the target folder');
    const resumeArgs = hint[3]!.trim().split(/\s+/);
    assert.ok(resumeArgs.includes('--resume'), `the hint continues with --resume: ${error.hint}`);
    assert.equal(resumeArgs[0], 'copy');

    // The hint agrees with what the resume checks: on the same full disk its pre-flight refuses,
    // asking for the same room, and writes nothing.
    const refused = await run(dir, ...resumeArgs, '--dry-run', '--json');
    assert.equal(refused.status, 1, show(refused));
    const refusal = json(refused).error as { code: string; message: string };
    assert.equal(refusal.code, 'DISK_FULL', show(refused));
    assert.match(
      refusal.message,
      new RegExp(`needs about ${hint[1]!.replace('.', '\\.')} more`),
      `the hint (${hint[1]}) and the resume's pre-flight ask for the same room: ${refusal.message}`,
    );
    assert.equal(fs.statSync(target).size, sizeAtFailure, 'the refused resume wrote nothing');

    // With room, the pre-flight passes and names the same need.
    execFileSync('mount', ['-o', 'remount,size=64m', mnt]);
    const dry = await run(dir, ...resumeArgs, '--dry-run', '--json');
    ok(dry, 'the hinted resume, as a dry run');
    const checks = (json(dry) as { checks: string[] }).checks;
    const room = checks.map((c) => /the copy needs about (\S+ [KMGT]?B)/.exec(c)).find(Boolean);
    assert.ok(room, `the resume's pre-flight checks the room: ${JSON.stringify(checks)}`);
    assert.equal(room[1], hint[1], `the hint (${hint[1]}) and the resume's pre-flight (${room[1]}) ask for the same room`);
    assert.ok(
      checks.some((c) => /unfinished copy .* --resume would continue it/.test(c)),
      JSON.stringify(checks),
    );

    // The hinted command completes and verifies.
    const resumed = await run(dir, ...resumeArgs);
    ok(resumed, `the hinted command: ferry ${resumeArgs.join(' ')}`);
    assert.match(resumed.stdout, /\(resumed\)/);
    assert.match(resumed.stdout, /verified successfully/);
    const done = new Database(target, { readonly: true });
    try {
      assert.equal(done.prepare('SELECT count(*) FROM big').pluck().get(), 14000);
    } finally {
      done.close();
    }
    // The room named was about what the rest took on disk: enough, and not wildly more.
    const rest = fs.statSync(target).size - sizeAtFailure;
    assert.ok(
      parseBytes(hint[1]!) >= rest,
      `the hint named ${hint[1]}, but finishing took ${rest} more bytes (${sizeAtFailure} -> ${fs.statSync(target).size}); at the failure ${freeAtFailure} bytes were free`,
    );
    assert.ok(parseBytes(hint[1]!) <= rest * 3, `the hint named ${hint[1]} for ${rest} bytes`);
  } finally {
    unmount(mnt);
  }
}

async function downgradeSqlWithoutDown(): Promise<void> {
  const dir = tempDir('opts-nodown');
  const mig = path.join(dir, 'migrations');
  fs.mkdirSync(mig);
  sqlRevision(mig, A, [], 'create users', 'CREATE TABLE users (id INTEGER PRIMARY KEY);', 'DROP TABLE users;');
  const noDown = sqlRevision(mig, B, [A], 'create posts', 'CREATE TABLE posts (id INTEGER PRIMARY KEY);', null);
  sqlRevision(mig, C, [B], 'create tags', 'CREATE TABLE tags (id INTEGER PRIMARY KEY);', 'DROP TABLE tags_table_of_c;');
  const app = emptySqliteFile(path.join(dir, 'app.db'));
  ok(await run(dir, 'upgrade', '--url', app, '--no-backup'), 'upgrade');
  const before = sha256(app);

  const r = await run(dir, 'downgrade', A, '--url', app, '--sql');
  assert.notEqual(r.status, 0, `downgrade --sql over a revision without a down exits non-zero: ${show(r)}`);
  assert.match(r.stdout, /DROP TABLE tags_table_of_c/, `the SQL up to there is printed: ${show(r)}`);
  assert.ok(`${r.stdout}${r.stderr}`.includes(path.basename(noDown)), `the message names ${path.basename(noDown)}: ${show(r)}`);
  assert.match(r.stderr, /^error: .*no down/m, show(r));
  const dry = await run(dir, 'downgrade', 'base', '--url', app, '--dry-run');
  assert.notEqual(dry.status, 0, `downgrade --dry-run over it exits non-zero too: ${show(dry)}`);
  assert.ok(dry.stderr.includes(path.basename(noDown)), show(dry));
  assert.equal(sha256(app), before, 'nothing ran');
}

async function consolidateSkipped(): Promise<void> {
  const dir = consolidationFolder('opts-cons');
  const r = await run(dir, 'consolidate');
  assert.equal(r.status, 3, `rows skipped on purpose: exit 3: ${show(r)}`);
  assert.doesNotMatch(r.stdout, /Migration completed!/, r.stdout);
  assert.match(r.stdout, /1 row\(s\) were skipped/, r.stdout);
  const out = new Database(path.join(dir, 'out', 'all.db'), { readonly: true });
  try {
    assert.equal(out.prepare('SELECT count(*) FROM users').pluck().get(), 4);
  } finally {
    out.close();
  }
}

async function failingUpgradeBackups(): Promise<void> {
  const dir = tempDir('opts-failbk');
  const mig = path.join(dir, 'migrations');
  fs.mkdirSync(mig);
  sqlRevision(mig, A, [], 'broken', 'CREATE TABLE posts (id INTEGER PRIMARY KEY);\nINSERT INTO no_such_table VALUES (1);', 'DROP TABLE posts;');
  const app = path.join(dir, 'app.db');
  const db = new Database(app);
  db.exec(`CREATE TABLE existing (id INTEGER PRIMARY KEY); INSERT INTO existing VALUES (1)`);
  db.close();
  for (let i = 1; i <= 3; i++) {
    const r = await run(dir, 'upgrade', '--url', app);
    assert.equal(r.status, 1, `attempt ${i} fails: ${show(r)}`);
    assert.match(r.stderr, /no_such_table/);
  }
  const sets = fs.readdirSync(path.join(dir, 'backup')).filter((n) => !n.startsWith('.'));
  assert.equal(sets.length, 1, `one backup set after three failed attempts: ${sets.join(', ')}`);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'backup', sets[0]!, 'manifest.json'), 'utf8')) as { reason: string; files: { source: string }[] };
  assert.equal(manifest.reason, 'ferry upgrade');
  assert.deepEqual(
    manifest.files.map((f) => f.source),
    [app],
  );
  const list = json(ok(await run(dir, 'backups', '--dir', 'backup', '--json'), 'backups')) as { sets: { reason: string }[] };
  assert.deepEqual(
    list.sets.map((s) => s.reason),
    ['ferry upgrade'],
  );
}

async function upgradeTypo(): Promise<void> {
  const dir = tempDir('opts-typo');
  const mig = path.join(dir, 'migrations');
  fs.mkdirSync(mig);
  sqlRevision(mig, A, [], 'create users', 'CREATE TABLE users (id INTEGER PRIMARY KEY);', 'DROP TABLE users;');
  const before = fs.readdirSync(dir).sort();

  const r = await run(dir, 'upgrade', '--url', 'typo.db');
  assert.equal(r.status, 1, show(r));
  assert.match(r.stderr, /typo\.db/, show(r));
  assert.match(r.stderr, /^hint: .*--create/m, `the hint names --create: ${show(r)}`);
  assert.deepEqual(fs.readdirSync(dir).sort(), before, 'no file was created (nor a lock file)');
  const j = await run(dir, 'upgrade', '--url', 'typo.db', '--json');
  assert.equal(j.status, 1, show(j));
  assert.match((json(j).error as { hint: string }).hint, /--create/);
  assert.deepEqual(fs.readdirSync(dir).sort(), before, 'no file was created by the --json run either');

  ok(await run(dir, 'upgrade', '--url', 'typo.db', '--create', '--no-backup'), 'upgrade --create');
  assert.deepEqual(
    sqliteTableNames(path.join(dir, 'typo.db')).filter((n) => !n.startsWith('ferry_')),
    ['users'],
  );
}
