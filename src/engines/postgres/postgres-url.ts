/**
 * PostgreSQL connection URLs as libpq reads them: `postgres://` and `postgresql://`, what the URL
 * leaves out from PGHOST, PGPORT, PGUSER, PGDATABASE and PGSSLMODE, and passwords that break the
 * URL found and hidden (with how to percent-encode them).
 */
import type { EngineNames } from '../../engine/driver.js';
import os from 'node:os';
import { FerryError } from '../../errors.js';
import { badUrl, QUERY_PASSWORD, rememberSecret } from '../../engine/secrets.js';
import type { ConnectionTarget } from '../../engine/types.js';

/** A parsed PostgreSQL target: where to connect, and where each setting came from. */
export interface PostgresTarget extends ConnectionTarget {
  dialect: 'postgres';
  database: string;
  host: string;
  port: number;
  user: string;
  /** Where host, port, user, database and sslmode came from (absent on hand-made targets). */
  from?: PostgresSettingSources;
  /** The SSL mode from the URL (`sslmode`, or node-postgres's `ssl`) or PGSSLMODE. */
  sslmode?: SslMode;
}

/** Whether a URL is PostgreSQL's. */
export function isPostgresUrl(input: string): boolean {
  return /^postgres(ql)?:\/\//i.test(input.trim());
}

/**
 * libpq's SSL modes, plus node-postgres's `no-verify` (encrypt, check nothing; like `require`).
 * No mode at all means no TLS, as node-postgres does (libpq would try TLS first).
 */
export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full' | 'no-verify';

