/**
 * The app of the online-schema-change benchmark (online-bench.ts): writes to `accounts` at a steady
 * rate from a pool of connections, as a web app's request handlers would, and times every write.
 *
 *   node dist/bench/online-writer.js <url> <writes/s> <rows> <first new id>
 *
 * Write k is due at start + k / rate, whether the writes before it finished or not (a stalled app
 * keeps receiving requests). Its latency runs from when it was due to when it finished, so a write
 * queued behind a stalled one counts its wait too. Even writes insert a new account, odd ones
 * update a random existing one. Prints `ready` once every connection is open. SIGUSR2 switches the
 * inserts from `plan` to `tier` (the new app of a rename). SIGTERM stops it: it waits for the writes
 * in flight, then prints one JSON line (WriterReport).
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';

/** What the writer prints when stopped: one entry per write, in the order they were due. */
export interface WriterReport {
  /** When each write was due, ms since the epoch. */
  due: number[];
  /** Each write's latency from when it was due, ms. */
  ms: number[];
  /** Indexes of the writes that failed. */
  failed: number[];
  /** The first failure's message. */
  firstFailure: string | null;
}

const POOL_SIZE = 16;
const ORGS = 1000;

/** The wall clock with sub-millisecond precision, comparable across processes on one machine. */
function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

async function main(): Promise<void> {
  const [url, rateArg, rowsArg, firstArg] = process.argv.slice(2);
  if (!url || !rateArg || !rowsArg || !firstArg) {
    process.stderr.write('usage: online-writer.js <url> <writes/s> <rows> <first new id>\n');
    process.exit(2);
  }
  const rate = Number(rateArg);
  const rows = Number(rowsArg);
  const first = Number(firstArg);
  const pool = new pg.Pool({ connectionString: url, max: POOL_SIZE, application_name: 'ferry-bench-writer' });
  // Errors of idle clients (a terminated backend) must not kill the app.
  pool.on('error', () => undefined);
  const warm = await Promise.all(Array.from({ length: POOL_SIZE }, () => pool.connect()));
  for (const c of warm) c.release();

  let planColumn = 'plan';
  process.on('SIGUSR2', () => (planColumn = 'tier'));

  const report: WriterReport = { due: [], ms: [], failed: [], firstFailure: null };
  let inFlight = 0;
  let stopping = false;
  const write = (k: number, due: number) => {
    const id = first + k;
    const sql =
      k % 2 === 0
        ? {
            text: `INSERT INTO accounts (id, org_id, email, ${planColumn}, amount) VALUES ($1, $2, $3, 'pro', $4)`,
            values: [id, 1 + (k % ORGS), `w${id}@example.com`, k % 1000],
          }
        : { text: 'UPDATE accounts SET amount = amount + 1 WHERE id = $1', values: [1 + Math.floor(Math.random() * rows)] };
    const i = report.due.push(due) - 1;
    report.ms.push(NaN);
    inFlight++;
    pool.query(sql).then(
      () => {
        report.ms[i] = nowMs() - due;
        inFlight--;
      },
      (e: unknown) => {
        report.ms[i] = nowMs() - due;
        report.failed.push(i);
        report.firstFailure ??= e instanceof Error ? e.message : String(e);
        inFlight--;
      },
    );
  };

  const start = nowMs();
  let next = 0;
  const tick = setInterval(() => {
    if (stopping) return;
    const now = nowMs();
    for (let due = start + (next * 1000) / rate; due <= now; due = start + (next * 1000) / rate) write(next++, due);
  }, 2);

  process.on('SIGTERM', () => {
    stopping = true;
    clearInterval(tick);
    const end = nowMs() + 120_000;
    const finish = () => {
      if (inFlight > 0 && nowMs() < end) return void setTimeout(finish, 10);
      process.stdout.write(JSON.stringify(report) + '\n', () => {
        void pool.end().finally(() => process.exit(0));
      });
    };
    finish();
  });
  process.stdout.write('ready\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
