/**
 * The consolidation benchmark: a generated estate (default 22 files, 2,000,000 rows) consolidated
 * by the floor — the `sqlite3` command line with ATTACH and INSERT INTO ... SELECT, one process per
 * target — and by ferry, in the same run, each on a fresh copy of the estate. Measures wall time
 * and peak RSS of each, ferry's backup step and its verify separately, and checks the goals:
 *
 *   - ferry's whole job, backup and verify apart, within 1.3x the floor;
 *   - ferry's peak memory under 150 MB, and flat when the rows grow tenfold (--scale10);
 *   - ferry's verify within the time of the consolidation itself.
 *
 *   npm run bench:consolidate -- [--rows N] [--files N] [--scale10] [--repeat N] [--keep]
 *   node dist/bench/consolidate-bench.js [same options]
 *
 * Results: printed as a Markdown table and written as JSON to bench/work/results/.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { ensureEstate, TARGETS, WORK_DIR, type Estate } from './consolidate-estate.js';
import type { RunnerOutput, TimelineEntry } from './ferry-runner.js';
import { parseIo, TreeSampler, type ProcIo } from './proc-stats.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const RUNNER = path.join(HERE, 'ferry-runner.js');

const GOAL_RATIO = 1.3;
const GOAL_PEAK_MB = 150;
/** "Flat": the 10x run's peak may exceed the 1x run's by at most this fraction. */
const FLAT_TOLERANCE = 0.1;

interface Args {
  rows: number;
  files: number;
  scale10: boolean;
  /** Runs at the base scale, and at 10x (--scale10). */
  repeat: number;
  repeat10: number;
  keep: boolean;
  skipVerify: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { rows: 2_000_000, files: 22, scale10: false, repeat: 3, repeat10: 1, keep: false, skipVerify: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0) throw new Error(`${k} needs a positive number`);
      return Math.floor(v);
    };
    if (k === '--rows') a.rows = num();
    else if (k === '--files') a.files = num();
    else if (k === '--repeat') a.repeat = num();
    else if (k === '--repeat10') a.repeat10 = num();
    else if (k === '--scale10') a.scale10 = true;
    else if (k === '--keep') a.keep = true;
    else if (k === '--skip-verify') a.skipVerify = true;
    else if (k === '--help' || k === '-h') {
      process.stdout.write(
        'node dist/bench/consolidate-bench.js [--rows N] [--files N] [--scale10] [--repeat N (default 3)] [--repeat10 N (default 1)] [--keep] [--skip-verify]\n',
      );
      process.exit(0);
    } else throw new Error(`unknown option ${k}`);
  }
  return a;
}

// ---------------------------------------------------------------------------------------------
// Peak memory: TreeSampler (proc-stats.ts) samples the child and all its descendants.

interface ChildRun {
  wallMs: number;
  code: number | null;
  stdout: string;
  stderr: string;
  sampler: TreeSampler;
}

function runChild(cmd: string, args: string[], cwd: string): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const p = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const sampler = new TreeSampler(p.pid!);
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', (e) => {
      sampler.stop();
      reject(e);
    });
    p.on('exit', (code) => {
      const wallMs = performance.now() - started;
      sampler.stop();
      p.on('close', () => resolve({ wallMs, code, stdout, stderr, sampler }));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Run folders: a fresh copy of the estate for every job.

function freshCopy(estate: Estate, dir: string): string {
  fs.rmSync(dir, { recursive: true, force: true });
  const src = path.join(dir, 'sources');
  fs.mkdirSync(src, { recursive: true });
  // .db, -wal and -shm: the WAL files' newest rows are only in their -wal file.
  for (const f of fs.readdirSync(estate.sourceDir)) fs.copyFileSync(path.join(estate.sourceDir, f), path.join(src, f));
  fs.copyFileSync(estate.configFile, path.join(dir, 'ferry.config.json'));
  // Nothing of the copy is left to write back while the job runs.
  spawnSync('sync');
  return dir;
}

/** Rows per table of every target file in a folder. */
function countTargets(dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of TARGETS) {
    const file = path.join(dir, t);
    if (!fs.existsSync(file)) continue;
    const db = new Database(file, { readonly: true });
    try {
      const names = db
        .prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name`)
        .pluck()
        .all() as string[];
      for (const n of names)
        out[`${t}:${n}`] = db
          .prepare(`SELECT count(*) FROM "${n.replace(/"/g, '""')}"`)
          .pluck()
          .get() as number;
    } finally {
      db.close();
    }
  }
  return out;
}

