/**
 * The schema-revisions benchmark (issue 4, "Speed"): ferry against Alembic, side by side in one run.
 *
 * For n = 500 revisions (alternating create table and add column, `revisions-gen.ts`), on a fresh
 * SQLite file and a fresh PostgreSQL database each, both tools run:
 *   upgrade heads, then current / heads / history (each `--reads` times), then downgrade base.
 * Alembic runs as `alembic -c <ini> -x url=<url> <command>`; ferry as
 * `node bin/ferry.js <command> --url <url> --dir <ferry dir>` (with `--no-backup` for upgrade and
 * downgrade on SQLite, so the figure is the migration itself; the default, with its backup, is timed
 * once more per n on SQLite). Extra rows: Alembic with `transaction_per_migration` (each revision in
 * its own transaction, as ferry does; on PostgreSQL Alembic's default is one transaction around the
 * whole run, while on SQLite it always commits per revision, so this row is PostgreSQL only),
 * and the first Alembic command without Python's bytecode cache.
 *
 * After every upgrade the schema is checked (tables t*, columns), after every downgrade that no t*
 * table is left; other tables (the tools' version tables) are listed. `--big` adds n = 5,000 for
 * the read-only commands, timed runs × reads times on one database; its upgrade runs once and is
 * reported, not a goal (`--big-stamp`: `stamp heads` instead; `--big-downgrade`: also time the
 * downgrade). With PostgreSQL in the run, the server's own floor for n = 500 is measured too
 * (revisions-floor.ts): what no tool can go below.
 *
 * A ferry command the CLI does not have yet is recorded as "not available" and the run goes on.
 *
 * Each command is one child process: wall time from spawn to exit, peak memory the largest VmHWM
 * of one process of its tree (`TreeSampler`, every 5 ms). The results: the median (min–max) over the
 * runs; `bench/work/revisions-results.json` and a Markdown summary on stdout.
 *
 * Options: --runs N (3), --reads N (5 per run), --big, --only alembic|ferry, --engines sqlite,postgres,
 * --no-per-migration, --keep, --force (regenerate revisions), --big-stamp, --big-downgrade.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { dropDatabase, freshDatabase, pgServerVersion, pgUrl, psqlSync } from './copy-floor.js';
import { TreeSampler } from './proc-stats.js';
import { postgresFloor, type FloorTimes } from './revisions-floor.js';
import { BENCH_DIR, clearPycache, generateRevisions, REVISIONS_WORK, type RevisionSet } from './revisions-gen.js';

const FERRY_BIN = path.join(BENCH_DIR, '..', 'bin', 'ferry.js');
const RESULTS_FILE = path.join(BENCH_DIR, 'work', 'revisions-results.json');
const ALEMBIC = process.env.BENCH_ALEMBIC ?? 'alembic';

type Tool = 'alembic' | 'ferry';
type EngineName = 'sqlite' | 'postgres';
const READ_COMMANDS = ['current', 'heads', 'history'] as const;

interface Options {
  runs: number;
  reads: number;
  big: boolean;
  tools: Tool[];
  engines: EngineName[];
  perMigration: boolean;
  keep: boolean;
  force: boolean;
  /** --big-stamp: reach head of the big set with `stamp heads` instead of a timed upgrade. */
  bigStamp: boolean;
  /** --big-downgrade: also time downgrade base on the big set. */
  bigDowngrade: boolean;
}

// ---------------------------------------------------------------------------------------------
// One command

interface SchemaState {
  /** Tables named t<digits>. */
  tables: number;
  /** Columns of those tables. */
  columns: number;
  /** Every other table (version tables, leftovers). */
  others: string[];
}

interface Sample {
  run: number;
  ok: boolean;
  available: boolean;
  exitCode: number | null;
  wallMs: number;
  peakKb: number;
  error?: string;
  /** Lines printed on stdout (history: one per revision for Alembic). */
  stdoutLines?: number;
  /** The start of stdout (current/heads: what the tool reported). */
  stdoutHead?: string;
  /** current/heads: whether stdout names the head revision. */
  namesHead?: boolean;
  /** After upgrade/downgrade: the schema found, and whether it is the expected one. */
  schema?: SchemaState;
  schemaOk?: boolean;
}

