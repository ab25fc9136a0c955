/**
 * The backup benchmark (issue 15): the copy benchmark's database (bench/copy-dataset.ts, 1,250,000
 * rows in six tables at scale 1), loaded into PostgreSQL by `ferry copy`, then backed up and checked
 *   - plainly: `pg_dump -Fc -f out.dump`, and `createdb` + `pg_restore --jobs=2 -d scratch out.dump`
 *     + `dropdb` (the test restore without any comparison);
 *   - by ferry: `ferry backup <url> --dir DIR --json` (pg_dump -Fc reading a snapshot ferry exported,
 *     every table digested in that snapshot), and `ferry backups --dir DIR --check --url <server>
 *     --json` (the same restore into a scratch database, digested and compared with the manifest);
 * each pair in alternating order, each job timed from spawn to exit with the peak memory of its
 * process: `/usr/bin/time -v` (Maximum resident set size) when installed, and VmHWM of every process
 * of the tree sampled from /proc every 20 ms (bench/proc-stats.ts) in any case.
 *
 * The machine is shared: before each measured job the 1-minute load is read from /proc/loadavg;
 * above --max-load (1.0) the benchmark waits, polling every 15 s, up to --max-wait minutes (20), and
 * records the load each job started at (and how long it waited).
 *
 *   npm run bench:backup -- [--scale N[,M]] [--scale10] [--runs N] [--max-load L] [--max-wait MIN] [--keep] [--reuse]
 *   node dist/bench/backup-bench.js [same options]
 *
 * --keep leaves the loaded databases (ferry_bench_backup_s<scale>) in place; --reuse takes such a
 * database as it is when its row counts match the data set (no reload).
 *
 * Results: a Markdown summary on stdout and bench/work/backup-results-<scale>.json.
 * PostgreSQL: 127.0.0.1:5432, user postgres, trust auth (BENCH_PGHOST/BENCH_PGPORT/BENCH_PGUSER).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureDataset, TABLES, WORK_DIR, type Dataset } from './copy-dataset.js';
import { FERRY_BIN } from './copy-ferry.js';
import { checkpoint, dropDatabase, freshDatabase, PG_HOST, PG_PORT, PG_USER, pgServerVersion, pgUrl, psqlSync, runChild, type ChildRun } from './copy-floor.js';
import { fmtStat, mb, sec, stat, type Stat } from './bench-stats.js';

const GOAL_BACKUP = 1.3;
const GOAL_CHECK = 1.3;
const GOAL_PEAK_MB = 200;
const TIME_BIN = '/usr/bin/time';

interface Args {
  scales: number[];
  runs: number;
  maxLoad: number;
  maxWaitMin: number;
  keep: boolean;
  reuse: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { scales: [1, 10], runs: 3, maxLoad: 1.0, maxWaitMin: 20, keep: false, reuse: false };
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
    else if (k === '--runs') {
      a.runs = Math.floor(Number(val()));
      if (!(a.runs > 0)) throw new Error('--runs needs a positive number');
    } else if (k === '--max-load') a.maxLoad = Number(val());
    else if (k === '--max-wait') a.maxWaitMin = Number(val());
    else if (k === '--keep') a.keep = true;
    else if (k === '--reuse') a.reuse = true;
    else if (k === '--help' || k === '-h') {
      process.stdout.write('node dist/bench/backup-bench.js [--scale N[,M]] [--scale10] [--runs N] [--max-load L] [--max-wait MIN] [--keep] [--reuse]\n');
      process.exit(0);
    } else throw new Error(`unknown option ${k}`);
  }
  return a;
}

const log = (s: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${s}\n`);
const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// The machine's load

function load1(): number {
  return Number(fs.readFileSync('/proc/loadavg', 'utf8').split(/\s+/)[0]);
}

interface LoadRecord {
  /** The 1-minute load when the job started. */
  load: number;
  /** The load when the benchmark first looked, before any wait. */
  loadBefore: number;
  waitedS: number;
  /** true when the wait ran out and the job ran above the limit. */
  overLimit: boolean;
}