function targetBytes(dir: string): number {
  let s = 0;
  for (const t of TARGETS) for (const suf of ['', '-wal']) if (fs.existsSync(path.join(dir, t + suf))) s += fs.statSync(path.join(dir, t + suf)).size;
  return s;
}

// ---------------------------------------------------------------------------------------------
// The floor.

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
const qi = (s: string) => `"${s.replace(/"/g, '""')}"`;
const uri = (file: string) => `file:${file.replace(/%/g, '%25').replace(/\?/g, '%3f').replace(/#/g, '%23')}?mode=ro`;

interface FloorStatement {
  kind: 'create' | 'attach' | 'insert' | 'detach' | 'index' | 'post' | 'pragma';
  sql: string;
}

/**
 * Writes floor/<target>.sql for every target and floor.sh that runs them: the target gets the
 * sources' own CREATE TABLE statements (from sqlite_schema), then each source is ATTACHed
 * read-only and every mapped table copied with INSERT INTO main.t SELECT * FROM src.t, then the
 * sources' indexes (and, for whole files, views and triggers) are created. Same tables, same
 * rows, same indexes as ferry's run; sqlite3's default settings.
 */
function writeFloor(estate: Estate, dir: string): Map<string, FloorStatement[]> {
  const floorDir = path.join(dir, 'floor');
  fs.mkdirSync(floorDir, { recursive: true });
  fs.mkdirSync(path.join(dir, 'consolidated'), { recursive: true });
  const plans = new Map<string, FloorStatement[]>();
  for (const target of TARGETS) {
    const files = estate.files.filter((f) => f.target === target);
    if (!files.length) continue;
    const creates: FloorStatement[] = [];
    const copies: FloorStatement[] = [];
    const indexes: FloorStatement[] = [];
    const post: FloorStatement[] = [];
    const seenTables = new Set<string>();
    const seenObjects = new Set<string>();
    for (const f of files) {
      const abs = path.join(dir, 'sources', f.file);
      const db = new Database(path.join(estate.sourceDir, f.file), { readonly: true });
      let schema: { type: string; name: string; tbl_name: string; sql: string | null }[];
      try {
        schema = db.prepare(`SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY rowid`).all() as typeof schema;
      } finally {
        db.close();
      }
      const mapped = new Set(f.tables.filter((t) => t.mapped).map((t) => t.name));
      copies.push({ kind: 'attach', sql: `ATTACH DATABASE '${uri(abs).replace(/'/g, "''")}' AS src;` });
      for (const o of schema) {
        if (o.type !== 'table' || o.name.startsWith('sqlite_') || !mapped.has(o.name)) continue;
        if (!seenTables.has(o.name)) {
          seenTables.add(o.name);
          creates.push({ kind: 'create', sql: `${o.sql};` });
        }
        copies.push({ kind: 'insert', sql: `INSERT INTO main.${qi(o.name)} SELECT * FROM src.${qi(o.name)};` });
      }
      copies.push({ kind: 'detach', sql: `DETACH DATABASE src;` });
      for (const o of schema) {
        if (!o.sql || o.type === 'table' || seenObjects.has(o.name)) continue;
        if (o.type === 'index' && mapped.has(o.tbl_name)) {
          seenObjects.add(o.name);
          indexes.push({ kind: 'index', sql: `${o.sql};` });
        } else if ((o.type === 'view' || o.type === 'trigger') && !f.tablesKey) {
          seenObjects.add(o.name);
          post.push({ kind: 'post', sql: `${o.sql};` });
        }
      }
    }
    const all = [...creates, ...copies, ...indexes, ...post];
    // Ferry leaves a target in WAL mode when one of its sources was; the floor ends the same way.
    if (files.some((f) => f.wal)) all.push({ kind: 'pragma', sql: `PRAGMA journal_mode = WAL;` });
    plans.set(target, all);
    const script = ['.bail on', '.timer on', ...all.map((s) => s.sql), '.timer off', '.shell sh floor/probe.sh $PPID', ''].join('\n');
    fs.writeFileSync(path.join(floorDir, `${target.replace(/\.db$/, '')}.sql`), script);
  }
  // Run by each sqlite3 at its end (.shell; $PPID there is the sqlite3 process): its own peak
  // RSS, I/O counters and CPU time, read from /proc before it exits.
  fs.writeFileSync(
    path.join(floorDir, 'probe.sh'),
    `pid=$1
grep VmHWM /proc/$pid/status
cat /proc/$pid/io
set -- $(cut -d')' -f2 /proc/$pid/stat)
echo "cpu-ticks \${12} \${13}"
`,
  );
  const sh = `#!/usr/bin/env bash
# The floor: one sqlite3 process per target, one after another.
set -euo pipefail
cd "$(dirname "$0")"
for t in ${[...plans.keys()].map((t) => t.replace(/\.db$/, '')).join(' ')}; do
  start=$(date +%s.%N)
  sqlite3 "consolidated/$t.db" < "floor/$t.sql"
  echo "floor-target $t.db $start $(date +%s.%N)"
done
`;
  fs.writeFileSync(path.join(dir, 'floor.sh'), sh, { mode: 0o755 });
  return plans;
}

