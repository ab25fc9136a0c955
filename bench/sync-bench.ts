/**
 * `ferry sync` measured against the goals of issue 12, on a generated SQLite database of 4 tables
 * with a second process writing as an app would (its own connection, a busy timeout):
 *   - the writer's throughput with capture on against off (unpaced, 3 s each);
 *   - the snapshot and catch-up with the writer at a steady 500 writes/s;
 *   - catch-up speed on a backlog of changes;
 *   - the write pause at cutover (fence to ready), with the writer at 500 writes/s;
 *   - rollback of 10,000 rows written on PostgreSQL after the cutover;
 *   - peak memory of each ferry process.
 *
 *   node dist/bench/sync-bench.js [--rows 1000000] [--backlog 100000] [--url postgres://…]
 *
 * Needs PostgreSQL (FERRY_BENCH_POSTGRES_URL, or the local server); writes bench/work/sync-results.json.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import { TreeSampler } from './proc-stats.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FERRY = path.join(ROOT, 'bin', 'ferry.js');
const WORK = path.join(ROOT, 'bench', 'work');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

/** Four tables, `rows` rows in all, written by SQL so generation costs seconds, not minutes. */
function makeSource(file: string, rows: number): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, active BOOLEAN NOT NULL, created DATETIME NOT NULL);
    CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, total REAL NOT NULL, status TEXT NOT NULL, placed TIMESTAMP NOT NULL);
    CREATE TABLE events (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, kind TEXT NOT NULL, payload JSON, at DATETIME NOT NULL);
    CREATE TABLE items (sku TEXT PRIMARY KEY, name TEXT NOT NULL, price REAL NOT NULL, stock INTEGER NOT NULL);`);
  const n = (share: number) => Math.max(1, Math.round(rows * share));
  const series = (count: number) => `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${count})`;
  db.exec(`${series(n(0.1))} INSERT INTO users SELECT i, 'user' || i || '@example.com', i % 2, datetime(1700000000 + i, 'unixepoch') FROM s`);
  db.exec(
    `${series(n(0.4))} INSERT INTO orders SELECT i, 1 + i % ${n(0.1)}, (i % 10000) / 100.0, 'paid', strftime('%Y-%m-%dT%H:%M:%SZ', 1700000000 + i, 'unixepoch') FROM s`,
  );
  db.exec(`${series(n(0.4))} INSERT INTO events SELECT i, 1 + i % ${n(0.1)}, 'click', json_object('n', i), datetime(1700000000 + i, 'unixepoch') FROM s`);
  db.exec(`${series(n(0.1))} INSERT INTO items SELECT 'sku-' || i, 'item ' || i, (i % 500) / 4.0, i % 100 FROM s`);
  db.close();
}

/**
 * The app: `paced` writes about `rate` a second until SIGTERM (or `seconds`); `max` writes as fast
 * as it can for `seconds`; `burst` makes `count` writes. Each write is its own transaction (an
 * insert, an update or a delete, in turn). Prints { writes, failed, ms, firstFailure }.
 */
const WRITER = `
const Database = require('better-sqlite3');
const [file, mode, n, from] = process.argv.slice(1);
const db = new Database(file, { timeout: 5000 });
const ins = db.prepare("INSERT INTO events (id, user_id, kind, payload, at) VALUES (?, 1, 'app', '{}', '2026-01-01 00:00:00')");
const upd = db.prepare('UPDATE orders SET total = total + 1, status = ? WHERE id = ?');
const del = db.prepare('DELETE FROM events WHERE id = ?');
let next = Number(from), writes = 0, failed = 0, firstFailure = null;
const started = Date.now();
const one = () => {
  const k = next++;
  try {
    if (k % 3 === 0) ins.run(k);
    else if (k % 3 === 1) upd.run('changed', 1 + (k % 1000));
    else del.run(k - 1000000000 + 1);
    writes++;
  } catch (e) { failed++; firstFailure = firstFailure || e.message; }
};
const done = () => { console.log(JSON.stringify({ writes, failed, ms: Date.now() - started, firstFailure })); process.exit(0); };
process.on('SIGTERM', done);
if (mode === 'burst') { for (let i = 0; i < Number(n); i++) one(); done(); }
else if (mode === 'max') { const end = started + Number(n) * 1000; while (Date.now() < end) one(); done(); }
else { const rate = Number(n); const tick = () => { const due = Math.floor(((Date.now() - started) / 1000) * rate); while (writes + failed < due) one(); setTimeout(tick, 10); }; tick(); }
`;

interface WriterStats {
  writes: number;
  failed: number;
  ms: number;
  firstFailure: string | null;
}

function writer(file: string, mode: 'paced' | 'max' | 'burst', n: number, from: number): { stop(): void; done: Promise<WriterStats> } {
  const child = spawn(process.execPath, ['-e', WRITER, file, mode, String(n), String(from)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  return { stop: () => child.kill('SIGTERM'), done: new Promise((resolve) => child.on('close', () => resolve(JSON.parse(out) as WriterStats))) };
}

interface Run {
  ms: number;
  peakMb: number;
  code: number | null;
  json: Record<string, unknown>;
  stderr: string;
}

/** One ferry command, timed, its process tree's peak memory sampled. */
function ferry(...args: string[]): Promise<Run> {
  const started = Date.now();
  const child = spawn(process.execPath, [FERRY, ...args, '--json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  const sampler = new TreeSampler(child.pid!);
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((resolve) =>
    child.on('close', (code) => {
      sampler.stop();
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(out) as Record<string, unknown>;
      } catch {
        // a failed run prints its error
      }
      resolve({ ms: Date.now() - started, peakMb: Math.round(sampler.maxHwmKb() / 1024), code, json, stderr: err });
    }),
  );
}

async function freshDatabase(serverUrl: string, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

function must(r: Run, what: string): Run {
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}): ${JSON.stringify(r.json)} ${r.stderr.slice(-800)}`);
  return r;
}

