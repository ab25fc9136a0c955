/**
 * Online schema changes on PostgreSQL: each operation written plainly and through ferry's
 * lock-light form (ctx.ops, ctx.backfill under `ferry upgrade`), on a table of 1M rows that an app
 * writes to all the while, with a long read transaction open when the operation starts.
 *
 * Three processes besides the operation's own:
 *   - the app, `online-writer.ts`: 200 writes/s (half inserts, half updates of a random row) from a
 *     pool of 16 connections, each write timed from when it was due;
 *   - the long read, `online-reader.ts`: BEGIN; SELECT count(*) FROM accounts; holds the transaction
 *     (and its ACCESS SHARE lock) for `--hold` ms, then commits;
 *   - the operation: plain, the statement through psql in autocommit with no lock_timeout (as a
 *     person or a plain migration tool runs it); ferry, a script revision through
 *     `ferry upgrade --lock-timeout <ms> --verbose` in a fresh migrations folder (ferry's tables
 *     are dropped first, so each run is a first upgrade).
 *
 * One run per operation and form: the table is reset (the previous run's column, constraint or index
 * dropped), VACUUM ANALYZE, CHECKPOINT; the writer starts and writes for 1 s; the reader starts,
 * and once it holds its lock the operation starts; when both are done the writer writes 1 s more
 * and stops. The longest stall is the largest latency of any write due from the reader's start to
 * the writer's stop; the p99 is over the writes due while the operation ran. Expand/contract is two
 * upgrades, each with its own reader; between them the app moves to the new column. The backfill's
 * rows/s and the writer's latency during it come from the backfill step alone (the time between
 * ferry's step lines), against the writer's idle figures measured first.
 *
 *   node dist/bench/online-bench.js [--rows 1000000] [--rate 200] [--hold 2000] [--lock-timeout 1000]
 *     [--long-hold 6000] [--batch-time 50ms (ferry's default when not given)] [--idle 10000] [--only add-column,foreign-key,...] [--db ferry_bench_online] [--keep]
 *
 * Writes bench/work/online-results-<rows>.json and a Markdown summary on stdout.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { dropDatabase, freshDatabase, pgServerVersion, pgUrl, psqlArgs } from './copy-floor.js';
import { nowMs, startReader, startWriter, timed, type Timed } from './online-processes.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const FERRY = path.join(ROOT, 'bin', 'ferry.js');
const WORK = path.join(ROOT, 'bench', 'work');

/** The writer writes this long before the operation and after it. */
const WARM_UP_MS = 1000;
const TAIL_MS = 1000;
/** Between the expand and the contract, the app moves to the new column and writes this long. */
const MOVE_MS = 500;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// The operations

/** One schema change, in both forms. */
interface Operation {
  key: string;
  title: string;
  /** Undoes the operation, either form, whatever it left (all operations' resets run before every run, the rename's first). */
  reset: string[];
  /** The plain statement. */
  plain: string;
  /** The bodies of ferry's script revisions' up(); one `ferry upgrade` each (expand, then contract). */
  ferry: string[];
  /** Between ferry's upgrades the app moves to the new column (the writer's SIGUSR2). */
  moveApp?: boolean;
  /** A backfill: rows/s and the writer's latency during the backfill itself are reported. */
  backfill?: boolean;
  /** How long the reader holds its transaction (default --hold). */
  holdMs?: number;
}

const RENAME_RESET = `DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'accounts' AND column_name = 'tier') THEN
    IF EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'accounts' AND column_name = 'plan') THEN
      ALTER TABLE accounts DROP COLUMN tier;
    ELSE
      ALTER TABLE accounts RENAME COLUMN tier TO plan;
    END IF;
  END IF;
END $$`;