interface FloorResult {
  wallMs: number;
  peakRssKb: number;
  targets: { target: string; ms: number; hwmKb: number; insertMs: number; indexMs: number; otherMs: number; io: ProcIo; cpuMs: number }[];
  /** Bytes the sqlite3 processes passed to write() (wchar), summed. */
  wcharBytes: number;
  /** CPU time of the sqlite3 processes (user + system), summed. */
  cpuMs: number;
  counts: Record<string, number>;
  bytes: number;
}

async function runFloor(estate: Estate, dir: string): Promise<FloorResult> {
  freshCopy(estate, dir);
  const plans = writeFloor(estate, dir);
  const r = await runChild('bash', [path.join(dir, 'floor.sh')], dir);
  if (r.code !== 0) throw new Error(`floor failed (${r.code}): ${r.stderr}`);
  const targets: FloorResult['targets'] = [];
  // Each sqlite3 prints its statement timers and its own VmHWM, then the script the target's times.
  let block: string[] = [];
  for (const line of r.stdout.split('\n')) {
    const m = /^floor-target (\S+) (\S+) (\S+)$/.exec(line);
    if (!m) {
      block.push(line);
      continue;
    }
    const target = m[1]!;
    const times = block
      .map((l) => /^Run Time: real ([\d.]+)/.exec(l))
      .filter((x) => x !== null)
      .map((x) => Number(x[1]) * 1000);
    const hwm = Number(block.map((l) => /^VmHWM:\s+(\d+)/.exec(l)?.[1]).find((x) => x !== undefined) ?? 0);
    const plan = plans.get(target) ?? [];
    let insertMs = 0;
    let indexMs = 0;
    let otherMs = 0;
    if (times.length === plan.length) {
      plan.forEach((s, i) => {
        if (s.kind === 'insert') insertMs += times[i]!;
        else if (s.kind === 'index') indexMs += times[i]!;
        else otherMs += times[i]!;
      });
    } else process.stderr.write(`  (floor ${target}: ${times.length} timer lines for ${plan.length} statements; no breakdown)\n`);
    const ticks = block.map((l) => /^cpu-ticks (\d+) (\d+)/.exec(l)).find((x) => x);
    const cpuMs = ticks ? ((Number(ticks[1]) + Number(ticks[2])) * 1000) / CLK_TCK : NaN;
    targets.push({ target, ms: (Number(m[3]) - Number(m[2])) * 1000, hwmKb: hwm, insertMs, indexMs, otherMs, io: parseIo(block.join('\n')), cpuMs });
    block = [];
  }
  const peakRssKb = Math.max(r.sampler.maxHwmKb(), ...targets.map((t) => t.hwmKb), r.sampler.treeRssKb);
  const out = path.join(dir, 'consolidated');
  return {
    wallMs: r.wallMs,
    peakRssKb,
    targets,
    wcharBytes: targets.reduce((a, t) => a + t.io.wchar, 0),
    cpuMs: targets.reduce((a, t) => a + t.cpuMs, 0),
    counts: countTargets(out),
    bytes: targetBytes(out),
  };
}

