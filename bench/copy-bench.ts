/**
 * The copy benchmark: one generated SQLite file (bench/copy-dataset.ts; 1,250,000 rows in six
 * tables at scale 1) copied into PostgreSQL by
 *   - the floor, two ways (bench/copy-floor.ts): `sqlite3 -csv` to files then `psql \copy`
 *     (sequential), and `sqlite3 -csv | psql \copy` per table (piped); then keys and indexes;
 *   - pgloader with its defaults (bench/copy-pgloader.ts);
 *   - `ferry copy`, then `ferry verify` on its result (bench/copy-ferry.ts);
 * each into a fresh database, each timed with the peak memory of its process tree, each result
 * checked against the source (row counts, types, keys, a sample of values compared by meaning).
 *
 *   npm run bench:copy -- [--scale N[,M]] [--scale10] [--only floor,pgloader,ferry] [--runs N] [--keep]
 *   node dist/bench/copy-bench.js [same options]
 *
 * Results: a Markdown summary on stdout and bench/work/copy-results-<scale>.json.
 * PostgreSQL: 127.0.0.1:5432, user postgres, trust auth (BENCH_PGHOST/BENCH_PGPORT/BENCH_PGUSER).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureDataset, TABLES, WORK_DIR, type Dataset } from './copy-dataset.js';
import { checkTarget, dropDatabase, pgServerVersion, runFloor, type FloorResult, type TargetCheck } from './copy-floor.js';
import { pgloaderVersion, runPgloader, type PgloaderResult } from './copy-pgloader.js';
import { runFerryCopy, runFerryVerify, type FerryJobResult } from './copy-ferry.js';
import { fmtStat, mb, sec, stat, type Stat } from './bench-stats.js';

const GOAL_VS_PGLOADER = 0.5;
const GOAL_VS_FLOOR = 1.2;
const GOAL_PEAK_MB = 200;
const GOAL_VERIFY = 0.5;
const FLAT_TOLERANCE = 0.1;

type Job = 'floor' | 'pgloader' | 'ferry';
const ALL_JOBS: Job[] = ['floor', 'pgloader', 'ferry'];

interface Args {
  scales: number[];
  only: Job[];
  runs: number;
  keep: boolean;
  checks: boolean;
  ferryArgs: string[];
  /** Let `ferry copy` run its own verification at the end (its default); off: `--no-verify`. */
  copyVerifies: boolean;
  /** Extra options for pgloader, before the source (e.g. --dynamic-space-size 4096). */
  pgloaderArgs: string[];
}