/** The operations; `batchTime` is the backfill's target time per batch ('': ferry's own default, 50ms). */
function operations(longHoldMs: number, batchTime: string): Operation[] {
  const addColumn: Operation = {
    key: 'add-column',
    title: 'add a column with a default',
    reset: ['ALTER TABLE accounts DROP COLUMN IF EXISTS status'],
    plain: `ALTER TABLE accounts ADD COLUMN status text DEFAULT 'active'`,
    ferry: [`await ctx.ops.addColumn('accounts', { name: 'status', type: 'text', default: "'active'" });`],
  };
  const ops: Operation[] = [
    addColumn,
    {
      key: 'foreign-key',
      title: 'add a foreign key',
      reset: ['ALTER TABLE accounts DROP CONSTRAINT IF EXISTS accounts_org_fk'],
      plain: 'ALTER TABLE accounts ADD CONSTRAINT accounts_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id)',
      ferry: [`await ctx.ops.addForeignKey('accounts', 'accounts_org_fk', ['org_id'], 'orgs', ['id']);`],
    },
    {
      key: 'not-null',
      title: 'set NOT NULL',
      reset: ['ALTER TABLE accounts ALTER COLUMN plan DROP NOT NULL', 'ALTER TABLE accounts DROP CONSTRAINT IF EXISTS accounts_plan_not_null'],
      plain: 'ALTER TABLE accounts ALTER COLUMN plan SET NOT NULL',
      ferry: [`await ctx.ops.alterColumn('accounts', 'plan', { nullable: false });`],
    },
    {
      key: 'index',
      title: 'create an index',
      reset: ['DROP INDEX IF EXISTS accounts_email_idx'],
      plain: 'CREATE INDEX accounts_email_idx ON accounts (email)',
      ferry: [`await ctx.ops.createIndex('accounts', 'accounts_email_idx', ['email']);`],
    },
    {
      key: 'unique',
      title: 'add a unique constraint',
      reset: ['ALTER TABLE accounts DROP CONSTRAINT IF EXISTS accounts_email_key', 'DROP INDEX IF EXISTS accounts_email_key'],
      plain: 'ALTER TABLE accounts ADD CONSTRAINT accounts_email_key UNIQUE (email)',
      ferry: [`await ctx.ops.addUnique('accounts', 'accounts_email_key', ['email']);`],
    },
    {
      key: 'rename',
      title: 'rename a column (plain: RENAME COLUMN; ferry: expand, then contract)',
      reset: ['DROP TRIGGER IF EXISTS _ferry_expand_accounts_plan ON accounts', 'DROP FUNCTION IF EXISTS _ferry_expand_accounts_plan()', RENAME_RESET],
      plain: 'ALTER TABLE accounts RENAME COLUMN plan TO tier',
      ferry: [`await ctx.ops.expandRenameColumn('accounts', 'plan', 'tier');`, `await ctx.ops.contract('accounts', 'plan');`],
      moveApp: true,
    },
    {
      key: 'backfill',
      title: 'backfill a column (amount2 = amount * 2)',
      reset: ['ALTER TABLE accounts DROP COLUMN IF EXISTS amount2', 'ALTER TABLE accounts ADD COLUMN amount2 int'],
      plain: 'UPDATE accounts SET amount2 = amount * 2',
      ferry: [`await ctx.backfill({ table: 'accounts', set: { amount2: 'amount * 2' },${batchTime ? ` batchTime: '${batchTime}',` : ''} pause: 0 });`],
      backfill: true,
    },
  ];
  if (longHoldMs > 0) ops.push({ ...addColumn, key: 'add-column-long-read', holdMs: longHoldMs });
  return ops;
}

// ---------------------------------------------------------------------------------------------
// One run

type Form = 'plain' | 'ferry';

interface Env {
  db: string;
  url: string;
  admin: pg.Client;
  rows: number;
  rate: number;
  holdMs: number;
  lockTimeoutMs: number;
  tmp: string;
  nextId: number;
  /** Every operation's reset, the rename's first (the others name `plan`): the table as set up, plus an empty amount2. */
  baseline: string[];
}

