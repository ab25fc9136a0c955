/**
 * The PostgreSQL floor of the schema-revisions benchmark: how long the server itself takes for the
 * benchmark's statements, with no tool in the way. The statements of all n revisions go as one
 * simple-query string on a connection opened beforehand (no process start-up, no file reading, one
 * round trip); only that query is timed, on a fresh database each run. Two shapes:
 *
 * - `one transaction`: the revisions' own statements in one BEGIN … COMMIT, which is what Alembic
 *   does on PostgreSQL by default (it adds its version-row UPDATEs);
 * - `a transaction per revision`: each revision's statements in its own BEGIN … COMMIT with version
 *   and history rows, asynchronous commits but the last, which is what ferry does (and guarantees).
 *
 * Whatever the tool, its wall time cannot go below the floor of the shape it runs; the difference is
 * the tool's own cost (start-up, reading revisions, planning, round trips).
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { dropDatabase, freshDatabase, pgUrl } from './copy-floor.js';
import { revisionOp, type RevisionSet } from './revisions-gen.js';

export type FloorShape = 'one transaction' | 'a transaction per revision';

/** Milliseconds per run, keyed `${shape}|${direction}`. */
export type FloorTimes = Map<string, number[]>;

/** The up and down statements of revision i, as the ferry files of revisions-gen.ts have them. */
function statements(i: number): { up: string; down: string } {
  const op = revisionOp(i);
  return op.kind === 'create'
    ? { up: `CREATE TABLE ${op.table} (id INTEGER PRIMARY KEY)`, down: `DROP TABLE ${op.table}` }
    : { up: `ALTER TABLE ${op.table} ADD COLUMN ${op.column} INTEGER`, down: `ALTER TABLE ${op.table} DROP COLUMN ${op.column}` };
}

/** The text for one direction and shape; `order` is the revision indexes in the order they run. */
function text(set: RevisionSet, shape: FloorShape, direction: 'up' | 'down'): string {
  const order = [...Array(set.n).keys()];
  if (direction === 'down') order.reverse();
  if (shape === 'one transaction') return ['BEGIN', ...order.map((i) => statements(i)[direction]), 'COMMIT'].join(';\n');
  const parts = ['SET synchronous_commit = off'];
  order.forEach((i, k) => {
    const id = set.ids[i]!;
    const head = direction === 'up' ? id : i > 0 ? set.ids[i - 1]! : null;
    parts.push('BEGIN');
    if (k === order.length - 1) parts.push('SET LOCAL synchronous_commit TO DEFAULT');
    parts.push(statements(i)[direction], 'DELETE FROM floor_version');
    if (head) parts.push(`INSERT INTO floor_version VALUES ('${head}')`);
    parts.push(`INSERT INTO floor_history VALUES (${(direction === 'up' ? 0 : set.n) + k + 1}, '${id}', '${direction}', clock_timestamp())`, 'COMMIT');
  });
  return [...parts, 'RESET synchronous_commit'].join(';\n');
}

/** Runs both shapes `runs` times, up then down, each run on a fresh database. */
export async function postgresFloor(set: RevisionSet, runs: number): Promise<FloorTimes> {
  const times: FloorTimes = new Map();
  const db = `bench_rev_${set.n}_floor`;
  for (let run = 0; run < runs; run++) {
    for (const shape of ['one transaction', 'a transaction per revision'] as FloorShape[]) {
      freshDatabase(db);
      const client = new pg.Client({ connectionString: pgUrl(db) });
      await client.connect();
      try {
        await client.query(
          'CREATE TABLE floor_version (revision text PRIMARY KEY); CREATE TABLE floor_history (seq bigint PRIMARY KEY, revision text, direction text, at timestamptz)',
        );
        for (const direction of ['up', 'down'] as const) {
          const sql = text(set, shape, direction);
          const t0 = performance.now();
          await client.query(sql);
          const ms = performance.now() - t0;
          const key = `${shape}|${direction}`;
          times.set(key, [...(times.get(key) ?? []), ms]);
          process.stderr.write(`  PostgreSQL floor, ${shape}, ${direction} n=${set.n}: ${Math.round(ms)} ms\n`);
        }
      } finally {
        await client.end();
      }
    }
  }
  dropDatabase(db);
  return times;
}
