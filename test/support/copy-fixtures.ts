/**
 * Helpers shared by the `ferry copy` / `ferry verify` integration tests: a plain pg client that
 * reads int8 as bigint, quoting, bit-level comparisons and small inspection queries.
 */
import Database from 'better-sqlite3';
import pg from 'pg';

/** Double-quotes an identifier for either engine. */
export function q(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The 8 bytes of a double as hex, so -0, NaN payloads and the last bit all count. */
export function bits(n: number): string {
  return Buffer.from(new Float64Array([n]).buffer).toString('hex');
}

/** Runs `fn` with a connected plain pg client (int8 read as bigint) and always closes it. */
export async function withPg<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: 10_000,
    types: {
      getTypeParser: ((oid: number, format?: string) => {
        // Every integer exactly and alike, whatever its width (int2, int4, int8).
        if (oid === 20 || oid === 21 || oid === 23) return (v: string) => BigInt(v);
        return pg.types.getTypeParser(oid, format as 'text');
      }) as typeof pg.types.getTypeParser,
    },
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Names of the app's tables in the schema public of a PostgreSQL database, sorted. */
export async function pgTables(url: string): Promise<string[]> {
  return withPg(url, async (c) => {
    // ferry's record of where the tables came from (_ferry_origin) is not one of the app's tables.
    const r = await c.query<{ t: string }>(
      `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> '_ferry_origin' ORDER BY 1`,
    );
    return r.rows.map((x) => x.t);
  });
}

/** Row count of a PostgreSQL table. */
export async function pgCount(url: string, table: string): Promise<number> {
  return withPg(url, async (c) => Number((await c.query<{ n: bigint }>(`SELECT count(*)::int8 AS n FROM ${q(table)}`)).rows[0]!.n));
}

/** column name -> information_schema data_type of a PostgreSQL table. */
export async function pgColumnTypes(url: string, table: string): Promise<Record<string, string>> {
  return withPg(url, async (c) => {
    const r = await c.query<{ column_name: string; data_type: string }>(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
      [table],
    );
    return Object.fromEntries(r.rows.map((x) => [x.column_name, x.data_type]));
  });
}

/** A SQLite value with its storage class, as `typeof()` reports it. */
export interface Typed {
  type: 'integer' | 'real' | 'text' | 'blob' | 'null';
  value: unknown;
}

/** Every row of a SQLite table as typed values (ints as bigint), ordered by `orderBy`. */
export function sqliteTyped(file: string, table: string, columns: string[], orderBy: string): Typed[][] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.defaultSafeIntegers(true);
  try {
    const sel = columns.flatMap((c) => [`typeof(${q(c)})`, q(c)]).join(', ');
    const rows = db
      .prepare(`SELECT ${sel} FROM ${q(table)} ORDER BY ${orderBy}`)
      .raw(true)
      .all() as unknown[][];
    return rows.map((r) => columns.map((_, i) => ({ type: r[2 * i] as Typed['type'], value: r[2 * i + 1] })));
  } finally {
    db.close();
  }
}

/** Makes a typed value comparable with deepEqual: doubles as their bits, blobs as hex. */
export function typedKey(v: Typed): string {
  if (v.type === 'real') return `real:${bits(v.value as number)}`;
  if (v.type === 'blob') return `blob:${Buffer.from(v.value as Uint8Array).toString('hex')}`;
  if (v.type === 'integer') return `integer:${String(v.value)}`;
  if (v.type === 'text') return `text:${JSON.stringify(v.value)}`;
  return 'null';
}

/** Names of the user tables of a SQLite file, sorted. */
export function sqliteTables(file: string): string[] {
  // Not read-only: a file a killed run left with a hot rollback journal must be recovered on open,
  // which a read-only connection refuses (SQLITE_READONLY_ROLLBACK).
  const db = new Database(file, { fileMustExist: true });
  try {
    return db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).pluck().all() as string[];
  } finally {
    db.close();
  }
}

/** Parses the last JSON document a `--json` run printed on stdout. */
export function parseJsonOutput(stdout: string): Record<string, unknown> {
  const start = stdout.indexOf('{');
  if (start < 0) throw new Error(`no JSON on stdout: ${stdout}`);
  return JSON.parse(stdout.slice(start)) as Record<string, unknown>;
}

/** A deterministic pseudo-random generator (mulberry32), so fixtures are reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random finite double from random bits (any exponent, full mantissa). */
export function randomDouble(next: () => number): number {
  for (;;) {
    const buf = Buffer.alloc(8);
    buf.writeUInt32LE(Math.floor(next() * 2 ** 32), 0);
    buf.writeUInt32LE(Math.floor(next() * 2 ** 32), 4);
    const d = buf.readDoubleLE(0);
    if (Number.isFinite(d) && !Object.is(d, -0)) return d;
  }
}

/** A random int64 over the whole range. */
export function randomInt64(next: () => number): bigint {
  const hi = BigInt(Math.floor(next() * 2 ** 32));
  const lo = BigInt(Math.floor(next() * 2 ** 32));
  return BigInt.asIntN(64, (hi << 32n) | lo);
}
