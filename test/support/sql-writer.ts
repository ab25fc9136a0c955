/**
 * A second process that writes while a test changes the schema: runs each of its statements in
 * turn, over and over, for `ms` milliseconds (`$1` is a counter that grows by one per statement),
 * then prints `{"writes", "errors", "maxMs", "firstError"}` as JSON. Usage:
 * node sql-writer.js <postgres url> <ms> <statement> [<statement> ...]
 */
import pg from 'pg';

const [url, ms, ...statements] = process.argv.slice(2);
const client = new pg.Client({ connectionString: url });
await client.connect();
const end = Date.now() + Number(ms);
let writes = 0;
let errors = 0;
let maxMs = 0;
let firstError: string | null = null;
for (let n = 1; Date.now() < end; n++) {
  for (const sql of statements) {
    const t0 = performance.now();
    try {
      await client.query(sql, sql.includes('$1') ? [n] : []);
      writes++;
    } catch (e) {
      errors++;
      firstError ??= (e as Error).message;
    }
    maxMs = Math.max(maxMs, performance.now() - t0);
  }
}
await client.end();
process.stdout.write(JSON.stringify({ writes, errors, maxMs: Math.round(maxMs), firstError }) + '\n');