/** Latency figures of a set of writes, ms. */
interface Latency {
  writes: number;
  p50: number;
  p99: number;
  max: number;
  /** Writes that took over 50 ms (idle writes take 2-3 ms). */
  over50: number;
}

function latency(ms: number[]): Latency {
  const s = ms.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  const at = (q: number) => (s.length ? s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]! : NaN);
  return { writes: s.length, p50: at(0.5), p99: at(0.99), max: s.length ? s[s.length - 1]! : NaN, over50: s.filter((x) => x > 50).length };
}

/** What one run of one form measured. */
interface RunFigures {
  op: string;
  title: string;
  form: Form;
  ok: boolean;
  error?: string;
  /** The operation's wall time (both upgrades for expand/contract), ms. */
  wallMs: number;
  /** Each part's wall time (expand, contract). */
  partsMs: number[];
  holdMs: number;
  /** The largest latency of any write due from the reader's start to the writer's stop. */
  stallMs: number;
  /** Writes due while the operation ran. */
  during: Latency;
  writesFailed: number;
  firstFailure: string | null;
  /** ferry: attempts that timed out waiting for a lock (ferry_history). */
  lockWaits?: number;
  /** ferry: the after-commit steps' lines, with their ms. */
  steps?: string[];
  /** A backfill: its own time, rows/s, and the writes due while it ran. */
  backfill?: { ms: number; rowsPerSecond: number; during: Latency };
}

async function exec(env: Env, statements: string[]): Promise<void> {
  for (const s of statements) await env.admin.query(s);
}

/** Writes the script revisions of a ferry run into a fresh folder; returns it and the revision ids. */
function revisionFolder(env: Env, op: Operation): { dir: string; ids: string[] } {
  const dir = fs.mkdtempSync(path.join(env.tmp, `${op.key}-`));
  const ids = op.ferry.map((_, i) => String(i + 1).padStart(12, '0'));
  op.ferry.forEach((body, i) => {
    const text = [
      `export const revision = '${ids[i]}';`,
      `export const parents = [${i > 0 ? `'${ids[i - 1]}'` : ''}];`,
      `export const message = '${op.key} ${i + 1}';`,
      `export async function up(ctx) {`,
      `  ${body}`,
      `}`,
      `export async function down(ctx) {}`,
      '',
    ].join('\n');
    fs.writeFileSync(path.join(dir, `${ids[i]}_${op.key.replace(/-/g, '_')}.ts`), text);
  });
  return { dir, ids };
}