function parseArgs(argv: string[]): Args {
  const a: Args = { scales: [1], only: ALL_JOBS, runs: 1, keep: false, checks: true, ferryArgs: [], copyVerifies: false, pgloaderArgs: [] };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${k} needs a value`);
      return v;
    };
    if (k === '--scale') {
      a.scales = val().split(',').map(Number);
      if (a.scales.some((s) => !(s > 0))) throw new Error('--scale needs positive numbers');
    } else if (k === '--scale10') a.scales = [1, 10];
    else if (k === '--only') {
      const jobs = val()
        .split(',')
        .map((s) => s.trim()) as Job[];
      for (const j of jobs) if (!ALL_JOBS.includes(j)) throw new Error(`--only: unknown job ${j} (floor, pgloader, ferry)`);
      a.only = jobs;
    } else if (k === '--runs') {
      a.runs = Math.floor(Number(val()));
      if (!(a.runs > 0)) throw new Error('--runs needs a positive number');
    } else if (k === '--keep') a.keep = true;
    else if (k === '--no-checks') a.checks = false;
    else if (k === '--ferry-arg') a.ferryArgs.push(val());
    else if (k === '--copy-verifies') a.copyVerifies = true;
    else if (k === '--pgloader-arg') a.pgloaderArgs.push(val());
    else if (k === '--help' || k === '-h') {
      process.stdout.write(
        'node dist/bench/copy-bench.js [--scale N[,M]] [--scale10] [--only floor,pgloader,ferry] [--runs N] [--keep] [--no-checks] [--copy-verifies] [--ferry-arg ARG]... [--pgloader-arg ARG]...\n',
      );
      process.exit(0);
    } else throw new Error(`unknown option ${k}`);
  }
  return a;
}

const log = (s: string) => process.stderr.write(s + '\n');

interface ScaleResult {
  scale: number;
  dataset: Dataset;
  runs: number;
  floorSequential: FloorResult[];
  floorPiped: FloorResult[];
  pgloader: PgloaderResult[];
  ferryCopy: FerryJobResult[];
  ferryVerify: FerryJobResult[];
  /** The check of each job's database after its first run (and later runs' problems, if different). */
  checks: Record<string, TargetCheck | { error: string }>;
  laterCheckProblems: Record<string, string[][]>;
  summary: Record<string, Stat | number | null>;
  goals: { goal: string; value: string; met: boolean | null }[];
}

async function check(ds: Dataset, db: string, args: Args): Promise<TargetCheck | { error: string }> {
  if (!args.checks) return { error: 'checks skipped (--no-checks)' };
  try {
    return await checkTarget(ds, db);
  } catch (e) {
    return { error: (e as Error).message };
  }
}

function recordCheck(sr: ScaleResult, key: string, run: number, c: TargetCheck | { error: string }): void {
  if (run === 0) sr.checks[key] = c;
  else {
    const p = 'problems' in c ? c.problems : [c.error];
    (sr.laterCheckProblems[key] ??= []).push(p);
  }
  const p = 'problems' in c ? c.problems : [c.error];
  log(p.length ? `    check: ${p.length} problem(s): ${p.slice(0, 4).join(' | ')}${p.length > 4 ? ' ...' : ''}` : '    check: same as the source');
}

async function runScale(scale: number, args: Args): Promise<ScaleResult> {
  log(`\n== scale ${scale}`);
  const ds = ensureDataset(scale, { log });
  log(
    `dataset ${ds.file}: ${ds.rows.toLocaleString('en-US')} rows, ${(ds.bytes / 1048576).toFixed(1)} MiB${ds.reused ? ' (cached)' : `, made in ${sec(ds.generatedMs)}`}`,
  );
  const sr: ScaleResult = {
    scale,
    dataset: ds,
    runs: args.runs,
    floorSequential: [],
    floorPiped: [],
    pgloader: [],
    ferryCopy: [],
    ferryVerify: [],
    checks: {},
    laterCheckProblems: {},
    summary: {},
    goals: [],
  };
  const tag = `s${String(scale).replace('.', '_')}`;
  const dbs = {
    seq: `bench_copy_${tag}_floor_seq`,
    pipe: `bench_copy_${tag}_floor_pipe`,
    pgloader: `bench_copy_${tag}_pgloader`,
    ferry: `bench_copy_${tag}_ferry`,
  };
  type Step = 'floor-seq' | 'floor-pipe' | 'pgloader' | 'ferry';
  const steps: Step[] = [];
  if (args.only.includes('floor')) steps.push('floor-seq', 'floor-pipe');
  if (args.only.includes('pgloader')) steps.push('pgloader');
  if (args.only.includes('ferry')) steps.push('ferry');
  let ferryUnavailable = false;

  for (let run = 0; run < args.runs; run++) {
    // rotate the order so no job always runs first (cold cache) or last
    const order = steps.map((_, i) => steps[(i + run) % steps.length]!);
    log(`-- run ${run + 1}/${args.runs}: ${order.join(', ')}`);
    for (const step of order) {
      if (step === 'floor-seq' || step === 'floor-pipe') {
        const mode = step === 'floor-seq' ? 'sequential' : 'piped';
        const db = step === 'floor-seq' ? dbs.seq : dbs.pipe;
        log(`  floor (${mode})`);
        const r = await runFloor(ds, db, mode, log);
        (mode === 'sequential' ? sr.floorSequential : sr.floorPiped).push(r);
        if (!r.ok) log(`    FAILED: ${r.error}`);
        else {
          log(
            `    total ${sec(r.totalMs)}: create ${sec(r.createMs)}, ${mode === 'sequential' ? `export ${sec(r.exportMs)} + \\copy ${sec(r.loadMs)}` : `pipes ${sec(r.loadMs)}`}, keys and indexes ${sec(r.keysMs)}`,
          );
          recordCheck(sr, step, run, await check(ds, db, args));
        }
      } else if (step === 'pgloader') {
        log('  pgloader');
        const r = await runPgloader(ds, dbs.pgloader, args.pgloaderArgs);
        sr.pgloader.push(r);
        if (!r.available) log(`    not available: ${r.error}`);
        else {
          log(
            `    ${sec(r.wallMs)}, peak ${mb(r.peakKb)}, exit ${r.exitCode}${r.errors.length ? `, ${r.errors.length} ERROR/WARNING line(s): ${r.errors.slice(0, 3).join(' | ')}` : ''}`,
          );
          recordCheck(sr, step, run, await check(ds, dbs.pgloader, args));
        }
      } else {
        if (ferryUnavailable) continue;
        log('  ferry copy');
        const c = await runFerryCopy(ds, dbs.ferry, [...(args.copyVerifies ? [] : ['--no-verify']), ...args.ferryArgs]);
        sr.ferryCopy.push(c);
        if (!c.ok) {
          log(`    FAILED${c.available ? '' : ' (command not available yet)'}: ${c.error?.split('\n').slice(0, 6).join('\n      ')}`);
          if (!c.available) ferryUnavailable = true;
          continue;
        }
        log(`    ${sec(c.wallMs)}, peak ${mb(c.peakKb)}`);
        recordCheck(sr, 'ferry', run, await check(ds, dbs.ferry, args));
        log('  ferry verify');
        const v = await runFerryVerify(ds, dbs.ferry);
        sr.ferryVerify.push(v);
        if (!v.ok) log(`    FAILED${v.available ? '' : ' (command not available yet)'}: ${v.error?.split('\n').slice(0, 6).join('\n      ')}`);
        else log(`    ${sec(v.wallMs)}, peak ${mb(v.peakKb)}`);
      }
    }
  }
  if (!args.keep) for (const db of Object.values(dbs)) dropDatabase(db);
  summarize(sr);
  return sr;
}

function summarize(sr: ScaleResult): void {
  const okF = (xs: FloorResult[]) => xs.filter((x) => x.ok);
  const seq = okF(sr.floorSequential);
  const pipe = okF(sr.floorPiped);
  const pgl = sr.pgloader.filter((x) => x.available && x.wallMs > 0);
  const fc = sr.ferryCopy.filter((x) => x.ok);
  const fv = sr.ferryVerify.filter((x) => x.ok);
  const s = sr.summary;
  if (seq.length) {
    s.floorSequentialTotal = stat(seq.map((x) => x.totalMs));
    s.floorSequentialExport = stat(seq.map((x) => x.exportMs));
    s.floorSequentialLoad = stat(seq.map((x) => x.loadMs));
    s.floorSequentialKeys = stat(seq.map((x) => x.keysMs));
    s.floorSequentialCreate = stat(seq.map((x) => x.createMs));
  }
  if (pipe.length) {
    s.floorPipedTotal = stat(pipe.map((x) => x.totalMs));
    s.floorPipedLoad = stat(pipe.map((x) => x.loadMs));
    s.floorPipedKeys = stat(pipe.map((x) => x.keysMs));
  }
  if (pgl.length) {
    s.pgloaderWall = stat(pgl.map((x) => x.wallMs));
    s.pgloaderPeakKb = Math.max(...pgl.map((x) => x.peakKb));
  }
  if (fc.length) {
    s.ferryCopyWall = stat(fc.map((x) => x.wallMs));
    s.ferryCopyPeakKb = Math.max(...fc.map((x) => x.peakKb));
  }
  if (fv.length) {
    s.ferryVerifyWall = stat(fv.map((x) => x.wallMs));
    s.ferryVerifyPeakKb = Math.max(...fv.map((x) => x.peakKb));
  }
  const med = (k: string) => (s[k] as Stat | undefined)?.median;
  const ferry = med('ferryCopyWall');
  const g = sr.goals;
  const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined ? a / b : undefined);
  // A pgloader run that failed (its default heap runs out at scale 10) is no time to compare with.
  const pgloaderFailed = sr.pgloader.some((p) => p.available && p.exitCode !== 0);
  const r1 = pgloaderFailed ? undefined : ratio(ferry, med('pgloaderWall'));
  g.push({
    goal: `ferry copy ≤ ${GOAL_VS_PGLOADER}x pgloader`,
    value: pgloaderFailed
      ? 'pgloader failed (see its row)'
      : r1 !== undefined
        ? `${r1.toFixed(2)}x (${sec(ferry!)} vs ${sec(med('pgloaderWall')!)})`
        : 'pending',
    met: r1 !== undefined ? r1 <= GOAL_VS_PGLOADER : null,
  });
  const r2 = ratio(ferry, med('floorPipedTotal'));
  g.push({
    goal: `ferry copy ≤ ${GOAL_VS_FLOOR}x the floor (piped)`,
    value: r2 !== undefined ? `${r2.toFixed(2)}x (${sec(ferry!)} vs ${sec(med('floorPipedTotal')!)})` : 'pending',
    met: r2 !== undefined ? r2 <= GOAL_VS_FLOOR : null,
  });
  const r3 = ratio(ferry, med('floorSequentialTotal'));
  g.push({
    goal: `ferry copy ≤ ${GOAL_VS_FLOOR}x the floor (sequential, as PEERS.md)`,
    value: r3 !== undefined ? `${r3.toFixed(2)}x (${sec(ferry!)} vs ${sec(med('floorSequentialTotal')!)})` : 'pending',
    met: r3 !== undefined ? r3 <= GOAL_VS_FLOOR : null,
  });
  const peak = s.ferryCopyPeakKb as number | undefined;
  g.push({
    goal: `ferry copy peak < ${GOAL_PEAK_MB} MB`,
    value: peak !== undefined ? mb(peak) : 'pending',
    met: peak !== undefined ? peak / 1024 < GOAL_PEAK_MB : null,
  });
  const r4 = ratio(med('ferryVerifyWall'), ferry);
  g.push({
    goal: `ferry verify ≤ ${GOAL_VERIFY}x the copy`,
    value: r4 !== undefined ? `${r4.toFixed(2)}x (${sec(med('ferryVerifyWall')!)} vs ${sec(ferry!)})` : 'pending',
    met: r4 !== undefined ? r4 <= GOAL_VERIFY : null,
  });
}

function flatness(results: ScaleResult[]): { goal: string; value: string; met: boolean | null } | null {
  const peakOf = (scale: number): number | undefined => {
    const r = results.find((x) => x.scale === scale);
    if (r) return r.summary.ferryCopyPeakKb as number | undefined;
    const f = path.join(WORK_DIR, `copy-results-${scale}.json`);
    if (!fs.existsSync(f)) return undefined;
    return (JSON.parse(fs.readFileSync(f, 'utf8')) as ScaleResult).summary.ferryCopyPeakKb as number | undefined;
  };
  if (!results.some((r) => r.scale === 10)) return null;
  const a = peakOf(1);
  const b = peakOf(10);
  if (a === undefined || b === undefined) return { goal: 'ferry peak flat at 10x the rows', value: 'pending', met: null };
  return {
    goal: 'ferry peak flat at 10x the rows',
    value: `${mb(a)} → ${mb(b)} (${b >= a ? '+' : ''}${Math.round((b / a - 1) * 100)}%)`,
    met: b <= a * (1 + FLAT_TOLERANCE),
  };
}

function markdown(results: ScaleResult[], args: Args): string {
  const out: string[] = [];
  for (const sr of results) {
    const s = sr.summary;
    const ds = sr.dataset;
    out.push(
      `## Scale ${sr.scale}: ${ds.rows.toLocaleString('en-US')} rows, ${TABLES.length} tables, ${(ds.bytes / 1048576).toFixed(1)} MiB (${sr.runs} run${sr.runs > 1 ? 's' : ''}; median (min–max))`,
    );
    out.push('');
    out.push('| job | wall | phases | peak memory | result check |');
    out.push('|---|---|---|---|---|');
    const chk = (k: string) => {
      const c = sr.checks[k];
      if (!c) return '—';
      if ('error' in c) return `check failed: ${c.error}`;
      return c.problems.length ? `${c.problems.length} problem(s)` : 'same as the source';
    };
    const seqR = sr.floorSequential.filter((x) => x.ok);
    if (s.floorSequentialTotal) {
      out.push(
        `| floor, sequential (export to files, then \\copy) | ${fmtStat(s.floorSequentialTotal as Stat)} | create ${fmtStat(s.floorSequentialCreate as Stat)}, export ${fmtStat(s.floorSequentialExport as Stat)}, \\copy ${fmtStat(s.floorSequentialLoad as Stat)}, keys+indexes ${fmtStat(s.floorSequentialKeys as Stat)} | sqlite3 ${mb(Math.max(...seqR.map((x) => x.sqlitePeakKb)))}, psql ${mb(Math.max(...seqR.map((x) => x.psqlPeakKb)))} | ${chk('floor-seq')} |`,
      );
    } else if (sr.floorSequential.length) out.push(`| floor, sequential | failed | ${sr.floorSequential[0]!.error ?? ''} | | |`);
    const pipeR = sr.floorPiped.filter((x) => x.ok);
    if (s.floorPipedTotal) {
      out.push(
        `| floor, piped (sqlite3 -csv \\| psql \\copy) | ${fmtStat(s.floorPipedTotal as Stat)} | export+\\copy ${fmtStat(s.floorPipedLoad as Stat)}, keys+indexes ${fmtStat(s.floorPipedKeys as Stat)} | sqlite3 ${mb(Math.max(...pipeR.map((x) => x.sqlitePeakKb)))}, psql ${mb(Math.max(...pipeR.map((x) => x.psqlPeakKb)))} | ${chk('floor-pipe')} |`,
      );
    } else if (sr.floorPiped.length) out.push(`| floor, piped | failed | ${sr.floorPiped[0]!.error ?? ''} | | |`);
    if (sr.pgloader.length) {
      const p = sr.pgloader[0]!;
      if (!p.available) out.push(`| pgloader | not available | ${p.error} | | |`);
      else {
        const ph = p.phases;
        if (p.exitCode !== 0)
          out.push(
            `| pgloader ${p.version} | ${fmtStat(s.pgloaderWall as Stat)} | failed: exit ${p.exitCode}; ${p.errors.slice(-2).join(' ').replace(/\|/g, '\\|')} | ${mb(s.pgloaderPeakKb as number)} | ${chk('pgloader')} |`,
          );
        else
          out.push(
            `| pgloader ${p.version}${args.pgloaderArgs.length ? ` ${args.pgloaderArgs.join(' ')}` : ''} | ${fmtStat(s.pgloaderWall as Stat)} | its summary: copy ${ph['COPY Threads Completion'] ?? '?'} s, indexes ${ph['Create Indexes'] ?? '?'} s, primary keys ${ph['Primary Keys'] ?? '?'} s, foreign keys ${ph['Create Foreign Keys'] ?? '?'} s; exit ${p.exitCode} | ${mb(s.pgloaderPeakKb as number)} | ${chk('pgloader')} |`,
          );
      }
    }
    if (sr.ferryCopy.length) {
      const c = sr.ferryCopy.find((x) => x.ok);
      if (!c) {
        const f = sr.ferryCopy[0]!;
        out.push(
          `| ferry copy | ${f.available ? 'failed' : 'pending (command not available yet)'} | ${(f.error ?? '').split('\n')[0]!.slice(0, 200).replace(/\|/g, '\\|')} | | |`,
        );
      } else
        out.push(
          `| ferry copy${args.copyVerifies ? ' (with its own verification)' : ' --no-verify'} | ${fmtStat(s.ferryCopyWall as Stat)} | | ${mb(s.ferryCopyPeakKb as number)} | ${chk('ferry')} |`,
        );
      const v = sr.ferryVerify.find((x) => x.ok);
      if (!c && !sr.ferryVerify.length) out.push('| ferry verify | pending (runs after a successful copy) | | | |');
      if (v) out.push(`| ferry verify | ${fmtStat(s.ferryVerifyWall as Stat)} | | ${mb(s.ferryVerifyPeakKb as number)} | |`);
      else if (sr.ferryVerify.length) {
        const f = sr.ferryVerify[0]!;
        out.push(
          `| ferry verify | ${f.available ? 'failed' : 'pending (command not available yet)'} | ${(f.error ?? '').split('\n')[0]!.slice(0, 200).replace(/\|/g, '\\|')} | | |`,
        );
      }
    }
    out.push('');
    // per table, floor
    const seq0 = seqR[0];
    const pipe0 = pipeR[0];
    if (seq0 || pipe0) {
      out.push('Floor per table (first run):');
      out.push('');
      out.push('| table | rows | CSV size | export | \\copy | piped |');
      out.push('|---|---|---|---|---|---|');
      for (const t of TABLES) {
        const a = seq0?.tables.find((x) => x.table === t.name);
        const b = pipe0?.tables.find((x) => x.table === t.name);
        const rows = ds.tables.find((x) => x.name === t.name)?.rows ?? 0;
        out.push(
          `| ${t.name} | ${rows.toLocaleString('en-US')} | ${a?.csvBytes ? `${(a.csvBytes / 1048576).toFixed(1)} MiB` : '—'} | ${a ? sec(a.exportMs) : '—'} | ${a ? sec(a.loadMs) : '—'} | ${b ? sec(b.loadMs) : '—'} |`,
        );
      }
      out.push('');
      const keys = (seq0 ?? pipe0)!.keys;
      out.push(`Keys and indexes (first run, ${seq0 ? 'sequential' : 'piped'}): ${keys.map((k) => `${k.what} ${Math.round(k.ms)} ms`).join(', ')}.`);
      out.push('');
    }
    // checks
    for (const [k, c] of Object.entries(sr.checks)) {
      if ('error' in c) continue;
      if (c.problems.length) {
        out.push(`What differs from the source after ${k} (first run):`);
        out.push('');
        for (const p of c.problems) out.push(`- ${p}`);
        out.push('');
      }
      if (c.typeChanges.length) {
        out.push(`Column types ${k} chose differently from the floor: ${c.typeChanges.join('; ')}.`);
        out.push('');
      }
    }
    const p0 = sr.pgloader.find((x) => x.available);
    if (p0) {
      if (p0.errors.length) {
        out.push('pgloader logged:');
        out.push('');
        for (const e of p0.errors.slice(0, 10)) out.push(`- \`${e}\``);
        out.push('');
      }
      const wrongCounts = Object.entries(p0.reportedRows).filter(([t, n]) => {
        const c = (sr.checks['pgloader'] as TargetCheck | undefined)?.tables?.find((x) => x.table === t);
        return c && c.targetRows !== null && c.targetRows !== n;
      });
      if (wrongCounts.length)
        out.push(`pgloader's summary row counts that differ from what is in the table: ${wrongCounts.map(([t, n]) => `${t} ${n}`).join(', ')}.\n`);
    }
    out.push('| goal | value | met |');
    out.push('|---|---|---|');
    for (const g of sr.goals) out.push(`| ${g.goal} | ${g.value} | ${g.met === null ? 'pending' : g.met ? 'yes' : 'no'} |`);
    out.push('');
  }
  const fl = flatness(results);
  if (fl) out.push(`| ${fl.goal} | ${fl.value} | ${fl.met === null ? 'pending' : fl.met ? 'yes' : 'no'} |\n`);
  return out.join('\n');
}

function machine(): Record<string, string> {
  const v = (cmd: string, a: string[]) => {
    const r = spawnSync(cmd, a, { encoding: 'utf8' });
    return r.status === 0 ? r.stdout.trim().split('\n')[0]! : '?';
  };
  return {
    cpus: `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}`,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    kernel: os.release(),
    node: process.version,
    sqlite3: v('sqlite3', ['--version']).split(' ')[0] ?? '?',
    psql: v('psql', ['--version']),
    postgres: pgServerVersion(),
    pgloader: pgloaderVersion() ?? 'not installed',
    date: new Date().toISOString(),
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const env = machine();
  log(`machine: ${JSON.stringify(env)}`);
  const results: ScaleResult[] = [];
  for (const scale of args.scales) {
    const sr = await runScale(scale, args);
    results.push(sr);
    const file = path.join(WORK_DIR, `copy-results-${scale}.json`);
    fs.writeFileSync(file, JSON.stringify({ machine: env, args, ...sr }, null, 2) + '\n');
    log(`results: ${file}`);
  }
  process.stdout.write('\n' + markdown(results, args) + '\n');
}

await main();