interface Job {
  key: string;
  tool: Tool;
  engine: EngineName;
  n: number;
  /** upgrade | downgrade | current | heads | history */
  command: string;
  variant: 'default' | 'per-migration' | 'with-backup' | 'no-pycache';
  argv: string[];
  samples: Sample[];
}

interface Stat {
  median: number;
  min: number;
  max: number;
  count: number;
}

function stat(values: number[]): Stat | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]!, count: s.length };
}

function notAvailable(text: string): boolean {
  return /unknown command|error: unknown|Cannot find module|ERR_MODULE_NOT_FOUND/i.test(text);
}

interface Spawned {
  code: number | null;
  signal: NodeJS.Signals | null;
  wallMs: number;
  peakKb: number;
  stdout: string;
  stderr: string;
}

function runTimed(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const p = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const sampler = new TreeSampler(p.pid ?? process.pid, 5);
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 30 * 60 * 1000);
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', (e) => {
      sampler.stop();
      clearTimeout(timer);
      reject(e);
    });
    p.on('exit', (code, signal) => {
      const wallMs = performance.now() - started;
      sampler.stop();
      clearTimeout(timer);
      p.on('close', () => resolve({ code, signal, wallMs, peakKb: sampler.maxHwmKb(), stdout, stderr }));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Targets: a fresh SQLite file or PostgreSQL database per tool

interface Target {
  engine: EngineName;
  tool: Tool;
  /** The URL the tool is given. */
  url: string;
  /** The SQLite file, or the PostgreSQL database name. */
  where: string;
  /** The tool's working directory (ferry's backups, if it writes them next to its cwd). */
  cwd: string;
}

function target(set: RevisionSet, engine: EngineName, tool: Tool): Target {
  const cwd = path.join(set.dir, `run-${engine}-${tool}`);
  if (engine === 'sqlite') {
    const file = path.join(cwd, `${tool}.db`);
    return { engine, tool, url: tool === 'alembic' ? `sqlite:///${file}` : `sqlite:${file}`, where: file, cwd };
  }
  const db = `bench_rev_${set.n}_${tool}`;
  const url = pgUrl(db);
  return { engine, tool, url: tool === 'alembic' ? url.replace(/^postgresql:/, 'postgresql+psycopg2:') : url, where: db, cwd };
}

function freshTarget(t: Target): void {
  fs.rmSync(t.cwd, { recursive: true, force: true });
  fs.mkdirSync(t.cwd, { recursive: true });
  if (t.engine === 'postgres') freshDatabase(t.where);
}

function cleanTarget(t: Target): void {
  fs.rmSync(t.cwd, { recursive: true, force: true });
  if (t.engine === 'postgres') dropDatabase(t.where);
}

const USER_TABLE = /^t\d+$/;

function inspect(t: Target): SchemaState {
  const perTable = new Map<string, number>();
  if (t.engine === 'sqlite') {
    if (!fs.existsSync(t.where)) return { tables: 0, columns: 0, others: ['(no file)'] };
    const db = new Database(t.where, { readonly: true, fileMustExist: true });
    try {
      const rows = db
        .prepare(
          `SELECT m.name AS name, (SELECT count(*) FROM pragma_table_info(m.name)) AS cols
             FROM sqlite_schema m WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'`,
        )
        .all() as { name: string; cols: number }[];
      for (const r of rows) perTable.set(r.name, r.cols);
    } finally {
      db.close();
    }
  } else {
    const out = psqlSync(
      t.where,
      `SELECT c.relname || '|' || count(a.attnum) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
        GROUP BY c.relname`,
    );
    for (const line of out.split('\n').filter(Boolean)) {
      const [name, cols] = line.split('|');
      perTable.set(name!, Number(cols));
    }
  }
  let tables = 0;
  let columns = 0;
  const others: string[] = [];
  for (const [name, cols] of perTable) {
    if (USER_TABLE.test(name)) {
      tables++;
      columns += cols;
    } else others.push(name);
  }
  return { tables, columns, others: others.sort() };
}

// ---------------------------------------------------------------------------------------------
// The commands

function alembicArgv(set: RevisionSet, t: Target, command: string, variant: Job['variant']): string[] {
  const args = ['-c', set.alembicIni, '-x', `url=${t.url}`];
  if (variant === 'per-migration') args.push('-x', 'txn=per-migration');
  if (command === 'upgrade') args.push('upgrade', 'heads');
  else if (command === 'downgrade') args.push('downgrade', 'base');
  else args.push(command);
  return args;
}

function ferryArgv(set: RevisionSet, t: Target, command: string, variant: Job['variant']): string[] {
  const args = [FERRY_BIN, command];
  if (command === 'upgrade') args.push('heads');
  if (command === 'downgrade') args.push('base');
  args.push('--url', t.url, '--dir', set.ferryDir);
  if ((command === 'upgrade' || command === 'downgrade') && t.engine === 'sqlite' && variant !== 'with-backup') args.push('--no-backup');
  // Each run starts from a fresh, not yet existing SQLite file, which ferry creates only when asked.
  if (command === 'upgrade' && t.engine === 'sqlite') args.push('--create');
  return args;
}

/** Alembic's environment: as this machine's, but with Python's bytecode cache allowed, as a user has it. */
function alembicEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.PYTHONDONTWRITEBYTECODE;
  return env;
}

class Bench {
  readonly jobs = new Map<string, Job>();
  constructor(readonly opts: Options) {}

  job(set: RevisionSet, t: Target, command: string, variant: Job['variant']): Job {
    const key = `${set.n}|${t.engine}|${t.tool}|${command}|${variant}`;
    let j = this.jobs.get(key);
    if (!j) {
      const argv = t.tool === 'alembic' ? [ALEMBIC, ...alembicArgv(set, t, command, variant)] : ['node', ...ferryArgv(set, t, command, variant)];
      j = { key, tool: t.tool, engine: t.engine, n: set.n, command, variant, argv, samples: [] };
      this.jobs.set(key, j);
    }
    return j;
  }

  async run(set: RevisionSet, t: Target, command: string, variant: Job['variant'], run: number): Promise<Sample> {
    const j = this.job(set, t, command, variant);
    const s: Sample = { run, ok: false, available: true, exitCode: null, wallMs: 0, peakKb: 0 };
    if (t.tool === 'ferry' && !fs.existsSync(FERRY_BIN)) {
      s.available = false;
      s.error = `${FERRY_BIN} not found`;
      j.samples.push(s);
      return s;
    }
    const [cmd, ...args] =
      t.tool === 'alembic' ? [ALEMBIC, ...alembicArgv(set, t, command, variant)] : [process.execPath, ...ferryArgv(set, t, command, variant)];
    try {
      const r = await runTimed(cmd!, args, { cwd: t.cwd, env: t.tool === 'alembic' ? alembicEnv() : process.env });
      s.exitCode = r.code;
      s.wallMs = r.wallMs;
      s.peakKb = r.peakKb;
      s.ok = r.code === 0;
      const out = r.stdout.trim();
      s.stdoutLines = out ? out.split('\n').length : 0;
      s.stdoutHead = out.slice(0, 200);
      if (command === 'current' || command === 'heads') s.namesHead = out.includes(set.ids[set.n - 1]!);
      if (!s.ok) {
        const text = (r.stderr.trim() || r.stdout.trim()).slice(-1500);
        s.available = !(t.tool === 'ferry' && notAvailable(text));
        s.error = `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}: ${text}`;
      }
    } catch (e) {
      s.error = (e as Error).message;
    }
    if (s.ok && (command === 'upgrade' || command === 'downgrade')) {
      try {
        s.schema = inspect(t);
        const want = command === 'upgrade' ? set.expected : { tables: 0, columns: 0 };
        s.schemaOk = s.schema.tables === want.tables && s.schema.columns === want.columns;
      } catch (e) {
        s.schemaOk = false;
        s.error = `schema check failed: ${(e as Error).message}`;
      }
    }
    j.samples.push(s);
    const label = `${t.tool} ${command}${variant === 'default' ? '' : ` (${variant})`} ${t.engine} n=${set.n}`;
    const what = !s.available
      ? 'not available'
      : s.ok
        ? `${fmtMs(s.wallMs)}, ${mb(s.peakKb)}${s.schemaOk === false ? ' SCHEMA WRONG' : ''}`
        : `FAILED ${s.error?.split('\n')[0]}`;
    process.stderr.write(`  ${label}: ${what}\n`);
    return s;
  }
}

// ---------------------------------------------------------------------------------------------
// The sequence

/**
 * One tool on one engine: fresh target, upgrade, reads, downgrade. With `upDown` false (the big set,
 * called once), the reads are repeated runs × reads times on one database; the upgrade is timed (or,
 * with --big-stamp, replaced by an untimed `stamp heads`), and the downgrade only runs with
 * --big-downgrade.
 */
async function sequence(b: Bench, set: RevisionSet, engine: EngineName, tool: Tool, run: number, upDown: boolean): Promise<void> {
  const t = target(set, engine, tool);
  freshTarget(t);
  try {
    if (tool === 'alembic' && run === 0 && engine === b.opts.engines[0]) {
      // The first Alembic command after a checkout: no __pycache__ for the revision files yet.
      clearPycache(set);
      await b.run(set, t, 'heads', 'no-pycache', run);
      // One more, untimed, so the cache is there for what follows.
      spawnSync(ALEMBIC, alembicArgv(set, t, 'heads', 'default'), { cwd: t.cwd, env: alembicEnv() });
    }
    if (upDown || !b.opts.bigStamp) await b.run(set, t, 'upgrade', 'default', run);
    else {
      // The big set with --big-stamp: mark the database as at head without running anything.
      const stamp =
        tool === 'alembic'
          ? ['-c', set.alembicIni, '-x', `url=${t.url}`, 'stamp', 'heads']
          : [FERRY_BIN, 'stamp', 'heads', '--url', t.url, '--dir', set.ferryDir];
      const r = spawnSync(tool === 'alembic' ? ALEMBIC : process.execPath, stamp, {
        cwd: t.cwd,
        env: tool === 'alembic' ? alembicEnv() : process.env,
        encoding: 'utf8',
      });
      process.stderr.write(`  ${tool} stamp heads ${engine} n=${set.n}: exit ${r.status}${r.status ? ' ' + (r.stderr || '').trim().split('\n').pop() : ''}\n`);
    }
    const reads = upDown ? b.opts.reads : b.opts.reads * b.opts.runs;
    for (let r = 0; r < reads; r++) for (const c of READ_COMMANDS) await b.run(set, t, c, 'default', run);
    if (upDown || b.opts.bigDowngrade) await b.run(set, t, 'downgrade', 'default', run);
    if (run === 0 && upDown) {
      if (tool === 'alembic' && engine === 'postgres' && b.opts.perMigration) {
        // (On SQLite Alembic already runs each revision in its own transaction: its SQLite dialect has
        // transactional_ddl = False, and then begin_transaction() is per migration whatever the flag.)
        freshTarget(t);
        await b.run(set, t, 'upgrade', 'per-migration', run);
        await b.run(set, t, 'downgrade', 'per-migration', run);
      }
      if (tool === 'ferry' && engine === 'sqlite') {
        freshTarget(t);
        await b.run(set, t, 'upgrade', 'with-backup', run);
        await b.run(set, t, 'downgrade', 'with-backup', run);
      }
    }
  } finally {
    if (!b.opts.keep) cleanTarget(t);
  }
}

// ---------------------------------------------------------------------------------------------
// Report

/** The PostgreSQL floor (revisions-floor.ts) as a table per n. */
function floorReport(floors: Map<number, FloorTimes>): string {
  const out: string[] = [];
  for (const [n, times] of floors) {
    const c = (key: string) => {
      const s = stat(times.get(key) ?? []);
      return s ? `${fmtMs(s.median)} (${fmtMs(s.min)}–${fmtMs(s.max)})` : '';
    };
    out.push('', `### PostgreSQL floor, ${n.toLocaleString('en-US')} revisions`, '');
    out.push('The server alone: the same statements sent as one string on an open connection, fresh database, medians.', '');
    out.push('| shape | upgrade | downgrade |', '|---|---|---|');
    out.push(`| one transaction (Alembic's default shape) | ${c('one transaction|up')} | ${c('one transaction|down')} |`);
    out.push(
      `| a transaction per revision, with version and history rows (ferry's shape) | ${c('a transaction per revision|up')} | ${c('a transaction per revision|down')} |`,
    );
  }
  return out.join('\n') + (out.length ? '\n' : '');
}

function fmtMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}

