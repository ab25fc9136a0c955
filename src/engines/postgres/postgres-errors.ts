import { FerryError, isFerryError } from '../../errors.js';
import { maskPassword } from '../../engine/secrets.js';
import { PERCENT_ENCODING_HINT, urlPassword, type PostgresTarget } from './postgres-url.js';

/** The parsed PostgreSQL target, as connectPostgres receives it. */
export type { PostgresTarget };

/** The fields of a pg DatabaseError that ferry reads. */
interface ServerError {
  code: string;
  message: string;
  detail?: string;
  hint?: string;
  position?: string;
  table?: string;
  column?: string;
  constraint?: string;
}

/** Node socket errors that mean "nothing reachable answered at host:port". */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EADDRNOTAVAIL']);

/** True for an error the server sent, which carries a five-character SQLSTATE. */
export function isServerError(e: unknown): e is ServerError {
  const code = e instanceof Error ? (e as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}

/** The SQLSTATE of a server error, or undefined. */
export function sqlStateOf(e: unknown): string | undefined {
  return isServerError(e) ? e.code : undefined;
}

/** True when the error means the connection itself is gone (socket failure, server shut down). */
export function isConnectionLost(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  // 57P01..57P03: the server is shutting down or terminated this backend.
  if (typeof code === 'string' && /^57P0[1-3]$/.test(code)) return true;
  return /Connection terminated|Client was closed|not queryable|timeout expired/i.test(e.message);
}

/**
 * Thrown (inside pg's password callback) when the server asks for a password and neither the
 * URL, PGPASSWORD nor the password file has one; connectError turns it into AUTH.
 */
export class NoPasswordError extends Error {
  constructor() {
    super('no password was given');
    this.name = 'NoPasswordError';
  }
}

/** How a password was looked for (see engine/pg-password.ts); never holds it in messages. */
interface PasswordOrigin {
  from?: string;
  notes: string[];
}

/** Node TLS errors that mean "the server's certificate was not accepted". */
const CERTIFICATE_CODES = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ALTNAME/;

/**
 * Turns a failure to connect into a FerryError that says what to check, and where each setting
 * came from when it was not the URL (PGHOST, PGPORT, PGUSER, PGDATABASE, PGSSLMODE, a default; the
 * password's source: the URL, PGPASSWORD or a ~/.pgpass line). The message is built from the
 * masked URL and host:port, and pg's own text is masked too, so a password never leaks.
 */
export function connectError(e: unknown, target: PostgresTarget, timeoutMs: number, password?: PasswordOrigin): FerryError {
  if (isFerryError(e)) return e;
  const where = `${target.host}:${target.port}`;
  const detail = safeMessage(e, target);
  const shown = (...keys: ('host' | 'port' | 'user' | 'database')[]) => `${target.displayUrl}${settingNotes(target, keys)}`;
  const base = {
    subject: target.displayUrl,
    cause: e,
    data: {
      host: target.host,
      port: target.port,
      database: target.database,
      user: target.user,
      ...(target.from ? { settingsFrom: target.from } : {}),
      ...(password?.from ? { passwordFrom: password.from } : {}),
    },
  };
  const code = (e as { code?: unknown })?.code;
  const ssl = target.sslmode ? `sslmode=${target.sslmode} (from ${target.from?.sslmode ?? 'the URL'})` : '';

  if (e instanceof NoPasswordError) {
    const notes = password?.notes.length ? password.notes.join('; ') : 'no password file has one';
    return new FerryError(
      'AUTH',
      `PostgreSQL at ${where} asks user "${target.user}" for a password, and none was given (${shown('user')}): the URL has none, PGPASSWORD is not set, and ${notes}.`,
      {
        ...base,
        hint: 'Set PGPASSWORD, or add a line host:port:database:user:password to ~/.pgpass (mode 0600; PGPASSFILE names another file), or put the password in the URL, percent-encoded.',
      },
    );
  }
  if (code === 'ECONNREFUSED') {
    return new FerryError(
      'CONNECT',
      `Cannot connect to PostgreSQL at ${where} (${shown('host', 'port')}): the connection was refused; the server may be down or listening on another port.`,
      {
        ...base,
        hint: `Check that PostgreSQL is running and accepts TCP connections on ${where}.`,
      },
    );
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new FerryError('CONNECT', `Cannot connect to PostgreSQL at ${where} (${shown('host')}): the host name "${target.host}" could not be resolved.`, {
      ...base,
      hint: target.from?.host === 'PGHOST' ? 'Check PGHOST (the URL has no host).' : 'Check the host name in the URL.',
    });
  }
  if (!isServerError(e) && /server does not support SSL/i.test(detail)) {
    return new FerryError(
      'CONNECT',
      `Cannot connect to PostgreSQL at ${where} (${shown('host', 'port')}): the server does not support SSL, and ${ssl || 'the connection'} requires it.`,
      {
        ...base,
        hint: "Turn ssl on in the server's postgresql.conf, or use sslmode=prefer (TLS when the server offers it) or sslmode=disable.",
      },
    );
  }
  if (!isServerError(e) && typeof code === 'string' && CERTIFICATE_CODES.test(code)) {
    return new FerryError(
      'CONNECT',
      `Cannot connect to PostgreSQL at ${where} (${shown('host', 'port')}): the server's TLS certificate was not accepted under ${ssl || 'the SSL settings'}: ${detail}`,
      {
        ...base,
        hint: 'Give the CA that signed it with sslrootcert=/path/to/root.crt in the URL (or PGSSLROOTCERT, or ~/.postgresql/root.crt); sslmode=require encrypts without checking the certificate.',
      },
    );
  }
  if (code === '28P01' || code === '28000' || (!isServerError(e) && /password|SASL|SCRAM|authentication/i.test(detail))) {
    const needsTls = code === '28000' && /no encryption/i.test(detail);
    return new FerryError(
      'AUTH',
      `PostgreSQL at ${where} refused user "${target.user}" (${shown('user', 'database')}): ${detail}${password?.from ? ` (the password came from ${password.from})` : ''}`,
      {
        ...base,
        hint: needsTls
          ? 'The server accepts only encrypted connections from here: add ?sslmode=require to the URL (or set PGSSLMODE=require).'
          : authHint(password?.from),
      },
    );
  }
  if (code === '3D000') {
    return new FerryError('DATABASE_MISSING', `The database "${target.database}" does not exist on the PostgreSQL server at ${where} (${shown('database')}).`, {
      ...base,
      hint: `Create it first, e.g. \`createdb -h ${target.host} -p ${target.port} -U ${target.user} ${shellWord(target.database)}\` or CREATE DATABASE in psql.`,
    });
  }
  if (isServerError(e)) {
    return new FerryError('CONNECT', `PostgreSQL at ${where} did not accept the connection (${target.displayUrl}): ${detail} [SQLSTATE ${e.code}]`, {
      ...base,
      hint: e.code === '53300' ? 'The server has no free connection slots; try again later or raise max_connections.' : 'Check the server log for details.',
    });
  }
  const timedOut = /timeout|terminated unexpectedly/i.test(detail);
  return new FerryError(
    'CONNECT',
    timedOut
      ? `Cannot connect to PostgreSQL at ${where} (${shown('host', 'port')}): no answer within ${Math.round(timeoutMs / 1000)}s; the server may be down, unreachable or blocked by a firewall.`
      : `Cannot connect to PostgreSQL at ${where} (${shown('host', 'port')}): ${detail}`,
    {
      ...base,
      hint: `Check that PostgreSQL is running and reachable at ${where}.`,
    },
  );
}

/** What to check after a refused password, by where the password came from. */
function authHint(from: string | undefined): string {
  if (from === 'the URL') {
    return `Check the user name and the password in the URL, and the server's pg_hba.conf. ${PERCENT_ENCODING_HINT}`;
  }
  if (from === 'PGPASSWORD') {
    return "The URL has no password, so ferry sent PGPASSWORD: check it and the user name (or unset it to use ~/.pgpass), and the server's pg_hba.conf.";
  }
  if (from) {
    return `The URL has no password and PGPASSWORD is not set, so ferry sent the password on ${from}: check that line (host:port:database:user:password; write a colon in the password as \\: and a backslash as \\\\).`;
  }
  return "Check the user name and password (in the URL, PGPASSWORD or ~/.pgpass) and the server's pg_hba.conf.";
}

/** "; host from PGHOST, port 5432 by default" for the settings (of `keys`) the URL did not give. */
function settingNotes(target: PostgresTarget, keys: ('host' | 'port' | 'user' | 'database')[]): string {
  const from = target.from;
  if (!from) return '';
  const notes: string[] = [];
  for (const key of keys) {
    const source = from[key];
    if (source === 'the URL') continue;
    if (source !== 'default') notes.push(`${key} from ${source}`);
    else if (key === 'host') notes.push('host localhost by default');
    else if (key === 'port') notes.push('port 5432 by default');
    else if (key === 'user') notes.push('user name from your OS login, as none was given');
    else notes.push('database named after the user, as none was given');
  }
  return notes.length ? `; ${notes.join(', ')}` : '';
}

/**
 * Turns a failed statement into FerryError 'QUERY' carrying the SQLSTATE and the start of the
 * statement (enough to recognise it without flooding the terminal with a huge INSERT).
 */
export function queryError(e: unknown, sql: string, target: PostgresTarget, subject?: string): FerryError {
  if (isFerryError(e)) return e;
  const statement = statementPreview(sql);
  if (!isServerError(e) && isConnectionLost(e)) {
    return new FerryError('CONNECT', `Lost the connection to PostgreSQL at ${target.host}:${target.port} (${target.displayUrl}) while running: ${statement}`, {
      subject: subject ?? target.displayUrl,
      cause: e,
      hint: 'The server may have restarted or closed the connection; run the command again.',
      data: { statement },
    });
  }
  const state = sqlStateOf(e);
  const detail = safeMessage(e, target);
  const server = isServerError(e) ? e : undefined;
  return new FerryError(
    'QUERY',
    `PostgreSQL error${state ? ` ${state}` : ''}: ${detail}${server?.detail ? ` (${server.detail})` : ''}. Statement: ${statement}`,
    {
      subject: subject ?? target.displayUrl,
      cause: e,
      hint: server?.hint,
      data: {
        sqlstate: state,
        statement,
        ...(server?.constraint ? { constraint: server.constraint } : {}),
        ...(server?.position ? { position: Number(server.position) } : {}),
      },
    },
  );
}

/**
 * Like queryError for statements about one table, but a missing table or column gets its own code
 * (TABLE_MISSING, COLUMN_MISSING) so callers can tell "wrong name" from "bad data".
 */
export function tableError(e: unknown, sql: string, target: PostgresTarget, table: string, doing: string): FerryError {
  if (isFerryError(e)) return e;
  const state = sqlStateOf(e);
  if (state === '42P01') {
    return new FerryError('TABLE_MISSING', `The table "${table}" does not exist in ${target.displayUrl}.`, {
      subject: table,
      cause: e,
      data: { sqlstate: state },
    });
  }
  if (state === '42703') {
    return new FerryError('COLUMN_MISSING', `${doing} "${table}" failed: ${safeMessage(e, target)}.`, { subject: table, cause: e, data: { sqlstate: state } });
  }
  const inner = queryError(e, sql, target, table);
  return new FerryError(inner.code, `${doing} "${table}" failed: ${inner.message}`, { subject: table, cause: e, hint: inner.hint, data: inner.data });
}

/** The first 200 characters of a statement, on one line. */
export function statementPreview(sql: string): string {
  const oneLine = sql.replace(/\s+/g, ' ').trim();
  return oneLine.length > 200 ? `${oneLine.slice(0, 200)}…` : oneLine;
}

/** pg's message with any URL password masked, and the literal password removed just in case. */
function safeMessage(e: unknown, target: PostgresTarget): string {
  let text = maskPassword(e instanceof Error ? e.message : String(e));
  const password = urlPassword(target.url) ?? '';
  // Very short passwords would mangle ordinary words; maskPassword already covers URLs and the
  // passwords ferry has seen (PGPASSWORD, ~/.pgpass).
  if (password.length >= 4) text = text.split(password).join('***');
  return text;
}

/** Quotes a word for a copy-pasteable shell hint only when it needs it. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_.-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}