async function runOne(env: Env, op: Operation, form: Form): Promise<RunFigures> {
  const holdMs = op.holdMs ?? env.holdMs;
  await exec(env, [...env.baseline, 'VACUUM ANALYZE accounts', 'CHECKPOINT']);
  const folder = form === 'ferry' ? revisionFolder(env, op) : null;
  if (folder) await exec(env, ['DROP TABLE IF EXISTS ferry_version, ferry_history, ferry_steps']);
  const parts: { sql?: string; target?: string }[] = form === 'plain' ? [{ sql: op.plain }] : folder!.ids.map((id) => ({ target: id }));

  const writer = startWriter(env.url, env.rate, env.rows, env.nextId);
  env.nextId += 1_000_000;
  await writer.ready;
  await sleep(WARM_UP_MS);
  let firstReader = Infinity;
  const windows: [number, number][] = [];
  const runs: Timed[] = [];
  let error: string | undefined;
  for (const [i, part] of parts.entries()) {
    const reader = startReader(env.url, holdMs);
    firstReader = Math.min(firstReader, reader.started);
    await reader.holding;
    const r = part.sql
      ? await timed('psql', [...psqlArgs(env.db), '-c', part.sql])
      : await timed(process.execPath, [
          FERRY,
          'upgrade',
          part.target!,
          '--url',
          env.url,
          '--dir',
          folder!.dir,
          '--lock-timeout',
          String(env.lockTimeoutMs),
          '--verbose',
        ]);
    runs.push(r);
    windows.push([r.start, r.end]);
    await reader.released;
    if (r.code !== 0) {
      error = lastLines(r.stderr || r.stdout);
      break;
    }
    if (op.moveApp && form === 'ferry' && i < parts.length - 1) {
      writer.moveApp();
      await sleep(MOVE_MS);
    }
  }
  await sleep(TAIL_MS);
  const report = await writer.stop();

  const inWindows = (due: number, w: [number, number][]) => w.some(([a, b]) => due >= a && due <= b);
  const stall = latency(report.ms.filter((_, i) => report.due[i]! >= firstReader)).max;
  const figures: RunFigures = {
    op: op.key,
    title: op.title,
    form,
    ok: error === undefined,
    ...(error !== undefined ? { error } : {}),
    wallMs: runs.reduce((sum, r) => sum + (r.end - r.start), 0),
    partsMs: runs.map((r) => r.end - r.start),
    holdMs,
    stallMs: stall,
    during: latency(report.ms.filter((_, i) => inWindows(report.due[i]!, windows))),
    writesFailed: report.failed.length,
    firstFailure: report.firstFailure,
  };
  if (form === 'ferry') {
    figures.lockWaits = Number(
      (await env.admin.query<{ n: string }>(`SELECT count(*) AS n FROM ferry_history WHERE direction = 'lock-wait'`).catch(() => ({ rows: [{ n: 'NaN' }] })))
        .rows[0]!.n,
    );
    figures.steps = runs.flatMap((r) => r.lines.filter((l) => / done \(\d+ ms\)$/.test(l.line)).map((l) => l.line.trim()));
  }
  if (op.backfill) {
    const window = form === 'plain' ? windows[0] : backfillWindow(runs[0]);
    if (window) {
      const ms = window[1] - window[0];
      figures.backfill = {
        ms,
        rowsPerSecond: (env.rows * 1000) / ms,
        during: latency(report.ms.filter((_, i) => inWindows(report.due[i]!, [window]))),
      };
    }
  }
  return figures;
}

/** The backfill step's start and end, from ferry's step lines (`<id>: backfill ...` and `... done (N ms)`). */
function backfillWindow(run: Timed | undefined): [number, number] | undefined {
  const start = run?.lines.find((l) => /^\s+\d+: backfill /.test(l.line) && !/ done \(\d+ ms\)$/.test(l.line));
  const done = run?.lines.find((l) => /^\s+\d+: backfill .* done \(\d+ ms\)$/.test(l.line));
  if (!start || !done) return undefined;
  // The step's own figure is the more exact length; the arrival of its done line is its end.
  const ms = Number(/done \((\d+) ms\)$/.exec(done.line)![1]);
  return [done.t - ms, done.t];
}

/** A failed command's error line (ferry prints `error: ...` then a hint), else its last lines. */
function lastLines(text: string): string {
  const lines = text.trim().split('\n');
  return (lines.find((l) => l.startsWith('error:')) ?? lines.slice(-3).join(' | ')).slice(0, 400);
}

/** The writer alone: its latency with nothing else running. */
async function idle(env: Env, ms: number): Promise<Latency> {
  await exec(env, [...env.baseline, 'VACUUM ANALYZE accounts', 'CHECKPOINT']);
  const writer = startWriter(env.url, env.rate, env.rows, env.nextId);
  env.nextId += 1_000_000;
  await writer.ready;
  await sleep(WARM_UP_MS);
  const from = nowMs();
  await sleep(ms);
  const report = await writer.stop();
  return latency(report.ms.filter((_, i) => report.due[i]! >= from));
}

// ---------------------------------------------------------------------------------------------
// Setup and the summary

