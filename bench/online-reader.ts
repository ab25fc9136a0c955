/**
 * The long read of the online-schema-change benchmark (online-bench.ts): a report query that keeps
 * its transaction open, as an analytics job or a forgotten psql session does.
 *
 *   node dist/bench/online-reader.js <url> <hold ms>
 *
 * BEGIN; SELECT count(*) FROM accounts (which takes ACCESS SHARE on the table until the transaction
 * ends); then it holds the transaction for `hold ms` and commits. Prints a JSON line when it holds
 * the lock ({ holding: epoch ms, rows }) and one when it let go ({ released: epoch ms }).
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';

/** The wall clock with sub-millisecond precision, comparable with the writer's. */
const nowMs = () => performance.timeOrigin + performance.now();

async function main(): Promise<void> {
  const [url, holdArg] = process.argv.slice(2);
  if (!url || !holdArg) {
    process.stderr.write('usage: online-reader.js <url> <hold ms>\n');
    process.exit(2);
  }
  const client = new pg.Client({ connectionString: url, application_name: 'ferry-bench-reader' });
  await client.connect();
  await client.query('BEGIN');
  const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM accounts');
  process.stdout.write(JSON.stringify({ holding: nowMs(), rows: Number(rows[0]!.n) }) + '\n');
  await new Promise((r) => setTimeout(r, Number(holdArg)));
  await client.query('COMMIT');
  process.stdout.write(JSON.stringify({ released: nowMs() }) + '\n');
  await client.end();
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
