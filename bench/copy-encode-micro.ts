/**
 * Micro-benchmark of ferry's COPY path, to choose defaults: encoding 1M narrow rows (bigint,
 * double, ~20-character text, boolean, timestamp) with BinaryCopyEncoder and TextCopyEncoder,
 * then encode + COPY into PostgreSQL through PostgresEngine.copyIn at 16, 64 and 256 KB chunks,
 * and reading the rows back with copyOut (+ normalising every value, as verify does).
 * Not a test; prints rows/s.
 *
 *   node dist/bench/copy-encode-micro.js [--rows N] [--url postgres://...]
 *
 * It creates (and drops at the end) the database `ferry_bench_copy` on the server at --url
 * (default postgres://postgres@127.0.0.1:5432/postgres, or FERRY_BENCH_POSTGRES_URL).
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { connect } from '../src/engines/registry.js';
import type { Row } from '../src/values/value.js';
import { BinaryCopyEncoder, type CopyEncoder, type PgTypeKind } from '../src/engines/postgres/postgres-copy-binary.js';
import { TextCopyEncoder } from '../src/engines/postgres/postgres-copy-text-encoder.js';
import type { PostgresEngine } from '../src/engines/postgres/postgres-engine.js';
import { normalizerFor } from '../src/values/convert-value.js';
import type { LogicalType } from '../src/values/column-type.js';

const args = process.argv.slice(2);
const argOf = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const ROWS = Number(argOf('--rows') ?? 1_000_000);
const SERVER = argOf('--url') ?? process.env.FERRY_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DB = 'ferry_bench_copy';
const KINDS: PgTypeKind[] = ['int8', 'float8', 'text', 'bool', 'timestamp'];
const LOGICAL: LogicalType[] = ['int64', 'float64', 'text', 'boolean', 'timestamp'];
const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet'];

/** Canonical values, made once so the timings are of encoding and COPY only. */
function makeRows(n: number): Row[] {
  const rows: Row[] = new Array(n);
  let seed = 42;
  const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
  const base = 1704164645000000n;
  for (let i = 0; i < n; i++) {
    const text = `${WORDS[i % 10]} ${WORDS[(i >> 3) % 10]} #${i}`.padEnd(20, '.');
    rows[i] = [BigInt(i), rand() * 1e6, text, (i & 1) === 0, base + BigInt(i) * 1000123n];
  }
  return rows;
}

function* encoded(rows: Row[], encoder: CopyEncoder): Generator<Buffer> {
  for (let i = 0; i < rows.length; i++) {
    const done = encoder.encodeRow(rows[i]!);
    for (let j = 0; j < done.length; j++) yield done[j]!;
  }
  yield* encoder.finish();
}

function makeEncoder(format: 'binary' | 'text', chunkBytes: number): CopyEncoder {
  return format === 'binary' ? new BinaryCopyEncoder(KINDS, chunkBytes) : new TextCopyEncoder(KINDS, chunkBytes);
}

function rate(rows: number, ms: number): string {
  return `${Math.round(rows / (ms / 1000))
    .toLocaleString('en-US')
    .padStart(10)} rows/s`;
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: SERVER });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  console.log(`rows: ${ROWS.toLocaleString('en-US')}  columns: ${KINDS.join(', ')}  node ${process.version}`);
  const rows = makeRows(ROWS);

  console.log('\nencode only (no server), best of 3:');
  for (const format of ['binary', 'text'] as const) {
    let best = Infinity;
    let bytes = 0;
    for (let rep = 0; rep < 3; rep++) {
      const t0 = performance.now();
      bytes = 0;
      for (const chunk of encoded(rows, makeEncoder(format, 64 * 1024))) bytes += chunk.length;
      best = Math.min(best, performance.now() - t0);
    }
    console.log(`  ${format.padEnd(6)} ${rate(ROWS, best)}  ${(bytes / 1e6).toFixed(1)} MB (${(bytes / ROWS).toFixed(1)} B/row)  ${best.toFixed(0)} ms`);
  }

  await admin(`DROP DATABASE IF EXISTS ${DB}`);
  await admin(`CREATE DATABASE ${DB}`);
  const url = new URL(SERVER);
  url.pathname = `/${DB}`;
  const engine = (await connect(url.toString())) as PostgresEngine;
  try {
    await engine.exec('CREATE TABLE bench (id bigint, x double precision, s text, b boolean, t timestamp)');
    console.log('\nencode + COPY into PostgreSQL in one transaction (table truncated before each run), best of 2:');
    for (const chunkKb of [16, 64, 256]) {
      for (const format of ['binary', 'text'] as const) {
        let best = Infinity;
        for (let rep = 0; rep < 2; rep++) {
          await engine.exec('TRUNCATE bench');
          await engine.exec('CHECKPOINT');
          const t0 = performance.now();
          await engine.transaction(() => engine.copyIn('bench', ['id', 'x', 's', 'b', 't'], encoded(rows, makeEncoder(format, chunkKb * 1024)), format));
          best = Math.min(best, performance.now() - t0);
        }
        const count = await engine.countRows('bench');
        if (count !== ROWS) throw new Error(`expected ${ROWS} rows, found ${count}`);
        console.log(`  ${String(chunkKb).padStart(3)} KB ${format.padEnd(6)} ${rate(ROWS, best)}  ${best.toFixed(0)} ms`);
      }
    }

    console.log('\nread back with copyOut (COPY TO, text), best of 2:');
    const normalizers = LOGICAL.map((l) => normalizerFor(l, { pgText: true }));
    for (const normalise of [false, true]) {
      let best = Infinity;
      for (let rep = 0; rep < 2; rep++) {
        const t0 = performance.now();
        let n = 0;
        for await (const batch of engine.copyOut('SELECT id, x, s, b, t FROM bench')) {
          n += batch.length;
          if (normalise) for (const row of batch) for (let i = 0; i < row.length; i++) normalizers[i]!(row[i]!);
        }
        if (n !== ROWS) throw new Error(`copyOut returned ${n} rows`);
        best = Math.min(best, performance.now() - t0);
      }
      console.log(`  ${normalise ? 'parse + normalise' : 'parse only       '} ${rate(ROWS, best)}  ${best.toFixed(0)} ms`);
    }
  } finally {
    await engine.close();
    await admin(`DROP DATABASE IF EXISTS ${DB}`);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