async function waitForQuiet(args: Args, what: string): Promise<LoadRecord> {
  const started = Date.now();
  const first = load1();
  let l = first;
  while (l > args.maxLoad && Date.now() - started < args.maxWaitMin * 60_000) {
    log(`    load ${l.toFixed(2)} > ${args.maxLoad} before ${what}: waiting (${Math.round((Date.now() - started) / 1000)} s so far)`);
    await sleep(15_000);
    l = load1();
  }
  const rec = { load: l, loadBefore: first, waitedS: Math.round((Date.now() - started) / 1000), overLimit: l > args.maxLoad };
  if (rec.overLimit) log(`    load still ${l.toFixed(2)} after ${rec.waitedS} s: running ${what} anyway`);
  return rec;
}

// ---------------------------------------------------------------------------------------------
// Jobs

interface JobResult {
  job: 'pg_dump' | 'ferry backup' | 'pg_restore' | 'ferry check';
  run: number;
  /** Position in its pair (1: ran first). */
  position: number;
  ok: boolean;
  error?: string;
  wallMs: number;
  /** Peak RSS of the measured process (ferry's node, or the plain tool), kB: /usr/bin/time when used, else the sampled VmHWM. */
  peakKb: number;
  /** The sampled VmHWM per process name, kB. */
  peakByName: Record<string, number>;
  /** /usr/bin/time -v's Maximum resident set size, kB (ferry jobs). */
  timeMaxRssKb?: number;
  cpuMs: number;
  load: LoadRecord;
  /** Dumps: the file's size in bytes. */
  dumpBytes?: number;
  /** pg_restore: its phases (createdb, pg_restore, dropdb). */
  phases?: Record<string, number>;
  /** What was checked about the result. */
  note?: string;
}

const pgConn = ['-h', PG_HOST, '-p', String(PG_PORT), '-U', PG_USER];

function haveTime(): boolean {
  return fs.existsSync(TIME_BIN);
}

/** Runs a node ferry command under /usr/bin/time -v (when there is one); wall and peaks. */
async function runFerry(ferryArgs: string[], timeFile: string): Promise<{ r: ChildRun; timeMaxRssKb?: number; json?: Record<string, unknown> }> {
  const useTime = haveTime();
  fs.rmSync(timeFile, { force: true });
  const argv = useTime ? [TIME_BIN, '-v', '-o', timeFile, process.execPath, FERRY_BIN, ...ferryArgs] : [process.execPath, FERRY_BIN, ...ferryArgs];
  const r = await runChild(argv[0]!, argv.slice(1), { timeoutMs: 2 * 60 * 60 * 1000, env: { ...process.env, NO_COLOR: '1' } });
  let timeMaxRssKb: number | undefined;
  if (useTime && fs.existsSync(timeFile)) {
    const m = /Maximum resident set size \(kbytes\):\s*(\d+)/.exec(fs.readFileSync(timeFile, 'utf8'));
    if (m) timeMaxRssKb = Number(m[1]);
  }
  let json: Record<string, unknown> | undefined;
  const text = r.stdout.trim();
  if (text) {
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      try {
        json = JSON.parse(text.split('\n').pop() ?? '') as Record<string, unknown>;
      } catch {
        json = undefined;
      }
    }
  }
  return { r, timeMaxRssKb, json };
}

function failText(r: ChildRun): string {
  return `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}: ${(r.stderr.trim() || r.stdout.trim()).slice(-1500)}`;
}

async function plainDump(db: string, out: string, run: number, position: number, load: LoadRecord): Promise<JobResult> {
  fs.rmSync(out, { force: true });
  const r = await runChild('pg_dump', ['-Fc', '-f', out, ...pgConn, '-d', db], { timeoutMs: 2 * 60 * 60 * 1000 });
  const res: JobResult = {
    job: 'pg_dump',
    run,
    position,
    ok: r.code === 0,
    wallMs: r.wallMs,
    peakKb: r.peakByName['pg_dump'] ?? r.peakKb,
    peakByName: r.peakByName,
    cpuMs: r.cpuMs,
    load,
  };
  if (!res.ok) res.error = failText(r);
  else res.dumpBytes = fs.statSync(out).size;
  return res;
}

/** A ferry job's result from its run: ok when it exited 0 and said so in its JSON; its peak from /usr/bin/time, else the sampled node process. */
function ferryJob(
  job: 'ferry backup' | 'ferry check',
  run: number,
  position: number,
  load: LoadRecord,
  r: ChildRun,
  timeMaxRssKb: number | undefined,
  json: Record<string, unknown> | undefined,
): JobResult {
  return {
    job,
    run,
    position,
    ok: r.code === 0 && json?.ok === true,
    wallMs: r.wallMs,
    peakKb: timeMaxRssKb ?? r.peakByName['node'] ?? 0,
    peakByName: r.peakByName,
    timeMaxRssKb,
    cpuMs: r.cpuMs,
    load,
  };
}

