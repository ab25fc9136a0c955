import pg from './pg-driver.js';
import type { Client } from 'pg';
import { connectError, type PostgresTarget } from './postgres-errors.js';
import { ferryTypes } from './postgres-types.js';

/** How long to wait for a server to answer when the URL has no `connect_timeout`. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * Session settings that make the server's text output exact and the same everywhere: shortest
 * round-trip floats on old servers too, ISO dates, UTC offsets for timestamptz (so a value reads
 * the same whatever the server's time zone), and hex bytea.
 */
const SESSION_SETUP = [
  'SET extra_float_digits = 3',
  'SET DateStyle = ISO',
  'SET IntervalStyle = postgres',
  "SET TimeZone = 'UTC'",
  'SET bytea_output = hex',
].join('; ');

/**
 * Opens one configured pg Client for the target, or throws a FerryError (CONNECT, AUTH,
 * DATABASE_MISSING) that never contains the password.
 */
export async function openClient(target: PostgresTarget): Promise<Client> {
  const timeoutMs = connectTimeoutMs(target.url);
  const client = new pg.Client({ connectionString: target.url, types: ferryTypes, connectionTimeoutMillis: timeoutMs });
  // Without a listener, a connection the server drops while idle would crash the process; the
  // next query on this client then fails and is reported as a lost connection instead.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query(SESSION_SETUP);
  } catch (e) {
    await client.end().catch(() => undefined);
    throw connectError(e, target, timeoutMs);
  }
  return client;
}

/** The URL's `connect_timeout` (seconds, as libpq reads it) in milliseconds, or the default. */
function connectTimeoutMs(url: string): number {
  try {
    const seconds = Number(new URL(url).searchParams.get('connect_timeout'));
    return seconds > 0 ? seconds * 1000 : DEFAULT_CONNECT_TIMEOUT_MS;
  } catch {
    return DEFAULT_CONNECT_TIMEOUT_MS;
  }
}
