import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls, { type ConnectionOptions } from 'node:tls';
import pg from './pg-driver.js';
import type { Client, ClientConfig } from 'pg';
import { findPassword, type PasswordLookup } from './postgres-password.js';
import { parsePostgresUrl, urlParameter } from './postgres-url.js';
import { FerryError } from '../../errors.js';
import { connectError, NoPasswordError, type PostgresTarget } from './postgres-errors.js';
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

/** URL parameters handed on to node-postgres as they are. */
const PASSED_ON = [
  'application_name',
  'fallback_application_name',
  'options',
  'client_encoding',
  'statement_timeout',
  'lock_timeout',
  'idle_in_transaction_session_timeout',
] as const;

/**
 * Opens one configured pg Client for the target, or throws a FerryError (CONNECT, AUTH,
 * DATABASE_MISSING, BAD_URL) that never contains the password.
 *
 * ferry gives node-postgres every setting itself (host, port, user, database as parseUrl resolved
 * them from the URL and PGHOST/PGPORT/PGUSER/PGDATABASE; the password from the URL, PGPASSWORD or
 * ~/.pgpass; TLS options following libpq's sslmode) instead of the connection string, so that the
 * settings are the ones its messages name, and sslmode means what it means to libpq.
 */
export async function openClient(target: PostgresTarget): Promise<Client> {
  // A target built by hand (library callers) may lack the resolved settings: read them again.
  const t = target.from ? target : handMade(target);
  const timeoutMs = connectTimeoutMs(t.url);
  let lookup: PasswordLookup | undefined;
  // Called by pg only when the server asks for a password, so a server that trusts the client
  // never makes ferry read ~/.pgpass.
  const password = async (): Promise<string> => {
    lookup ??= await findPassword(t);
    if (lookup.password === undefined) throw new NoPasswordError();
    return lookup.password;
  };
  const attempts = sslAttempts(t);
  for (let i = 0; ; i++) {
    const attempt = attempts[i]!;
    const config: ClientConfig = {
      host: t.host,
      port: t.port,
      user: t.user,
      database: t.database,
      password,
      ssl: attempt.ssl,
      types: ferryTypes,
      connectionTimeoutMillis: timeoutMs,
      // So `ferry watch` (and any DBA) can tell ferry's sessions apart; an application_name in the
      // URL or PGAPPNAME still wins, as a fallback does in libpq.
      fallback_application_name: 'ferry',
    };
    for (const name of PASSED_ON) {
      const value = urlParameter(t.url, name);
      if (value !== undefined) (config as Record<string, unknown>)[name] = value;
    }
    const client = new pg.Client(config);
    // Without a listener, a connection the server drops while idle would crash the process; the
    // next query on this client then fails and is reported as a lost connection instead.
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query(SESSION_SETUP);
      return client;
    } catch (e) {
      await client.end().catch(() => undefined);
      // sslmode=prefer falls back to a plain connection, allow to an encrypted one, as in libpq.
      if (i + 1 < attempts.length && attempt.retryIf?.(e)) continue;
      throw connectError(e, t, timeoutMs, lookup);
    }
  }
}

function handMade(target: PostgresTarget): PostgresTarget {
  const parsed = parsePostgresUrl(target.url);
  if (parsed.dialect !== 'postgres') throw new FerryError('BAD_URL', `${parsed.displayUrl} is not a PostgreSQL URL.`, { subject: parsed.displayUrl });
  return parsed;
}

/** The URL's `connect_timeout` (seconds, as libpq reads it), else PGCONNECT_TIMEOUT, in milliseconds. */
function connectTimeoutMs(url: string): number {
  const seconds = Number(urlParameter(url, 'connect_timeout') ?? process.env.PGCONNECT_TIMEOUT);
  return seconds > 0 ? seconds * 1000 : DEFAULT_CONNECT_TIMEOUT_MS;
}

interface SslAttempt {
  ssl: false | ConnectionOptions;
  /** When this attempt fails with this error, try the next one. */
  retryIf?: (e: unknown) => boolean;
}

const NO_SSL_ON_SERVER = /server does not support SSL/i;
const NEEDS_ENCRYPTION = /no encryption/i;