// ---------------------------------------------------------------------------------------------
// Ferry.

interface PieceLine {
  target: string;
  table: string;
  source: string;
  rows: number;
  ms: number;
  index: number;
}

interface FerryTargetPhases {
  target: string;
  ms: number;
  /** Sum of the pieces' own time (attach, rowid span, chunked INSERT ... SELECT). */
  copyMs: number;
  /** Between one piece's end and the next one's start: a table's indexes are built after its first piece. */
  gapMs: number;
  /** After the last piece: its table's indexes if it was a first piece, triggers/views, sequences, report (counts, FK check), checkpoint, fsync, rename. */
  tailMs: number;
  /** Before the first piece: creating the partial file and the tables. */
  headMs: number;
  /** Rows per second of first pieces (empty table, no indexes) and later pieces (indexes in place). */
  firstPieceRowsPerSec: number | null;
  laterPieceRowsPerSec: number | null;
}

interface FerryResult {
  wallMs: number;
  /** In-process: from consolidate() being called to it returning. */
  jobMs: number;
  /** Process start-up and exit around the job (node, module loading). */
  processMs: number;
  planMs: number;
  backupMs: number;
  buildMs: number;
  /** The goal's figure: the whole process's wall time without the backup step. */
  noBackupMs: number;
  peakRssKb: number;
  hwmAtPlanDoneKb: number;
  hwmAtBackupDoneKb: number;
  /** Bytes passed to write() by the backup step and by the build (after backup-done). */
  backupWcharBytes: number;
  buildWcharBytes: number;
  /** CPU time of the ferry process (all threads), user + system. */
  cpuMs: number;
  targets: FerryTargetPhases[];
  pieces: PieceLine[];
  counts: Record<string, number>;
  bytes: number;
  /** ferry's events with the process's RSS at each (ms since process start). */
  timeline: TimelineEntry[];
  verify: { wallMs: number; cpuMs: number; peakRssKb: number; ok: boolean; tables: number; failed: string[]; error?: string } | null;
}