async function main(): Promise<void> {
  const rows = Number(arg('rows', '1000000'));
  const backlog = Number(arg('backlog', '100000'));
  const serverUrl = arg('url', process.env.FERRY_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  fs.mkdirSync(WORK, { recursive: true });
  const file = path.join(WORK, `sync-${rows}.db`);
  const t = Date.now();
  makeSource(file, rows);
  console.log(`source: ${rows.toLocaleString('en-US')} rows in 4 tables, generated in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  const url = await freshDatabase(serverUrl, `bench_sync_${rows}`);

  // Each run of the app inserts events from its own base id. All of them fit 32 bits, as an app's ids
  // would, so the integer columns the snapshot makes (sized as ferry copy sizes them) hold them.
  const off = await writer(file, 'max', 3, 1_000_000_000).done;
  console.log(`writer, capture off: ${Math.round((off.writes * 1000) / off.ms)} writes/s`);

  // Snapshot and catch-up with the app writing at 500 writes/s.
  const steady = writer(file, 'paced', 500, 1_100_000_000);
  const start = must(await ferry('sync', 'start', file, url, '--until-caught-up'), 'sync start');
  steady.stop();
  const steadyStats = await steady.done;
  const tail = must(await ferry('sync', 'start', file, url, '--until-caught-up'), 'sync start (tail)');
  console.log(
    `snapshot + catch-up: ${(start.ms / 1000).toFixed(1)} s, peak ${start.peakMb} MB; the app wrote ${Math.round((steadyStats.writes * 1000) / steadyStats.ms)}/s meanwhile (${steadyStats.failed} failed)`,
  );

  const on = await writer(file, 'max', 3, 1_200_000_000).done;
  console.log(`writer, capture on: ${Math.round((on.writes * 1000) / on.ms)} writes/s (${(on.writes / on.ms / (off.writes / off.ms)).toFixed(2)}x)`);

  // Catch-up speed: a backlog applied in one run.
  const pending0 = Number((await ferry('sync', 'status', file, url)).json.pending ?? 0);
  await writer(file, 'burst', backlog, 1_300_000_000).done;
  const catchUp = must(await ferry('sync', 'start', file, url, '--until-caught-up'), 'sync start (backlog)');
  const applied = Number(catchUp.json.applied) - Number(tail.json.applied);
  console.log(
    `catch-up: ${applied.toLocaleString('en-US')} changes (${pending0} pending before the burst) in ${(catchUp.ms / 1000).toFixed(2)} s = ${Math.round((applied * 1000) / catchUp.ms)} changes/s with start-up, last batch ${String(catchUp.json.rate)}/s; peak ${catchUp.peakMb} MB`,
  );

  // Cutover with the app writing.
  const live = writer(file, 'paced', 500, 1_400_000_000);
  await new Promise((r) => setTimeout(r, 1000));
  const cut = must(await ferry('sync', 'cutover', file, url), 'sync cutover');
  live.stop();
  const liveStats = await live.done;
  console.log(
    `cutover: writes paused ${String(cut.json.pauseMs)} ms (command ${cut.ms} ms, peak ${cut.peakMb} MB); the app's writes after the fence: ${liveStats.failed} refused ("${liveStats.firstFailure ?? ''}")`,
  );

  // Rollback of 10,000 rows written on PostgreSQL.
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(
    `INSERT INTO events (id, user_id, kind, payload, at) SELECT g, 1, 'on pg', '{"pg": true}', '2026-12-06 12:00:00' FROM generate_series(1500000000, 1500009999) g`,
  );
  await client.end();
  const back = must(await ferry('sync', 'rollback', file, url), 'sync rollback');
  console.log(`rollback of 10,000 rows: ${(back.ms / 1000).toFixed(2)} s (${String(back.json.broughtBack)} changes), peak ${back.peakMb} MB`);
  must(await ferry('sync', 'stop', file, url), 'sync stop');

  const results = {
    rows,
    backlog,
    writer: { offPerSecond: Math.round((off.writes * 1000) / off.ms), onPerSecond: Math.round((on.writes * 1000) / on.ms), steady: steadyStats },
    start: { ms: start.ms, peakMb: start.peakMb },
    catchUp: { changes: applied, ms: catchUp.ms, lastBatchRate: catchUp.json.rate, peakMb: catchUp.peakMb },
    cutover: { pauseMs: cut.json.pauseMs, ms: cut.ms, peakMb: cut.peakMb, refused: liveStats.failed },
    rollback: { ms: back.ms, changes: back.json.broughtBack, peakMb: back.peakMb },
    date: new Date().toISOString(),
  };
  fs.writeFileSync(path.join(WORK, `sync-results-${rows}.json`), JSON.stringify(results, null, 2));
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