/**
 * The TLS settings to try, in order, for the target's sslmode, with libpq's meanings: `disable`
 * (or none given, as node-postgres does) no TLS; `allow` plain first, TLS if the server insists;
 * `prefer` TLS first without checking the certificate, plain if the server has no TLS; `require`
 * TLS without checking the certificate (but checking the CA when a root certificate is there);
 * `verify-ca` checks the CA; `verify-full` checks the CA and the host name.
 */
function sslAttempts(t: PostgresTarget): SslAttempt[] {
  const mode = t.sslmode;
  if (mode === undefined || mode === 'disable') return [{ ssl: false }];
  const client = clientCertificate(t);
  const encryptOnly: ConnectionOptions = { ...client, rejectUnauthorized: false };
  if (mode === 'allow') return [{ ssl: false, retryIf: (e) => NEEDS_ENCRYPTION.test(String((e as Error)?.message)) }, { ssl: encryptOnly }];
  if (mode === 'prefer') return [{ ssl: encryptOnly, retryIf: (e) => NO_SSL_ON_SERVER.test(String((e as Error)?.message)) }, { ssl: false }];
  const root = rootCertificate(t);
  if (mode === 'require' || mode === 'no-verify') {
    // libpq: with a root certificate at hand, require checks the CA like verify-ca.
    if (mode === 'require' && root?.ca) return [{ ssl: { ...client, ca: root.ca, checkServerIdentity: () => undefined } }];
    return [{ ssl: encryptOnly }];
  }
  if (mode === 'verify-ca') {
    if (!root) {
      throw new FerryError(
        'BAD_URL',
        `sslmode=verify-ca (from ${t.from?.sslmode ?? 'the URL'}) checks the server's certificate against a root certificate, and none was given.`,
        {
          subject: t.displayUrl,
          hint: 'Add sslrootcert=/path/to/root.crt to the URL (or set PGSSLROOTCERT, or put it in ~/.postgresql/root.crt), or use sslmode=verify-full to check against the system CAs.',
        },
      );
    }
    return [{ ssl: { ...client, ...(root.ca ? { ca: root.ca } : {}), checkServerIdentity: () => undefined } }];
  }
  // verify-full: the CA and the host name. Without a root certificate, Node's CAs (the system's).
  const host = t.host;
  return [
    {
      ssl: {
        ...client,
        ...(root?.ca ? { ca: root.ca } : {}),
        checkServerIdentity: (_name: string, cert: tls.PeerCertificate) => tls.checkServerIdentity(host, cert),
      },
    },
  ];
}

/** sslrootcert (URL), else PGSSLROOTCERT, else ~/.postgresql/root.crt when it exists; `system` means Node's CAs. */
function rootCertificate(t: PostgresTarget): { ca?: string } | undefined {
  const named = setting(t, 'sslrootcert', 'PGSSLROOTCERT');
  if (named?.value === 'system') return {};
  if (named) return { ca: readCertFile(named.value, named.from, t) };
  const fallback = path.join(os.homedir(), '.postgresql', 'root.crt');
  return fs.existsSync(fallback) ? { ca: readCertFile(fallback, 'the default ~/.postgresql/root.crt', t) } : undefined;
}

/** sslcert and sslkey (URL), else PGSSLCERT and PGSSLKEY: a client certificate, when given. */
function clientCertificate(t: PostgresTarget): ConnectionOptions {
  const cert = setting(t, 'sslcert', 'PGSSLCERT');
  const key = setting(t, 'sslkey', 'PGSSLKEY');
  return {
    ...(cert ? { cert: readCertFile(cert.value, cert.from, t) } : {}),
    ...(key ? { key: readCertFile(key.value, key.from, t) } : {}),
  };
}

function setting(t: PostgresTarget, param: string, envName: string): { value: string; from: string } | undefined {
  const inUrl = urlParameter(t.url, param);
  if (inUrl) return { value: inUrl, from: `${param} in the URL` };
  const env = process.env[envName];
  return env ? { value: env, from: envName } : undefined;
}

function readCertFile(file: string, from: string, t: PostgresTarget): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new FerryError('BAD_URL', `The file ${file} (${from}) cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`, {
      subject: t.displayUrl,
      hint: `Check the path given by ${from}.`,
    });
  }
}