async function ferryBackup(db: string, setsDir: string, run: number, position: number, load: LoadRecord): Promise<JobResult> {
  fs.rmSync(setsDir, { recursive: true, force: true });
  fs.mkdirSync(setsDir, { recursive: true });
  const { r, timeMaxRssKb, json } = await runFerry(['backup', pgUrl(db), '--dir', setsDir, '--json'], path.join(setsDir, '..', 'time-backup.txt'));
  const res = ferryJob('ferry backup', run, position, load, r, timeMaxRssKb, json);
  if (!res.ok) {
    res.error = failText(r);
    return res;
  }
  const manifest = json!.manifest as {
    files: { name: string; size: number; tables: Record<string, number>; digests?: Record<string, string>; integrity: string }[];
  };
  const f = manifest.files[0]!;
  res.dumpBytes = f.size;
  const wrong = TABLES.filter((t) => f.tables[t.name] === undefined);
  res.note = `${Object.keys(f.digests ?? {}).length} digests, integrity ${f.integrity}${wrong.length ? `, tables missing: ${wrong.map((t) => t.name).join(', ')}` : ''}`;
  return res;
}

/** Row counts of the data set's tables in `db`, against the data set's; the problems found. */
function countProblems(ds: Dataset, db: string): string[] {
  const sql = TABLES.map((t) => `SELECT '${t.name}', count(*) FROM "${t.name}"`).join(' UNION ALL ');
  const got = new Map(
    psqlSync(db, sql)
      .trim()
      .split('\n')
      .map((l) => l.split('|') as [string, string]),
  );
  const out: string[] = [];
  for (const t of ds.tables) if (Number(got.get(t.name)) !== t.rows) out.push(`${t.name}: ${got.get(t.name) ?? 'missing'} rows, expected ${t.rows}`);
  return out;
}

async function plainRestore(ds: Dataset, dump: string, scratch: string, run: number, position: number, load: LoadRecord): Promise<JobResult> {
  dropDatabase(scratch);
  const res: JobResult = { job: 'pg_restore', run, position, ok: false, wallMs: 0, peakKb: 0, peakByName: {}, cpuMs: 0, load, phases: {} };
  const step = async (name: string, cmd: string, a: string[]): Promise<boolean> => {
    const r = await runChild(cmd, a, { timeoutMs: 2 * 60 * 60 * 1000 });
    res.phases![name] = r.wallMs;
    res.wallMs += r.wallMs;
    res.cpuMs += r.cpuMs;
    for (const [k, v] of Object.entries(r.peakByName)) res.peakByName[k] = Math.max(res.peakByName[k] ?? 0, v);
    if (r.code !== 0) res.error = `${name} ${failText(r)}`;
    return r.code === 0;
  };
  try {
    if (!(await step('createdb', 'createdb', [...pgConn, scratch]))) return res;
    if (!(await step('pg_restore', 'pg_restore', ['--jobs=2', ...pgConn, '-d', scratch, dump]))) return res;
    // untimed: the restore holds the data set's rows
    const problems = countProblems(ds, scratch);
    res.note = problems.length ? `row counts differ: ${problems.join('; ')}` : 'row counts as the data set';
    if (!(await step('dropdb', 'dropdb', [...pgConn, scratch]))) return res;
    res.peakKb = res.peakByName['pg_restore'] ?? 0;
    res.ok = problems.length === 0;
    if (!res.ok) res.error = res.note;
    return res;
  } finally {
    dropDatabase(scratch);
  }
}

async function ferryCheck(setsDir: string, run: number, position: number, load: LoadRecord): Promise<JobResult> {
  const { r, timeMaxRssKb, json } = await runFerry(
    ['backups', '--dir', setsDir, '--check', '--url', pgUrl('postgres'), '--json'],
    path.join(setsDir, '..', 'time-check.txt'),
  );
  const res = ferryJob('ferry check', run, position, load, r, timeMaxRssKb, json);
  const sets = (json?.sets ?? []) as { id: string; problems?: unknown[] }[];
  res.note = `${sets.length} set(s) checked; problems: ${sets.map((s) => JSON.stringify(s.problems ?? null)).join(', ')}`;
  if (!res.ok) res.error = `${failText(r)} ${res.note}`;
  else if (sets.length !== 1) {
    res.ok = false;
    res.error = `expected one set in ${setsDir}, found ${sets.length}`;
  }
  return res;
}