function mb(kb: number): string {
  return `${Math.round(kb / 1024)} MB`;
}

interface JobSummary {
  key: string;
  tool: Tool;
  engine: EngineName;
  n: number;
  command: string;
  variant: Job['variant'];
  argv: string[];
  available: boolean;
  ok: boolean;
  schemaOk: boolean | null;
  wallMs: Stat | null;
  peakKb: Stat | null;
  errors: string[];
  samples: Sample[];
}

function summarise(j: Job): JobSummary {
  const good = j.samples.filter((s) => s.ok && s.schemaOk !== false);
  const checked = j.samples.filter((s) => s.schemaOk !== undefined);
  return {
    key: j.key,
    tool: j.tool,
    engine: j.engine,
    n: j.n,
    command: j.command,
    variant: j.variant,
    argv: j.argv,
    available: j.samples.some((s) => s.available),
    ok: j.samples.length > 0 && j.samples.every((s) => s.ok && s.schemaOk !== false),
    schemaOk: checked.length ? checked.every((s) => s.schemaOk) : null,
    wallMs: stat(good.map((s) => s.wallMs)),
    peakKb: stat(good.map((s) => s.peakKb)),
    errors: [...new Set(j.samples.filter((s) => s.error).map((s) => s.error!))].slice(0, 3),
    samples: j.samples,
  };
}