async function setup(env: Env): Promise<number> {
  const t0 = nowMs();
  await exec(env, [
    'CREATE TABLE orgs (id bigint PRIMARY KEY, name text NOT NULL)',
    'CREATE TABLE accounts (id bigint PRIMARY KEY, org_id bigint, email text, plan text, amount int)',
    `INSERT INTO orgs SELECT g, 'org ' || g FROM generate_series(1, 1000) g`,
    `INSERT INTO accounts SELECT g, 1 + g % 1000, 'u' || g || '@example.com', (ARRAY['free', 'pro', 'team'])[1 + g % 3], g % 1000 FROM generate_series(1, ${env.rows}) g`,
    'VACUUM ANALYZE orgs',
    'VACUUM ANALYZE accounts',
  ]);
  return nowMs() - t0;
}

/** Milliseconds as they are compared with the lock timeout: whole, never rounded to seconds. */
function ms(x: number): string {
  return Number.isFinite(x) ? `${Math.round(x).toLocaleString('en-US')} ms` : '-';
}

function fmt(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  return ms < 1000 ? `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

function summary(env: Env, idleFigures: Latency, idleAfter: Latency, results: RunFigures[]): string {
  const out: string[] = [];
  out.push(`idle writer (${env.rate} writes/s, nothing else running): p50 ${fmt(idleFigures.p50)}, p99 ${fmt(idleFigures.p99)}, max ${fmt(idleFigures.max)}`);
  out.push(`idle writer after the runs: p50 ${fmt(idleAfter.p50)}, p99 ${fmt(idleAfter.p99)}, max ${fmt(idleAfter.max)}`);
  out.push('');
  out.push('| operation | form | ok | wall | longest write stall | p50 / p99 while it ran | failed writes | ferry lock waits |');
  out.push('|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    const wall = r.partsMs.length > 1 ? `${fmt(r.wallMs)} (${r.partsMs.map(fmt).join(' + ')})` : fmt(r.wallMs);
    out.push(
      `| ${r.title} (read held ${r.holdMs / 1000} s) | ${r.form} | ${r.ok ? 'yes' : `**no**: ${r.error}`} | ${wall} | ${ms(r.stallMs)} | ${fmt(r.during.p50)} / ${fmt(r.during.p99)} | ${r.writesFailed}${r.firstFailure ? ` (${r.firstFailure})` : ''} | ${r.lockWaits ?? ''} |`,
    );
  }
  const bf = results.filter((r) => r.backfill);
  if (bf.length) {
    out.push('');
    out.push('| backfill | rows/s | its time | writer p50 / p99 / max during it | writes over 50 ms | p99 against idle |');
    out.push('|---|---|---|---|---|---|');
    for (const r of bf)
      out.push(
        `| ${r.form} | ${Math.round(r.backfill!.rowsPerSecond).toLocaleString('en-US')} | ${fmt(r.backfill!.ms)} | ${fmt(r.backfill!.during.p50)} / ${fmt(r.backfill!.during.p99)} / ${fmt(r.backfill!.during.max)} | ${r.backfill!.during.over50} of ${r.backfill!.during.writes} | ${(r.backfill!.during.p99 / idleFigures.p99).toFixed(2)}x |`,
      );
  }
  const ferryRuns = results.filter((r) => r.form === 'ferry');
  const over = ferryRuns.filter((r) => r.stallMs > env.lockTimeoutMs);
  const fb = bf.find((r) => r.form === 'ferry')?.backfill;
  out.push('');
  out.push(
    `goal: no write waits longer than ferry's lock timeout (${env.lockTimeoutMs} ms) in any ferry run: ${over.length === 0 ? 'met' : 'NOT met'} (longest ${ms(Math.max(...ferryRuns.map((r) => r.stallMs)))}${over.length ? `; over: ${over.map((r) => `${r.op} ${ms(r.stallMs)}`).join(', ')}` : ''})`,
  );
  if (fb) {
    out.push(
      `goal: backfill >= 50,000 rows/s with pause 0: ${fb.rowsPerSecond >= 50_000 ? 'met' : 'NOT met'} (${Math.round(fb.rowsPerSecond).toLocaleString('en-US')} rows/s)`,
    );
    out.push(
      `goal: writer p99 during the backfill within 2x idle: ${fb.during.p99 <= 2 * idleFigures.p99 ? 'met' : 'NOT met'} (${fmt(fb.during.p99)} against ${fmt(idleFigures.p99)}, ${(fb.during.p99 / idleFigures.p99).toFixed(2)}x)`,
    );
  }
  return out.join('\n');
}