/** Leftover scratch databases of ferry's checks (a failed run could leave one). */
function leftoverScratch(): string[] {
  return psqlSync('postgres', `SELECT datname FROM pg_database WHERE datname LIKE 'ferry_scratch_%'`).trim().split('\n').filter(Boolean);
}

// ---------------------------------------------------------------------------------------------
// One scale

interface ScaleResult {
  scale: number;
  dataset: Dataset;
  db: string;
  loadMs: number | null;
  dbBytes: number;
  runs: number;
  jobs: JobResult[];
  summary: Record<string, Stat | number | null>;
  goals: { goal: string; value: string; met: boolean | null }[];
}

function dbRowsMatch(ds: Dataset, db: string): boolean {
  try {
    const exists = psqlSync('postgres', `SELECT 1 FROM pg_database WHERE datname = '${db}'`).trim() === '1';
    return exists && countProblems(ds, db).length === 0;
  } catch {
    return false;
  }
}

async function loadDatabase(ds: Dataset, db: string, args: Args): Promise<number | null> {
  if (args.reuse && dbRowsMatch(ds, db)) {
    log(`  reusing ${db} (row counts match the data set)`);
    return null;
  }
  log(`  loading ${ds.file} into ${db} with ferry copy`);
  freshDatabase(db);
  const r = await runChild(process.execPath, [FERRY_BIN, 'copy', ds.file, pgUrl(db), '--json', '--no-verify'], {
    timeoutMs: 2 * 60 * 60 * 1000,
    env: { ...process.env, NO_COLOR: '1' },
  });
  if (r.code !== 0) throw new Error(`ferry copy failed: ${failText(r)}`);
  const problems = countProblems(ds, db);
  if (problems.length) throw new Error(`ferry copy left different row counts: ${problems.join('; ')}`);
  log(`    copied in ${sec(r.wallMs)}; VACUUM (FREEZE, ANALYZE) and CHECKPOINT so no measured run sets hint bits`);
  psqlSync(db, 'VACUUM (FREEZE, ANALYZE)');
  checkpoint();
  return r.wallMs;
}

async function runScale(scale: number, args: Args): Promise<ScaleResult> {
  log(`== scale ${scale}`);
  const ds = ensureDataset(scale, { log });
  log(`dataset ${ds.file}: ${ds.rows.toLocaleString('en-US')} rows, ${mib(ds.bytes)}${ds.reused ? ' (cached)' : `, made in ${sec(ds.generatedMs)}`}`);
  const tag = `s${String(scale).replace('.', '_')}`;
  const db = `ferry_bench_backup_${tag}`;
  const scratch = `ferry_bench_backup_${tag}_scratch`;
  const loadMs = await loadDatabase(ds, db, args);
  const dbBytes = Number(psqlSync('postgres', `SELECT pg_database_size('${db}')`).trim());
  log(`  ${db}: ${mib(dbBytes)}`);
  const dir = path.join(WORK_DIR, `backup-${tag}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const out = path.join(dir, 'out.dump');
  const setsDir = path.join(dir, 'sets');
  const sr: ScaleResult = { scale, dataset: ds, db, loadMs, dbBytes, runs: args.runs, jobs: [], summary: {}, goals: [] };
  const report = (j: JobResult) => {
    sr.jobs.push(j);
    log(
      `    ${j.job}: ${j.ok ? '' : `FAILED ${j.error} `}${sec(j.wallMs)}, peak ${mb(j.peakKb)}${j.dumpBytes ? `, dump ${mib(j.dumpBytes)}` : ''}${
        j.phases
          ? `, ${Object.entries(j.phases)
              .map(([k, v]) => `${k} ${sec(v)}`)
              .join(', ')}`
          : ''
      }, load ${j.load.load.toFixed(2)}${j.load.waitedS ? ` (waited ${j.load.waitedS} s from ${j.load.loadBefore.toFixed(2)})` : ''}${j.note ? `; ${j.note}` : ''}`,
    );
    if (!j.ok) throw new Error(`${j.job} failed at scale ${scale}, run ${j.run + 1}: ${j.error}`);
  };
  try {
    for (let run = 0; run < args.runs; run++) {
      const ferryFirst = run % 2 === 1;
      log(`-- run ${run + 1}/${args.runs} (${ferryFirst ? 'ferry first' : 'plain first'})`);
      // Dumps: plain pg_dump and ferry backup, in this run's order.
      for (const [i, which] of (ferryFirst ? ['ferry', 'plain'] : ['plain', 'ferry']).entries()) {
        checkpoint();
        const l = await waitForQuiet(args, which === 'plain' ? 'pg_dump' : 'ferry backup');
        report(which === 'plain' ? await plainDump(db, out, run, i + 1, l) : await ferryBackup(db, setsDir, run, i + 1, l));
      }
      // Test restores: the plain one of the plain dump, ferry's check of its set, in the same order.
      for (const [i, which] of (ferryFirst ? ['ferry', 'plain'] : ['plain', 'ferry']).entries()) {
        checkpoint();
        const l = await waitForQuiet(args, which === 'plain' ? 'pg_restore' : 'ferry backups --check');
        report(which === 'plain' ? await plainRestore(ds, out, scratch, run, i + 1, l) : await ferryCheck(setsDir, run, i + 1, l));
      }
      const left = leftoverScratch();
      if (left.length) log(`    scratch databases left behind by ferry: ${left.join(', ')}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    dropDatabase(scratch);
    if (!args.keep) dropDatabase(db);
  }
  summarize(sr);
  return sr;
}

