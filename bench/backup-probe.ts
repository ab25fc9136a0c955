/**
 * Where the time of `ferry backup` and `ferry backups --check` goes, beyond pg_dump / pg_restore:
 * ferry's own functions timed one by one on a loaded database (bench/backup-bench.ts --keep), each
 * in this one process, with this process's peak memory:
 *   - node's start-up with ferry's CLI (`node bin/ferry.js --version`);
 *   - postgresDigests() (what backup runs beside pg_dump and --check runs after pg_restore): one
 *     connection, one table after another, in a REPEATABLE READ transaction as backup has it;
 *   - the same tables through ferry's digest pool (postgresDigestPool, the worker threads `ferry
 *     verify` uses), 2 threads: what digesting in parallel would take;
 *   - sha256File() and `pg_restore --list` on a dump (the file checks of a set).
 *
 * `--digest-only` times postgresDigests() alone (to run it beside a restore's post-data section).
 *
 *   node dist/bench/backup-probe.js <database> [--dump FILE] [--repeat N] [--digest-only]
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { FERRY_BIN } from './copy-ferry.js';
import { pgUrl } from './copy-floor.js';
import { memKb } from './proc-stats.js';
import { postgresDigests } from '../src/engines/postgres/postgres-dump.js';
import { connectPostgres } from '../src/engines/postgres/postgres-engine.js';
import { parsePostgresUrl } from '../src/engines/postgres/postgres-url.js';
import { postgresDigestPool } from '../src/engines/postgres/postgres-digest-pool.js';
import { postgresTypeMapper } from '../src/engines/postgres/postgres-type-mapper.js';
import { isInternalTable } from '../src/schema/own-tables.js';
import { sha256File } from '../src/util/fs-atomic.js';
import { sec } from './bench-stats.js';

async function timed<T>(what: string, fn: () => Promise<T> | T): Promise<T> {
  const t0 = performance.now();
  const r = await fn();
  process.stdout.write(`${what}: ${sec(performance.now() - t0)} (peak RSS so far ${Math.round(memKb().hwm / 1024)} MB)\n`);
  return r;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const db = argv[0];
  if (!db) throw new Error('usage: backup-probe.js <database> [--dump FILE] [--repeat N]');
  const at = (k: string) => (argv.indexOf(k) >= 0 ? argv[argv.indexOf(k) + 1] : undefined);
  const dump = at('--dump');
  const repeat = Number(at('--repeat') ?? 1);
  const url = pgUrl(db);
  const digestOnly = argv.includes('--digest-only');

  if (digestOnly) {
    const engine = await connectPostgres(parsePostgresUrl(url));
    try {
      await timed('postgresDigests', () => postgresDigests(engine));
    } finally {
      await engine.close();
    }
    return;
  }
  for (let i = 0; i < repeat; i++) {
    await timed('node start-up (ferry --version)', () => {
      spawnSync(process.execPath, [FERRY_BIN, '--version']);
    });

    const engine = await connectPostgres(parsePostgresUrl(url));
    try {
      await engine.exec('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      const d = await timed('postgresDigests, one connection (as backup and --check)', () => postgresDigests(engine));
      await engine.exec('COMMIT');
      process.stdout.write(
        `  ${Object.entries(d)
          .map(([t, x]) => `${t} ${x.split(':')[0]} rows`)
          .join(', ')}\n`,
      );

      // The same tasks, two worker threads with a connection each.
      const tables = (await engine.introspect()).tables.filter((t) => !isInternalTable(t.name));
      const pool = postgresDigestPool(2);
      try {
        const tasks = tables.map((t) => ({
          table: t.name,
          columns: t.columns.map((c) => c.name),
          logicals: t.columns.map(
            (c) => postgresTypeMapper.read({ table: t.name, column: c.name, declared: c.type, jsonb: true, integers: 'fit' }).type.logical,
          ),
          types: t.columns.map((c) => c.type),
        }));
        // biggest first, as verify orders them
        const sizes = await engine.query<{ t: string; n: string }>(
          `SELECT c.relname AS t, c.relpages::text AS n FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = current_schema() AND c.relkind = 'r'`,
        );
        const pages = new Map(sizes.map((r) => [r.t, Number(r.n)]));
        tasks.sort((a, b) => (pages.get(b.table) ?? 0) - (pages.get(a.table) ?? 0));
        const p = await timed('digest pool, 2 threads (as verify)', () =>
          Promise.all(tasks.map(async (t) => [t.table, (await pool.digest(engine, t)).digest()] as const)),
        );
        const same = p.every(([t, x]) => d[t] === x);
        process.stdout.write(`  pool digests ${same ? 'equal' : 'DIFFER from'} postgresDigests'\n`);
      } finally {
        await pool.close();
      }
    } finally {
      await engine.close();
    }

    if (dump) {
      await timed(`sha256File(${path.basename(dump)})`, () => sha256File(dump));
      await timed('pg_restore --list', () => {
        spawnSync('pg_restore', ['--list', dump], { stdio: 'ignore' });
      });
    }
  }
}

await main();