export const SSL_MODES: readonly SslMode[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify'];

/**
 * Where each PostgreSQL setting came from, for messages: 'the URL', the environment variable's
 * name (PGHOST, PGPORT, PGUSER, PGDATABASE, PGSSLMODE), or 'default' (localhost, 5432, the OS user
 * name, the user name as database name).
 */
export interface PostgresSettingSources {
  host: string;
  port: string;
  user: string;
  database: string;
  sslmode?: string;
}

/** What to do about a password that breaks a URL; shared by every message that needs it. */
export const PERCENT_ENCODING_HINT =
  'Percent-encode the password (and user name) in the URL: @ as %40, : as %3A, / as %2F, ? as %3F, # as %23, % as %25, a space as %20 ' +
  '(encodeURIComponent does exactly this). Or leave the password out of the URL: set PGPASSWORD, or add a line host:port:database:user:password to ~/.pgpass (mode 0600).';

/**
 * The password of a PostgreSQL URL, decoded: from its user:password part or its `password=`
 * parameter. Undefined when it has none (or is not a URL ferry can read).
 */
export function urlPassword(url: string): string | undefined {
  const split = splitPostgresUrl(url.trim());
  if (!split || split.problem) return undefined;
  const fromUserinfo = split.password ? safeDecode(split.password) : undefined;
  if (fromUserinfo) return fromUserinfo;
  try {
    return new URL(url.trim()).searchParams.get('password') || undefined;
  } catch {
    return undefined;
  }
}

/** A query parameter of a PostgreSQL URL (`application_name`, `passfile`, ...), or undefined. */
export function urlParameter(url: string, name: string): string | undefined {
  const split = splitPostgresUrl(url.trim());
  if (!split || split.problem) return undefined;
  try {
    return new URL(split.whatwgText).searchParams.get(name) ?? undefined;
  } catch {
    return undefined;
  }
}

/** The parts of `scheme://[user[:password]@]rest`, found the way libpq and browsers agree on. */
interface PostgresUrlSplit {
  scheme: string;
  /** Still percent-encoded; undefined without an `@`. */
  user?: string;
  /** Still percent-encoded; undefined without `user:...@`. */
  password?: string;
  /** After the `@` (or after `://`): host, port, path, query. */
  rest: string;
  /** The URL to hand to the WHATWG parser (an empty host gets a placeholder, as pg does). */
  whatwgText: string;
  emptyHost: boolean;
  /** Why the URL cannot be read, when it cannot. */
  problem?: string;
  /** A display form that never shows the password. */
  display: string;
}

/** libpq URI parameters (and node-postgres's) whose values may hold an `@`, such as an e-mail. */
const QUERY_KEYWORDS = new Set([
  'host',
  'hostaddr',
  'port',
  'dbname',
  'user',
  'password',
  'passfile',
  'channel_binding',
  'connect_timeout',
  'client_encoding',
  'options',
  'application_name',
  'fallback_application_name',
  'keepalives',
  'keepalives_idle',
  'keepalives_interval',
  'keepalives_count',
  'tcp_user_timeout',
  'replication',
  'gssencmode',
  'sslmode',
  'sslnegotiation',
  'sslcompression',
  'sslcert',
  'sslkey',
  'sslpassword',
  'sslcertmode',
  'sslrootcert',
  'sslcrl',
  'sslcrldir',
  'sslsni',
  'requirepeer',
  'ssl_min_protocol_version',
  'ssl_max_protocol_version',
  'krbsrvname',
  'gsslib',
  'gssdelegation',
  'service',
  'target_session_attrs',
  'load_balance_hosts',
  'require_auth',
  'ssl',
  'uselibpqcompat',
  'statement_timeout',
  'lock_timeout',
  'idle_in_transaction_session_timeout',
  'schema',
]);

function splitPostgresUrl(text: string): PostgresUrlSplit | null {
  const m = /^(postgres(?:ql)?):\/\//i.exec(text);
  if (!m) return null;
  const scheme = m[1]!;
  const head = m[0];
  const body = text.slice(head.length);
  const delim = body.search(/[/?#]/);
  let at = body.lastIndexOf('@');
  if (at >= 0 && delim >= 0 && at > delim) {
    if (atInQueryValue(body, at)) {
      // An '@' in a parameter value (application_name=me@host): the user:password part, if any,
      // ends at the last '@' before the path.
      at = body.lastIndexOf('@', delim);
    } else {
      // An '@' after a '/', '?' or '#': a password (or user or database name) holding raw
      // delimiters. The password runs to that last '@' (the host never holds one).
      const userinfo = body.slice(0, at);
      const colon = userinfo.indexOf(':');
      const user = colon < 0 ? undefined : userinfo.slice(0, colon);
      rememberSecret(colon < 0 ? undefined : userinfo.slice(colon + 1), user);
      const shownUser = user !== undefined && /^[^/?#@\s]*$/.test(user) ? `${user}:` : '';
      return {
        scheme,
        rest: body.slice(at + 1),
        whatwgText: text,
        emptyHost: false,
        problem: 'the URL has an "@" after its host part: a password (or a user or database name) holds characters that must be percent-encoded',
        display: `${head}${shownUser}***@${maskQuery(body.slice(at + 1))}`,
      };
    }
  }
  if (at < 0) {
    // No user:password part. A ':' followed by something that is not a port (user:secret with the
    // host forgotten) is not shown.
    const authority = delim < 0 ? body : body.slice(0, delim);
    const colon = authority.indexOf(':');
    const safe = colon <= 0 || authority.startsWith('[') || /^[\d,:]*$/.test(authority.slice(colon + 1)) || authority.slice(colon + 1).includes(',');
    return {
      scheme,
      rest: body,
      whatwgText: text,
      emptyHost: false,
      display: safe ? `${head}${maskQuery(body)}` : `${head}${authority.slice(0, colon)}:***`,
    };
  }
  const userinfo = body.slice(0, at);
  const rest = body.slice(at + 1);
  const colon = userinfo.indexOf(':');
  const user = colon < 0 ? userinfo : userinfo.slice(0, colon);
  const password = colon < 0 ? undefined : userinfo.slice(colon + 1);
  rememberSecret(password, safeDecode(user));
  if (password !== undefined) rememberSecret(safeDecode(password), safeDecode(user));
  const userShown = /[@\s\p{Cc}]/u.test(user) ? '***' : user;
  const display = `${head}${userShown}${password === undefined ? '' : ':***'}@${maskQuery(rest)}`;
  let problem: string | undefined;
  if (userinfo.includes('@')) {
    problem = 'its user name or password holds a raw "@", which must be percent-encoded';
  } else if (/\p{Cc}/u.test(userinfo)) {
    problem = 'its user name or password holds a control character (a tab or line break), which must be percent-encoded';
  } else if (/%(?![0-9a-f]{2})/i.test(userinfo)) {
    problem = 'its user name or password holds a "%" that does not start a percent-encoded character';
  }
  // `user@/db` and `user@:5433/db` leave the host out, which the WHATWG parser refuses.
  const emptyHost = rest === '' || /^[/?#:]/.test(rest);
  const whatwgText = emptyHost ? `${head}${userinfo}@ferry-no-host${rest}` : text;
  return { scheme, user, password, rest, whatwgText, emptyHost, problem, display };
}

/** True when the '@' at `at` lies in the value of a known `?key=value` parameter. */
function atInQueryValue(body: string, at: number): boolean {
  const q = body.indexOf('?');
  if (q < 0 || q > at) return false;
  const hash = body.indexOf('#', q);
  if (hash >= 0 && hash < at) return false;
  const start = body.lastIndexOf('&', at) > q ? body.lastIndexOf('&', at) + 1 : q + 1;
  const param = /^([A-Za-z_]+)=/.exec(body.slice(start, at));
  return !!param && QUERY_KEYWORDS.has(param[1]!.toLowerCase());
}

function maskQuery(text: string): string {
  return text.replace(QUERY_PASSWORD, '$1***');
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Reads the environment variable `name` when it is set to something. */
function env(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

export function parsePostgresUrl(text: string): PostgresTarget {
  const split = splitPostgresUrl(text)!;
  if (split.problem) throw badUrl(split.display, split.problem, PERCENT_ENCODING_HINT);
  let url: URL;
  try {
    url = new URL(split.whatwgText);
  } catch {
    throw badUrl(
      split.display,
      'it is not a valid URL',
      `Write it as postgres://user@host:port/database (or postgres:///database with PGHOST etc.). ${PERCENT_ENCODING_HINT}`,
    );
  }
  const q = url.searchParams;
  const from: PostgresSettingSources = { host: 'the URL', port: 'the URL', user: 'the URL', database: 'the URL' };

  let host = split.emptyHost ? '' : safeDecode(url.hostname).replace(/^\[(.*)\]$/, '$1');
  if (!host) host = q.get('host') ?? '';
  if (!host && env('PGHOST')) [host, from.host] = [env('PGHOST')!, 'PGHOST'];
  if (!host) [host, from.host] = ['localhost', 'default'];

  let port: number;
  const portText = url.port || q.get('port') || undefined;
  if (portText !== undefined) port = portNumber(portText, '"port" in the URL', split.display);
  else if (env('PGPORT')) [port, from.port] = [portNumber(env('PGPORT')!, 'PGPORT', split.display), 'PGPORT'];
  else [port, from.port] = [5432, 'default'];

  let user = safeDecode(url.username) || q.get('user') || '';
  if (!user && env('PGUSER')) [user, from.user] = [env('PGUSER')!, 'PGUSER'];
  if (!user) [user, from.user] = [osUser(), 'default'];

  let database = safeDecode(url.pathname.replace(/^\//, '')) || q.get('dbname') || '';
  if (!database && env('PGDATABASE')) [database, from.database] = [env('PGDATABASE')!, 'PGDATABASE'];
  // libpq (and node-postgres) default the database to the user name.
  if (!database) [database, from.database] = [user, 'default'];

  rememberSecret(q.get('password'), user);
  const ssl = sslModeOf(q, split.display);
  if (ssl) from.sslmode = ssl.from;

  return {
    dialect: 'postgres',
    url: text,
    displayUrl: split.display,
    database,
    host,
    port,
    user,
    from,
    ...(ssl ? { sslmode: ssl.mode } : {}),
  };
}

function portNumber(text: string, where: string, display: string): number {
  const n = Number(text);
  if (/^\d+$/.test(text) && n >= 1 && n <= 65535) return n;
  throw new FerryError('BAD_URL', `Cannot use "${display}" as a database: ${where} is "${text}", which is not a port number (1-65535).`, {
    subject: where === 'PGPORT' ? 'PGPORT' : display,
    hint: where === 'PGPORT' ? 'Set PGPORT to a port such as 5432, or unset it.' : 'Give a port such as 5432.',
  });
}

/** The SSL mode asked for: `sslmode` in the URL, node-postgres's `ssl=`, else PGSSLMODE. */
function sslModeOf(q: URLSearchParams, display: string): { mode: SslMode; from: string } | undefined {
  const check = (value: string, where: string): SslMode => {
    const mode = value.toLowerCase() as SslMode;
    if (SSL_MODES.includes(mode)) return mode;
    throw new FerryError('BAD_URL', `Cannot use "${display}" as a database: ${where} is "${value}", which is not an SSL mode.`, {
      subject: where === 'PGSSLMODE' ? 'PGSSLMODE' : display,
      hint: `Use one of ${SSL_MODES.filter((s) => s !== 'no-verify').join(', ')}.`,
    });
  };
  const inUrl = q.get('sslmode');
  if (inUrl !== null) return { mode: check(inUrl, 'sslmode in the URL'), from: 'sslmode in the URL' };
  const pgSsl = q.get('ssl');
  if (pgSsl !== null) {
    const map: Record<string, SslMode> = { true: 'verify-full', '1': 'verify-full', false: 'disable', '0': 'disable', 'no-verify': 'no-verify' };
    const mode = map[pgSsl.toLowerCase()];
    if (!mode)
      throw new FerryError('BAD_URL', `Cannot use "${display}" as a database: ssl in the URL is "${pgSsl}"; use sslmode=disable|require|verify-full instead.`, {
        subject: display,
      });
    return { mode, from: `ssl=${pgSsl} in the URL` };
  }
  const inEnv = env('PGSSLMODE');
  if (inEnv !== undefined) return { mode: check(inEnv, 'PGSSLMODE'), from: 'PGSSLMODE' };
  return undefined;
}

function osUser(): string {
  const fromEnv = env('USER') ?? env('USERNAME');
  if (fromEnv) return fromEnv;
  try {
    return os.userInfo().username || 'postgres';
  } catch {
    return 'postgres';
  }
}

/** How PostgreSQL databases are named (the light part of its driver, see engine-names.ts). */
export const postgresNames: EngineNames = { dialect: 'postgres', label: 'PostgreSQL', claims: isPostgresUrl, parseUrl: parsePostgresUrl };