function summarize(sr: ScaleResult): void {
  const of = (job: JobResult['job']) => sr.jobs.filter((j) => j.job === job && j.ok);
  const s = sr.summary;
  for (const [key, job] of [
    ['dump', 'pg_dump'],
    ['backup', 'ferry backup'],
    ['restore', 'pg_restore'],
    ['check', 'ferry check'],
  ] as const) {
    const js = of(job);
    if (!js.length) continue;
    s[`${key}Wall`] = stat(js.map((j) => j.wallMs));
    s[`${key}PeakKb`] = Math.max(...js.map((j) => j.peakKb));
    s[`${key}CpuMs`] = stat(js.map((j) => j.cpuMs));
  }
  // per-run ratios (each ferry job against the plain job of the same run)
  const ratios = (plain: JobResult['job'], ferry: JobResult['job']) => {
    const out: number[] = [];
    for (let run = 0; run < sr.runs; run++) {
      const p = sr.jobs.find((j) => j.job === plain && j.run === run && j.ok);
      const f = sr.jobs.find((j) => j.job === ferry && j.run === run && j.ok);
      if (p && f) out.push(f.wallMs / p.wallMs);
    }
    return out;
  };
  const rb = ratios('pg_dump', 'ferry backup');
  const rc = ratios('pg_restore', 'ferry check');
  if (rb.length) s.backupRatioPerRun = stat(rb);
  if (rc.length) s.checkRatioPerRun = stat(rc);
  const med = (k: string) => (s[k] as Stat | undefined)?.median;
  const g = sr.goals;
  const ratio = (a?: number, b?: number) => (a !== undefined && b !== undefined ? a / b : undefined);
  const r1 = ratio(med('backupWall'), med('dumpWall'));
  g.push({
    goal: `ferry backup ≤ ${GOAL_BACKUP}x pg_dump -Fc`,
    value: r1 !== undefined ? `${r1.toFixed(2)}x (${sec(med('backupWall')!)} vs ${sec(med('dumpWall')!)})` : 'pending',
    met: r1 !== undefined ? r1 <= GOAL_BACKUP : null,
  });
  const r2 = ratio(med('checkWall'), med('restoreWall'));
  g.push({
    goal: `ferry backups --check ≤ ${GOAL_CHECK}x createdb + pg_restore --jobs=2 + dropdb`,
    value: r2 !== undefined ? `${r2.toFixed(2)}x (${sec(med('checkWall')!)} vs ${sec(med('restoreWall')!)})` : 'pending',
    met: r2 !== undefined ? r2 <= GOAL_CHECK : null,
  });
  const pb = s.backupPeakKb as number | undefined;
  const pc = s.checkPeakKb as number | undefined;
  g.push({
    goal: `ferry peak < ${GOAL_PEAK_MB} MB`,
    value: pb !== undefined && pc !== undefined ? `backup ${mb(pb)}, check ${mb(pc)}` : 'pending',
    met: pb !== undefined && pc !== undefined ? Math.max(pb, pc) / 1024 < GOAL_PEAK_MB : null,
  });
}

