/**
 * How tests get a real PostgreSQL. The server is found in this order:
 *   1. FERRY_TEST_POSTGRES_URL (set by you, or by scripts/run-tests.js, which decides once per run
 *      and exports either the local server or the embedded one it started);
 *   2. a local server answering at postgres://postgres@127.0.0.1:5432/postgres (skipped when
 *      FERRY_TEST_NO_LOCAL_POSTGRES=1);
 *   3. none: in CI that is an error (a PostgreSQL test must never silently skip there); elsewhere
 *      the test skips with NO_POSTGRES_MESSAGE.
 * Each test file gets a brand-new database, so files can run in parallel and leave nothing behind.
 */
import crypto from 'node:crypto';
import pg from 'pg';

/** The local server probed when no URL is given. */
export const LOCAL_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** Why PostgreSQL tests skip, and how to make them run. */
export const NO_POSTGRES_MESSAGE =
  'no PostgreSQL server: run `npm test` (it starts an embedded server), start one at 127.0.0.1:5432 (user postgres), or set FERRY_TEST_POSTGRES_URL';

/** A database created for one test file. */
export interface FreshDatabase {
  /** URL of the new database, with the server's credentials. */
  url: string;
  /** Its name, `ferry_test_<random>`. */
  name: string;
  /** URL of the server's maintenance database the new one was created from. */
  serverUrl: string;
  /** Drops the database (disconnecting anyone still on it); safe to call twice. */
  drop(): Promise<void>;
}

/** The part of a node:test TestContext this module uses. */
export interface TestContextLike {
  skip(message?: string): void;
  after?(fn: () => Promise<void>): void;
}

/** True when CI is set to anything but '', 'false' or '0'. */
export function inCi(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0';
}

let found: Promise<string | null> | undefined;

/**
 * The URL of the PostgreSQL server tests should use, or null when there is none (outside CI).
 * Throws in CI when there is none, or when FERRY_TEST_POSTGRES_URL is set but does not answer.
 */
export function findPostgresUrl(): Promise<string | null> {
  found ??= locate();
  return found;
}

/** True when a PostgreSQL server is available for tests. */
export async function isPostgresAvailable(): Promise<boolean> {
  return (await findPostgresUrl()) !== null;
}

/**
 * Creates a brand-new database for the calling test file. With a test context it skips that test
 * when there is no server and drops the database when the test ends; without one, call drop().
 */
export async function freshPostgresDatabase(t?: TestContextLike): Promise<FreshDatabase | null> {
  const serverUrl = await findPostgresUrl();
  if (serverUrl === null) {
    t?.skip(NO_POSTGRES_MESSAGE);
    return null;
  }
  const name = `ferry_test_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
  await withAdmin(serverUrl, (client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  const db: FreshDatabase = {
    url: url.toString(),
    name,
    serverUrl,
    async drop() {
      if (dropped) return;
      dropped = true;
      // FORCE (PostgreSQL 13+) ends connections a failed test left open.
      await withAdmin(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
  t?.after?.(() => db.drop());
  return db;
}

async function locate(): Promise<string | null> {
  const given = process.env.FERRY_TEST_POSTGRES_URL;
  if (given) {
    const problem = await probe(given, 10_000);
    if (problem) throw new Error(`FERRY_TEST_POSTGRES_URL is set but the server does not answer: ${problem}`);
    return given;
  }
  // run-tests.js sets this when it looked for a server and found none, so files need not probe again.
  const reason = process.env.FERRY_TEST_POSTGRES_NONE;
  if (!reason && process.env.FERRY_TEST_NO_LOCAL_POSTGRES !== '1' && (await probe(LOCAL_POSTGRES_URL, 2_000)) === null) {
    return LOCAL_POSTGRES_URL;
  }
  if (inCi()) {
    throw new Error(
      `CI is set but no PostgreSQL server is available${reason ? ` (${reason})` : ''}; PostgreSQL tests must not skip in CI. Set FERRY_TEST_POSTGRES_URL or run through scripts/run-tests.js.`,
    );
  }
  return null;
}

/** Connects and runs SELECT 1; returns null when that works, else the reason it did not. */
async function probe(url: string, timeoutMs: number): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function withAdmin<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