function cell(s: JobSummary | undefined): string {
  if (!s) return '';
  if (!s.available) return 'not available';
  if (!s.wallMs) return 'failed';
  const w = s.wallMs;
  const range = w.count > 1 ? ` (${fmtMs(w.min)}–${fmtMs(w.max)})` : '';
  return `${fmtMs(w.median)}${range}${s.ok ? '' : ' (some failed)'}`;
}

function memCell(s: JobSummary | undefined): string {
  if (!s) return '';
  if (!s.available) return 'n/a';
  return s.peakKb ? mb(s.peakKb.median) : 'failed';
}

function ratio(f: JobSummary | undefined, a: JobSummary | undefined): string {
  if (!f?.wallMs || !a?.wallMs) return '';
  return `${(f.wallMs.median / a.wallMs.median).toFixed(2)}x`;
}

interface Goal {
  goal: string;
  n: number;
  engine: EngineName;
  ferry: string;
  reference: string;
  verdict: 'met' | 'missed' | 'pending';
}

function report(summaries: JobSummary[], opts: Options, ns: number[]): { markdown: string; goals: Goal[] } {
  const find = (n: number, engine: EngineName, tool: Tool, command: string, variant: Job['variant'] = 'default') =>
    summaries.find((s) => s.n === n && s.engine === engine && s.tool === tool && s.command === command && s.variant === variant);
  const lines: string[] = [];
  const goals: Goal[] = [];
  for (const n of ns) {
    const upDownNote = n === 500 ? `medians of ${opts.runs} run(s)` : opts.bigStamp ? 'not run (--big-stamp: the database was stamped at head)' : '1 run';
    lines.push(`### ${n.toLocaleString('en-US')} revisions`, '');
    lines.push(
      `upgrade/downgrade: ${upDownNote}; current/heads/history: medians of ${opts.runs * opts.reads} calls. Wall time (min–max), peak memory of the largest process.`,
      '',
    );
    const engines = opts.engines;
    lines.push(`| command | ${engines.map((e) => `${e}: Alembic | ${e}: ferry | ferry/Alembic`).join(' | ')} |`);
    lines.push(`|---|${engines.map(() => '---|---|---|').join('')}`);
    const rows: [string, string, Job['variant'], Job['variant']][] = [
      ['upgrade heads', 'upgrade', 'default', 'default'],
      ['downgrade base', 'downgrade', 'default', 'default'],
      ['current', 'current', 'default', 'default'],
      ['heads', 'heads', 'default', 'default'],
      ['history', 'history', 'default', 'default'],
    ];
    for (const [label, command, av, fv] of rows) {
      lines.push(
        `| ${label} | ${engines.map((e) => `${cell(find(n, e, 'alembic', command, av))} | ${cell(find(n, e, 'ferry', command, fv))} | ${ratio(find(n, e, 'ferry', command, fv), find(n, e, 'alembic', command, av))}`).join(' | ')} |`,
      );
    }
    const extra: [string, Tool, string, Job['variant']][] = [
      ['Alembic upgrade heads, transaction per migration', 'alembic', 'upgrade', 'per-migration'],
      ['Alembic downgrade base, transaction per migration', 'alembic', 'downgrade', 'per-migration'],
      ['Alembic heads, no `__pycache__` yet', 'alembic', 'heads', 'no-pycache'],
      ['ferry upgrade heads with its backup', 'ferry', 'upgrade', 'with-backup'],
      ['ferry downgrade base with its backup', 'ferry', 'downgrade', 'with-backup'],
    ];
    for (const [label, tool, command, v] of extra) {
      const cells = engines.map((e) => find(n, e, tool, command, v));
      if (cells.every((c) => !c)) continue;
      const perEngine = cells.map((c) => (tool === 'alembic' ? [cell(c), '', ''] : ['', cell(c), '']));
      lines.push(`| ${label} | ${perEngine.map((x) => x.join(' | ')).join(' | ')} |`);
    }
    lines.push('');
    lines.push(`| peak memory | ${engines.map((e) => `${e}: Alembic | ${e}: ferry`).join(' | ')} |`);
    lines.push(`|---|${engines.map(() => '---|---|').join('')}`);
    for (const [label, command] of rows) {
      lines.push(`| ${label} | ${engines.map((e) => `${memCell(find(n, e, 'alembic', command))} | ${memCell(find(n, e, 'ferry', command))}`).join(' | ')} |`);
    }
    lines.push('');
    // Checks
    const bad = summaries.filter((s) => s.n === n && s.schemaOk === false);
    for (const s of bad) lines.push(`**Schema check failed**: ${s.key}: ${JSON.stringify(s.samples.map((x) => x.schema))}`);
    const others = new Set<string>();
    for (const s of summaries.filter((x) => x.n === n && x.command === 'downgrade'))
      for (const x of s.samples) if (x.schema) others.add(`${s.tool} ${s.engine}: ${x.schema.others.join(', ') || '(none)'}`);
    if (others.size)
      lines.push(`Tables left after downgrade base (besides t*, of which there were none when the check passed): ${[...others].join('; ')}.`, '');

    // Goals
    for (const e of engines) {
      if (n === 500) {
        for (const command of ['upgrade', 'downgrade']) {
          const a = find(n, e, 'alembic', command);
          const f = find(n, e, 'ferry', command);
          const limit = a?.wallMs ? a.wallMs.median / 2 : NaN;
          goals.push({
            goal: `${command === 'upgrade' ? 'upgrade heads' : 'downgrade base'} ≤ 0.5x Alembic`,
            n,
            engine: e,
            ferry: cell(f) || 'not run',
            reference: a?.wallMs ? `Alembic ${fmtMs(a.wallMs.median)} → limit ${fmtMs(limit)}` : 'Alembic not measured',
            verdict: !f?.wallMs || !f.ok || !a?.wallMs ? 'pending' : f.wallMs.median <= limit ? 'met' : 'missed',
          });
        }
      }
      const limitMs = n <= 500 ? 150 : 300;
      for (const c of READ_COMMANDS) {
        const f = find(n, e, 'ferry', c);
        const a = find(n, e, 'alembic', c);
        goals.push({
          goal: `${c} < ${limitMs} ms`,
          n,
          engine: e,
          ferry: cell(f) || 'not run',
          reference: a?.wallMs ? `Alembic ${fmtMs(a.wallMs.median)}` : '',
          verdict: !f?.wallMs || !f.ok ? 'pending' : f.wallMs.median < limitMs ? 'met' : 'missed',
        });
      }
    }
  }
  lines.push('### Goals', '');
  lines.push('| goal | revisions | engine | ferry | reference | verdict |', '|---|---|---|---|---|---|');
  for (const g of goals) lines.push(`| ${g.goal} | ${g.n.toLocaleString('en-US')} | ${g.engine} | ${g.ferry} | ${g.reference} | **${g.verdict}** |`);
  lines.push('');
  const unavailable = summaries.filter((s) => s.tool === 'ferry' && !s.available);
  if (unavailable.length) {
    const errs = [...new Set(unavailable.flatMap((s) => s.errors.map((e) => e.split('\n').slice(0, 2).join(' '))))].slice(0, 3);
    lines.push(`ferry not available for ${unavailable.length} job(s); the CLI said: ${errs.map((e) => '`' + e.replace(/`/g, "'") + '`').join('; ')}`, '');
  }
  const failed = summaries.filter((s) => s.available && !s.ok);
  for (const s of failed)
    lines.push(
      `Failed: ${s.key}: ${s.errors
        .map((e) => e.split('\n').slice(0, 3).join(' '))
        .join(' / ')
        .slice(0, 600)}`,
    );
  return { markdown: lines.join('\n'), goals };
}

// ---------------------------------------------------------------------------------------------

function versions(): Record<string, string> {
  const sh = (cmd: string, args: string[], env?: NodeJS.ProcessEnv) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8', env: env ?? process.env });
    return (r.stdout || r.stderr || String(r.error ?? '')).trim().split('\n')[0] ?? '';
  };
  let betterSqlite = '?';
  try {
    const db = new Database(':memory:');
    betterSqlite = (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
    db.close();
  } catch {
    // ignore
  }
  return {
    alembic: sh('/usr/bin/python3', [
      '-c',
      'import alembic, sqlalchemy, psycopg2, sqlite3, sys; print("alembic", alembic.__version__, "sqlalchemy", sqlalchemy.__version__, "psycopg2", psycopg2.__version__.split()[0], "sqlite", sqlite3.sqlite_version, "python", sys.version.split()[0])',
    ]),
    alembicBin: sh('sh', ['-c', `command -v ${ALEMBIC}`]),
    ferry: fs.existsSync(FERRY_BIN) ? sh(process.execPath, [FERRY_BIN, '--version']) : 'missing',
    node: process.version,
    ferrySqlite: betterSqlite,
    postgres: pgServerVersion(),
    cpus: `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}`,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    kernel: os.release(),
  };
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    runs: 3,
    reads: 5,
    big: false,
    tools: ['alembic', 'ferry'],
    engines: ['sqlite', 'postgres'],
    perMigration: true,
    keep: false,
    force: false,
    bigStamp: false,
    bigDowngrade: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--runs') o.runs = Number(argv[++i]);
    else if (a === '--reads') o.reads = Number(argv[++i]);
    else if (a === '--big') o.big = true;
    else if (a === '--only') o.tools = (argv[++i] ?? '').split(',') as Tool[];
    else if (a === '--engines') o.engines = (argv[++i] ?? '').split(',') as EngineName[];
    else if (a === '--no-per-migration') o.perMigration = false;
    else if (a === '--keep') o.keep = true;
    else if (a === '--big-stamp') o.bigStamp = true;
    else if (a === '--big-downgrade') o.bigDowngrade = true;
    else if (a === '--force') o.force = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!(o.runs >= 1) || !(o.reads >= 1)) throw new Error('--runs and --reads must be at least 1');
  for (const t of o.tools) if (t !== 'alembic' && t !== 'ferry') throw new Error(`--only: unknown tool ${t}`);
  for (const e of o.engines) if (e !== 'sqlite' && e !== 'postgres') throw new Error(`--engines: unknown engine ${e}`);
  return o;
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const started = new Date();
  const ns = opts.big ? [500, 5000] : [500];
  const env = versions();
  process.stderr.write(`revisions bench: ${JSON.stringify(env)}\n`);
  if (opts.tools.includes('alembic') && spawnSync(ALEMBIC, ['--version']).status !== 0) {
    throw new Error(`${ALEMBIC} not found: apt-get install -y alembic python3-alembic python3-psycopg2`);
  }
  const b = new Bench(opts);
  const floors = new Map<number, FloorTimes>();
  for (const n of ns) {
    const t0 = performance.now();
    const set = generateRevisions(n, { force: opts.force });
    process.stderr.write(`${n} revisions in ${set.dir} (${fmtMs(performance.now() - t0)} to make or find)\n`);
    const upDown = n === 500;
    for (let run = 0; run < (upDown ? opts.runs : 1); run++) {
      process.stderr.write(`run ${run + 1}/${opts.runs}, n=${n}\n`);
      // Alternate which tool goes first.
      const tools = run % 2 === 0 ? opts.tools : [...opts.tools].reverse();
      for (const engine of opts.engines) for (const tool of tools) await sequence(b, set, engine, tool, run, upDown);
    }
    if (upDown && opts.engines.includes('postgres')) floors.set(n, await postgresFloor(set, opts.runs));
  }
  const summaries = [...b.jobs.values()].map(summarise);
  const report1 = report(summaries, opts, ns);
  const goals = report1.goals;
  const markdown = report1.markdown + floorReport(floors);
  const doc = {
    benchmark: 'revisions',
    started: started.toISOString(),
    finished: new Date().toISOString(),
    options: opts,
    environment: env,
    notes: {
      alembicEnv:
        "PYTHONDONTWRITEBYTECODE is removed from Alembic's environment, so the revisions' bytecode is cached as for an ordinary user; the first run is reported separately (no-pycache).",
      wall: 'spawn to exit of the command, measured by the benchmark (node); peak: largest VmHWM of one process of the tree, sampled every 5 ms.',
    },
    goals,
    jobs: summaries,
    postgresFloor: Object.fromEntries([...floors].map(([n, t]) => [n, Object.fromEntries([...t].map(([k, v]) => [k, stat(v)]))])),
  };
  fs.mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
  fs.writeFileSync(RESULTS_FILE, JSON.stringify(doc, null, 2) + '\n');
  console.log(`## Revisions: ferry against Alembic (${started.toISOString()})\n`);
  console.log(
    `Alembic: ${env.alembic}. ferry: ${env.ferry} (SQLite ${env.ferrySqlite}). PostgreSQL ${env.postgres}. Node ${env.node}. ${env.cpus}, ${env.memory}.\n`,
  );
  console.log(markdown);
  console.log(`\nAll figures: ${path.relative(process.cwd(), RESULTS_FILE)}`);
  if (!opts.keep) fs.rmSync(path.join(REVISIONS_WORK, 'tmp'), { recursive: true, force: true });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