function markdown(results: ScaleResult[]): string {
  const out: string[] = [];
  for (const sr of results) {
    const s = sr.summary;
    const ds = sr.dataset;
    out.push(
      `## Scale ${sr.scale}: ${ds.rows.toLocaleString('en-US')} rows, database ${mib(sr.dbBytes)} (${sr.runs} run${sr.runs > 1 ? 's' : ''}; median (min–max))`,
    );
    out.push('');
    out.push('| job | wall | CPU (tree) | peak memory | dump size |');
    out.push('|---|---|---|---|---|');
    const dumpSize = (job: JobResult['job']) => {
      const xs = sr.jobs.filter((j) => j.job === job && j.ok && j.dumpBytes).map((j) => j.dumpBytes!);
      return xs.length ? `${mib(Math.min(...xs))}${Math.max(...xs) !== Math.min(...xs) ? `–${mib(Math.max(...xs))}` : ''}` : '';
    };
    out.push(
      `| pg_dump -Fc | ${fmtStat(s.dumpWall as Stat)} | ${fmtStat(s.dumpCpuMs as Stat)} | ${mb((s.dumpPeakKb as number) ?? 0)} | ${dumpSize('pg_dump')} |`,
    );
    out.push(
      `| ferry backup | ${fmtStat(s.backupWall as Stat)} | ${fmtStat(s.backupCpuMs as Stat)} | ${mb((s.backupPeakKb as number) ?? 0)} | ${dumpSize('ferry backup')} |`,
    );
    out.push(
      `| createdb + pg_restore --jobs=2 + dropdb | ${fmtStat(s.restoreWall as Stat)} | ${fmtStat(s.restoreCpuMs as Stat)} | ${mb((s.restorePeakKb as number) ?? 0)} | |`,
    );
    out.push(`| ferry backups --check | ${fmtStat(s.checkWall as Stat)} | ${fmtStat(s.checkCpuMs as Stat)} | ${mb((s.checkPeakKb as number) ?? 0)} | |`);
    out.push('');
    out.push('Each run (load = 1-minute load when the job started):');
    out.push('');
    out.push('| run | job | order | wall | peak | load |');
    out.push('|---|---|---|---|---|---|');
    for (const j of sr.jobs)
      out.push(
        `| ${j.run + 1} | ${j.job} | ${j.position} | ${sec(j.wallMs)}${
          j.phases
            ? ` (${Object.entries(j.phases)
                .map(([k, v]) => `${k} ${sec(v)}`)
                .join(', ')})`
            : ''
        } | ${mb(j.peakKb)} | ${j.load.load.toFixed(2)}${j.load.waitedS ? ` (waited ${j.load.waitedS} s)` : ''}${j.load.overLimit ? ' over the limit' : ''} |`,
      );
    out.push('');
    if (s.backupRatioPerRun) out.push(`Per-run ratio ferry backup / pg_dump: ${fmtStat(s.backupRatioPerRun as Stat, (x) => `${x.toFixed(2)}x`)}.`);
    if (s.checkRatioPerRun) out.push(`Per-run ratio ferry check / plain restore: ${fmtStat(s.checkRatioPerRun as Stat, (x) => `${x.toFixed(2)}x`)}.`);
    out.push('');
    out.push('| goal | value | met |');
    out.push('|---|---|---|');
    for (const g of sr.goals) out.push(`| ${g.goal} | ${g.value} | ${g.met === null ? 'pending' : g.met ? 'yes' : 'no'} |`);
    out.push('');
  }
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
    postgres: pgServerVersion(),
    pg_dump: v('pg_dump', ['--version']),
    pg_restore: v('pg_restore', ['--version']),
    time: haveTime() ? TIME_BIN : 'not installed (peaks sampled from /proc)',
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
    const file = path.join(WORK_DIR, `backup-results-${scale}.json`);
    fs.writeFileSync(file, JSON.stringify({ machine: env, args, ...sr }, null, 2) + '\n');
    log(`results: ${file}`);
  }
  process.stdout.write('\n' + markdown(results) + '\n');
}

await main();