async function main(): Promise<void> {
  const rows = Number(arg('rows', '1000000'));
  const db = arg('db', 'ferry_bench_online');
  const only = process.argv.includes('--only') ? arg('only', '').split(',') : null;
  const keep = process.argv.includes('--keep');
  const ops = operations(Number(arg('long-hold', '6000')), arg('batch-time', ''));
  freshDatabase(db);
  const url = pgUrl(db);
  const admin = new pg.Client({ connectionString: url, application_name: 'ferry-bench-admin' });
  await admin.connect();
  const env: Env = {
    db,
    url,
    admin,
    rows,
    rate: Number(arg('rate', '200')),
    holdMs: Number(arg('hold', '2000')),
    lockTimeoutMs: Number(arg('lock-timeout', '1000')),
    tmp: fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-online-bench-')),
    nextId: 100_000_000,
    baseline: [...ops.filter((o) => o.key === 'rename'), ...ops.filter((o) => o.key !== 'rename')].flatMap((o) => o.reset),
  };
  const results: RunFigures[] = [];
  try {
    console.log(`PostgreSQL ${pgServerVersion()}, ${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(2)}`);
    console.log(`setup: ${rows.toLocaleString('en-US')} rows in ${fmt(await setup(env))}`);
    const idleFigures = await idle(env, Number(arg('idle', '10000')));
    console.log(`idle writer: p50 ${fmt(idleFigures.p50)}, p99 ${fmt(idleFigures.p99)}, max ${fmt(idleFigures.max)} (${idleFigures.writes} writes)`);
    for (const op of ops) {
      if (only && !only.includes(op.key)) continue;
      for (const form of ['plain', 'ferry'] as const) {
        const r = await runOne(env, op, form);
        results.push(r);
        console.log(
          `${op.key} ${form}: ${r.ok ? 'ok' : `FAILED ${r.error}`}, wall ${fmt(r.wallMs)}, longest stall ${ms(r.stallMs)}, p99 ${fmt(r.during.p99)}, failed writes ${r.writesFailed}` +
            (r.lockWaits !== undefined ? `, lock waits ${r.lockWaits}` : '') +
            (r.backfill ? `, backfill ${Math.round(r.backfill.rowsPerSecond)} rows/s, p99 during it ${fmt(r.backfill.during.p99)}` : '') +
            (r.steps?.length ? `\n    ${r.steps.join('\n    ')}` : ''),
        );
      }
    }
    const idleAfter = await idle(env, Number(arg('idle', '10000')));
    console.log('');
    console.log(summary(env, idleFigures, idleAfter, results));
    fs.mkdirSync(WORK, { recursive: true });
    const file = path.join(WORK, `online-results-${rows}.json`);
    const settings = { rate: env.rate, holdMs: env.holdMs, lockTimeoutMs: env.lockTimeoutMs, batchTime: arg('batch-time', 'default (50ms)') };
    fs.writeFileSync(
      file,
      JSON.stringify({ rows, ...settings, postgres: pgServerVersion(), idle: idleFigures, idleAfter, results, date: new Date().toISOString() }, null, 2),
    );
    console.log(`\nfigures: ${path.relative(ROOT, file)}`);
  } finally {
    await admin.end();
    fs.rmSync(env.tmp, { recursive: true, force: true });
    if (!keep) dropDatabase(db);
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