async function runFerry(estate: Estate, dir: string, skipVerify: boolean): Promise<FerryResult> {
  freshCopy(estate, dir);
  const config = path.join(dir, 'ferry.config.json');
  const outFile = path.join(dir, 'consolidate.json');
  const r = await runChild(process.execPath, [RUNNER, 'consolidate', config, outFile], dir);
  const o = JSON.parse(fs.readFileSync(outFile, 'utf8')) as RunnerOutput;
  if (!o.ok) throw new Error(`ferry consolidate failed: ${o.error ?? r.stderr}`);
  const at = (type: string) => o.timeline.find((e) => e.type === type)?.t ?? NaN;
  const backupStart = at('backup-start');
  const backupDone = at('backup-done');
  const backupMs = backupDone - backupStart;
  const pieces: PieceLine[] = [];
  const targets: FerryTargetPhases[] = [];
  const tl = o.timeline;
  for (const target of TARGETS) {
    const i0 = tl.findIndex((e) => e.type === 'target-start' && e.target === target);
    const i1 = tl.findIndex((e) => e.type === 'target-done' && e.target === target);
    if (i0 < 0 || i1 < 0) continue;
    const events = tl.slice(i0, i1 + 1);
    const done = events.filter((e) => e.type === 'piece-done');
    const seen = new Map<string, number>();
    // A piece's own timer starts before its ATTACH; piece-done carries it, so start = t - ms.
    const startOf = (e: TimelineEntry) => e.t - (e.ms ?? 0);
    let gapMs = 0;
    done.forEach((e, k) => {
      const idx = seen.get(e.table!) ?? 0;
      seen.set(e.table!, idx + 1);
      pieces.push({ target, table: e.table!, source: e.source!, rows: e.rows ?? 0, ms: e.ms ?? 0, index: idx });
      if (k + 1 < done.length) gapMs += startOf(done[k + 1]!) - e.t;
    });
    const copyMs = done.reduce((s, e) => s + (e.ms ?? 0), 0);
    const headMs = done.length ? startOf(done[0]!) - events[0]!.t : 0;
    const tailMs = done.length ? events[events.length - 1]!.t - done[done.length - 1]!.t : 0;
    const rate = (ps: PieceLine[]) => {
      const rows = ps.reduce((s, p) => s + p.rows, 0);
      const ms = ps.reduce((s, p) => s + p.ms, 0);
      return ms > 0 ? Math.round((rows / ms) * 1000) : null;
    };
    const mine = pieces.filter((p) => p.target === target);
    const merged = new Set(mine.filter((p) => p.index > 0).map((p) => p.table));
    targets.push({
      target,
      ms: tl[i1]!.ms ?? tl[i1]!.t - tl[i0]!.t,
      copyMs,
      gapMs,
      tailMs,
      headMs,
      firstPieceRowsPerSec: rate(mine.filter((p) => p.index === 0 && merged.has(p.table))),
      laterPieceRowsPerSec: rate(mine.filter((p) => p.index > 0)),
    });
  }
  const out = path.join(dir, 'consolidated');
  const result: FerryResult = {
    wallMs: r.wallMs,
    jobMs: o.jobEnd - o.jobStart,
    processMs: r.wallMs - (o.jobEnd - o.jobStart),
    planMs: backupStart - o.jobStart,
    backupMs,
    buildMs: o.jobEnd - backupDone,
    noBackupMs: r.wallMs - backupMs,
    peakRssKb: Math.max(o.peakRssKb, r.sampler.maxHwmKb(), r.sampler.treeRssKb),
    hwmAtPlanDoneKb: o.timeline.find((e) => e.type === 'backup-start')?.hwmKb ?? 0,
    hwmAtBackupDoneKb: o.timeline.find((e) => e.type === 'backup-done')?.hwmKb ?? 0,
    backupWcharBytes: o.ioAtBackupDone?.wchar ?? 0,
    buildWcharBytes: (o.ioAtEnd?.wchar ?? 0) - (o.ioAtBackupDone?.wchar ?? 0),
    cpuMs: o.cpuMs ?? NaN,
    targets,
    pieces,
    counts: countTargets(out),
    bytes: targetBytes(out),
    timeline: o.timeline,
    verify: null,
  };
  if (!skipVerify) {
    const vOut = path.join(dir, 'verify.json');
    const v = await runChild(process.execPath, [RUNNER, 'verify', config, vOut], dir);
    const vo = JSON.parse(fs.readFileSync(vOut, 'utf8')) as RunnerOutput;
    // verify did not run at all (e.g. verifyConsolidation() missing): not measured, not "slow".
    if (vo.verifiedTables === undefined) {
      process.stderr.write(`  TODO: verify not measured: ${vo.error?.split('\n')[0] ?? 'no result'}\n`);
      return result;
    }
    result.verify = {
      wallMs: v.wallMs,
      cpuMs: vo.cpuMs ?? NaN,
      peakRssKb: Math.max(vo.peakRssKb, v.sampler.maxHwmKb(), v.sampler.treeRssKb),
      ok: vo.ok,
      tables: vo.verifiedTables ?? 0,
      failed: vo.failedTables ?? [],
      error: vo.error?.split('\n')[0],
    };
  }
  return result;
}

// ---------------------------------------------------------------------------------------------

interface ScaleResult {
  rows: number;
  movedRows: number;
  files: number;
  estateBytes: number;
  estateReused: boolean;
  runs: { floor: FloorResult; ferry: FerryResult; countsMatch: boolean; countDiffs: string[] }[];
}

function machine(): Record<string, string> {
  const cli = spawnSync('sqlite3', ['--version'], { encoding: 'utf8' }).stdout.trim().split(' ')[0] ?? '?';
  const db = new Database(':memory:');
  const lib = db.prepare('SELECT sqlite_version()').pluck().get() as string;
  db.close();
  const pkg = JSON.parse(fs.readFileSync(path.join(HERE, '..', '..', 'node_modules', 'better-sqlite3', 'package.json'), 'utf8')) as { version: string };
  const df = spawnSync('df', ['-h', WORK_DIR], { encoding: 'utf8' }).stdout.trim().split('\n').pop() ?? '';
  const git = (...a: string[]) => spawnSync('git', a, { cwd: path.join(HERE, '..', '..'), encoding: 'utf8' }).stdout?.trim() ?? '';
  const head = git('rev-parse', '--short', 'HEAD');
  const dirty = git('status', '--porcelain', '--', 'src') !== '';
  return {
    ferry: head ? `${head}${dirty ? ' + uncommitted changes in src/' : ''}` : '?',
    cpus: `${os.availableParallelism?.() ?? os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}`,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    sqlite3Cli: cli,
    betterSqlite3: `${pkg.version} (SQLite ${lib})`,
    disk: df.replace(/\s+/g, ' '),
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const sec = (ms: number) => (ms / 1000).toFixed(2) + ' s';
const mb = (kb: number) => (kb / 1024).toFixed(0) + ' MB';
const n = (x: number) => x.toLocaleString('en-US');

type Run = ScaleResult['runs'][number];

/** Median, and the range when there were several runs. */
function stat(runs: Run[], f: (r: Run) => number, fmt: (x: number) => string): string {
  const xs = runs.map(f);
  const m = fmt(median(xs));
  return xs.length > 1 ? `${m} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})` : m;
}

function summarize(scales: ScaleResult[]): string {
  const lines: string[] = [];
  lines.push('Medians over the runs, (min–max) when there were several. Ferry time = its whole process wall time minus the backup step.');
  lines.push('');
  lines.push(
    '| rows (moved) | runs | floor time | ferry time (no backup) | ratio | ferry backup | ferry total | verify | floor peak RSS | ferry peak RSS | verify peak RSS |',
  );
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const s of scales) {
    const runs = s.runs;
    const hasVerify = runs.every((r) => r.ferry.verify);
    lines.push(
      `| ${n(s.rows)} (${n(s.movedRows)}) | ${runs.length} | ${stat(runs, (r) => r.floor.wallMs, sec)} | ${stat(runs, (r) => r.ferry.noBackupMs, sec)} | ${stat(
        runs,
        (r) => r.ferry.noBackupMs / r.floor.wallMs,
        (x) => x.toFixed(2) + 'x',
      )} | ${stat(runs, (r) => r.ferry.backupMs, sec)} | ${stat(runs, (r) => r.ferry.wallMs, sec)} | ${hasVerify ? stat(runs, (r) => r.ferry.verify!.wallMs, sec) : 'n/a'} | ${stat(runs, (r) => r.floor.peakRssKb, mb)} | ${stat(runs, (r) => r.ferry.peakRssKb, mb)} | ${hasVerify ? stat(runs, (r) => r.ferry.verify!.peakRssKb, mb) : 'n/a'} |`,
    );
  }
  lines.push('');
  for (const s of scales) {
    const runs = s.runs;
    const r = runs[runs.length - 1]!;
    lines.push(`### ${n(s.rows)} rows`);
    lines.push('');
    lines.push(
      `Ferry phases (medians): plan ${stat(runs, (x) => x.ferry.planMs, sec)}, backup ${stat(runs, (x) => x.ferry.backupMs, sec)}, build ${stat(runs, (x) => x.ferry.buildMs, sec)}, process start/exit ${stat(runs, (x) => x.ferry.processMs, sec)}.`,
    );
    lines.push(
      `Ferry RSS high-water mark: ${stat(runs, (x) => x.ferry.hwmAtPlanDoneKb, mb)} after planning, ${stat(runs, (x) => x.ferry.hwmAtBackupDoneKb, mb)} after the backup, ${stat(runs, (x) => x.ferry.peakRssKb, mb)} at the end.`,
    );
    lines.push(
      `CPU time (user + system): floor ${stat(runs, (x) => x.floor.cpuMs, sec)}, ferry ${stat(runs, (x) => x.ferry.cpuMs, sec)} (backup included)${runs.every((x) => x.ferry.verify) ? `, verify ${stat(runs, (x) => x.ferry.verify!.cpuMs, sec)}` : ''}.`,
    );
    lines.push(
      `Bytes written (write() calls): floor ${stat(
        runs,
        (x) => x.floor.wcharBytes / 2 ** 20,
        (v) => v.toFixed(0) + ' MB',
      )}, ferry build ${stat(
        runs,
        (x) => x.ferry.buildWcharBytes / 2 ** 20,
        (v) => v.toFixed(0) + ' MB',
      )}, ferry backup ${stat(
        runs,
        (x) => x.ferry.backupWcharBytes / 2 ** 20,
        (v) => v.toFixed(0) + ' MB',
      )}; target files: floor ${(r.floor.bytes / 2 ** 20).toFixed(0)} MB, ferry ${(r.ferry.bytes / 2 ** 20).toFixed(0)} MB.`,
    );
    lines.push('');
    lines.push('Per target (last run):');
    lines.push('');
    lines.push(
      '| target | floor | floor INSERTs | floor indexes | ferry build | ferry copy (pieces) | ferry between pieces (index builds) | ferry after last piece | ferry rows/s, first piece of a merged table | later pieces |',
    );
    lines.push('|---|---|---|---|---|---|---|---|---|---|');
    for (const t of r.ferry.targets) {
      const f = r.floor.targets.find((x) => x.target === t.target);
      lines.push(
        `| ${t.target} | ${f ? sec(f.ms) : '?'} | ${f ? sec(f.insertMs) : '?'} | ${f ? sec(f.indexMs) : '?'} | ${sec(t.ms)} | ${sec(t.copyMs)} | ${sec(t.gapMs)} | ${sec(t.tailMs)} | ${t.firstPieceRowsPerSec !== null ? n(t.firstPieceRowsPerSec) : '-'} | ${t.laterPieceRowsPerSec !== null ? n(t.laterPieceRowsPerSec) : '-'} |`,
      );
    }
    lines.push('');
    lines.push(
      `Row counts, floor vs ferry: ${runs.every((x) => x.countsMatch) ? 'identical in every table, every run' : 'DIFFER: ' + runs.flatMap((x) => x.countDiffs).join('; ')}.`,
    );
    if (r.ferry.verify)
      lines.push(
        `Verify: ${runs.every((x) => x.ferry.verify!.ok) ? 'ok' : 'NOT ok'}, ${r.ferry.verify.tables} tables${r.ferry.verify.error ? ` (${r.ferry.verify.error})` : ''}.`,
      );
    lines.push('');
  }
  lines.push('### Goals');
  lines.push('');
  const ratioOf = (s: ScaleResult) => median(s.runs.map((r) => r.ferry.noBackupMs / r.floor.wallMs));
  const base = scales[0]!;
  const worst = Math.max(...scales.map(ratioOf));
  const bestOf = (s: ScaleResult) => Math.min(...s.runs.map((r) => r.ferry.noBackupMs)) / Math.min(...s.runs.map((r) => r.floor.wallMs));
  lines.push(
    `- ferry (backup and verify apart) within ${GOAL_RATIO}x the floor: ${worst <= GOAL_RATIO ? 'MET' : 'MISSED'} (${scales.map((s) => `${ratioOf(s).toFixed(2)}x at ${n(s.rows)} rows${s.runs.length > 1 ? `, best run against best run ${bestOf(s).toFixed(2)}x` : ''}`).join('; ')}).`,
  );
  const peak = Math.max(...scales.flatMap((s) => s.runs.map((r) => r.ferry.peakRssKb))) / 1024;
  lines.push(
    `- ferry peak RSS under ${GOAL_PEAK_MB} MB: ${peak < GOAL_PEAK_MB ? 'MET' : 'MISSED'} (highest ${peak.toFixed(0)} MB; ${scales.map((s) => `${mb(median(s.runs.map((r) => r.ferry.peakRssKb)))} at ${n(s.rows)}`).join(', ')}).`,
  );
  if (scales.length > 1) {
    const p1 = median(base.runs.map((r) => r.ferry.peakRssKb));
    const p10 = median(scales[1]!.runs.map((r) => r.ferry.peakRssKb));
    lines.push(
      `- ferry peak flat at 10x the rows (at most +${FLAT_TOLERANCE * 100}%): ${p10 <= p1 * (1 + FLAT_TOLERANCE) ? 'MET' : 'MISSED'} (${mb(p1)} -> ${mb(p10)}, ${p10 >= p1 ? '+' : ''}${(((p10 - p1) / p1) * 100).toFixed(0)}%).`,
    );
  } else lines.push('- ferry peak flat at 10x the rows: not measured in this run (use --scale10).');
  for (const s of scales) {
    if (!s.runs.every((r) => r.ferry.verify)) {
      lines.push(`- verify within the consolidation's time: not measured at ${n(s.rows)} rows.`);
      continue;
    }
    const v = median(s.runs.map((r) => r.ferry.verify!.wallMs));
    const c = median(s.runs.map((r) => r.ferry.noBackupMs));
    const w = median(s.runs.map((r) => r.ferry.wallMs));
    lines.push(
      `- verify within the consolidation's time at ${n(s.rows)} rows: ${v <= c ? 'MET' : v <= w ? 'MET only against the whole run with backup' : 'MISSED'} (verify ${sec(v)}; consolidation ${sec(c)} without its backup, ${sec(w)} with it).`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(RUNNER)) throw new Error(`${RUNNER} is missing; build first (npx tsc -p tsconfig.json)`);
  const info = machine();
  process.stderr.write(`machine: ${JSON.stringify(info)}\n`);
  const scales: ScaleResult[] = [];
  const plan = args.scale10
    ? [
        { rows: args.rows, repeat: args.repeat },
        { rows: args.rows * 10, repeat: args.repeat10 },
      ]
    : [{ rows: args.rows, repeat: args.repeat }];
  for (const { rows, repeat } of plan) {
    const estate = await ensureEstate({ rows, files: args.files });
    process.stderr.write(
      `estate ${estate.dir}${estate.reused ? ' (cached)' : ''}: ${estate.files.length} files, ${n(rows)} rows (${n(estate.movedRows)} mapped), ${(estate.bytes / 2 ** 20).toFixed(0)} MB\n`,
    );
    const s: ScaleResult = {
      rows,
      movedRows: estate.movedRows,
      files: estate.files.length,
      estateBytes: estate.bytes,
      estateReused: !!estate.reused,
      runs: [],
    };
    const runDir = path.join(WORK_DIR, 'runs', `r${rows}`);
    for (let i = 0; i < repeat; i++) {
      // Alternate which goes first, so neither always runs on a warmer (or busier) machine.
      let floor: FloorResult | undefined;
      let ferry: FerryResult | undefined;
      const doFloor = async () => {
        floor = await runFloor(estate, path.join(runDir, 'floor'));
        process.stderr.write(`  run ${i + 1}: floor ${sec(floor.wallMs)}, peak ${mb(floor.peakRssKb)}\n`);
        if (!args.keep) fs.rmSync(path.join(runDir, 'floor'), { recursive: true, force: true });
      };
      const doFerry = async () => {
        ferry = await runFerry(estate, path.join(runDir, 'ferry'), args.skipVerify);
        process.stderr.write(
          `  run ${i + 1}: ferry ${sec(ferry.wallMs)} (backup ${sec(ferry.backupMs)}, without it ${sec(ferry.noBackupMs)}), peak ${mb(ferry.peakRssKb)}${ferry.verify ? `; verify ${sec(ferry.verify.wallMs)} ${ferry.verify.ok ? 'ok' : 'NOT OK'}, peak ${mb(ferry.verify.peakRssKb)}` : ''}\n`,
        );
        if (!args.keep) fs.rmSync(path.join(runDir, 'ferry'), { recursive: true, force: true });
      };
      if (i % 2 === 0) {
        await doFloor();
        await doFerry();
      } else {
        await doFerry();
        await doFloor();
      }
      const fl = floor!;
      const fe = ferry!;
      const keys = new Set([...Object.keys(fl.counts), ...Object.keys(fe.counts)]);
      const countDiffs = [...keys].filter((k) => fl.counts[k] !== fe.counts[k]).map((k) => `${k}: floor ${fl.counts[k]}, ferry ${fe.counts[k]}`);
      if (Object.keys(fl.counts).length === 0) countDiffs.push('floor produced no tables');
      s.runs.push({ floor: fl, ferry: fe, countsMatch: countDiffs.length === 0, countDiffs });
    }
    scales.push(s);
  }
  const summary = summarize(scales);
  const resultsDir = path.join(WORK_DIR, 'results');
  fs.mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `consolidate-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify({ args, machine: info, scales, summary }, null, 2) + '\n');
  process.stdout.write(summary + '\n\nFull results: ' + path.relative(process.cwd(), file) + '\n');
}

await main();
