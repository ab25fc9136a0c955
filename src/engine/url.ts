import os from 'node:os';
import path from 'node:path';
import { FerryError } from '../errors.js';
import type { Dialect } from './types.js';

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

/** A parsed connection target. */
export type ConnectionTarget =
  | { dialect: 'sqlite'; file: string; memory: boolean; displayUrl: string }
  | {
      dialect: 'postgres';
      /** The URL as given (with its password, if any): only ever handed to the driver. */
      url: string;
      /** The URL with the password replaced by `***`, safe to print. */
      displayUrl: string;
      database: string;
      host: string;
      port: number;
      user: string;
      /** Where host, port, user, database and sslmode came from (absent on hand-made targets). */
      from?: PostgresSettingSources;
      /** The SSL mode from the URL (`sslmode`, or node-postgres's `ssl`) or PGSSLMODE. */
      sslmode?: SslMode;
    };

const SQLITE_EXTENSIONS = ['.db', '.sqlite', '.sqlite3', '.db3'];

/** What to do about a password that breaks a URL; shared by every message that needs it. */
export const PERCENT_ENCODING_HINT =
  'Percent-encode the password (and user name) in the URL: @ as %40, : as %3A, / as %2F, ? as %3F, # as %23, % as %25, a space as %20 ' +
  "(encodeURIComponent does exactly this). Or leave the password out of the URL: set PGPASSWORD, or add a line host:port:database:user:password to ~/.pgpass (mode 0600).";

// ---------------------------------------------------------------------------------------------
// Masking
// ---------------------------------------------------------------------------------------------

/** Passwords this process has seen (in URLs, PGPASSWORD, ~/.pgpass); never printed. */
const secrets = new Set<string>();
/** Shorter secrets are not scrubbed from free text: they would mangle ordinary words. */
const MIN_SCRUBBED_SECRET = 4;
/** Passwords that are words ferry prints anyway; scrubbing them would garble every message. */
const NOT_SCRUBBED = new Set(['postgres', 'postgresql', 'sqlite', 'password']);

/**
 * Remembers a password so that maskPassword removes it from any text, in the forms it may take
 * there (as is, percent-encoded, JSON-escaped). A password equal to the user name (which messages
 * print) or to a word such as "postgres" is not scrubbed: that would garble every message.
 */
export function rememberSecret(secret: string | undefined | null, user?: string): void {
  if (!secret || secret.length < MIN_SCRUBBED_SECRET) return;
  if (NOT_SCRUBBED.has(secret.toLowerCase()) || (user !== undefined && secret.toLowerCase() === user.toLowerCase())) return;
  const forms = new Set([secret, encodeURIComponent(secret)]);
  try {
    const u = new URL('postgres://h');
    u.password = secret;
    forms.add(u.password);
  } catch {
    // Not every string can be set; the other forms still count.
  }
  for (const form of [...forms]) forms.add(JSON.stringify(form).slice(1, -1));
  for (const form of forms) if (form.length >= MIN_SCRUBBED_SECRET) secrets.add(form);
}

/** Forgets every remembered password (for tests of maskPassword's own rules). */
export function forgetSecrets(): void {
  secrets.clear();
}

const SCHEME = /[a-z][a-z0-9+.-]*:\/\//gi;
/** A `password=` parameter's value runs to `&`, `#` or a space (or a `"` or `\`, which end a JSON string). */
const QUERY_PASSWORD = /([?&](?:password|sslpassword)=)[^&#\s"\\]*/gi;

/**
 * Replaces the password in any URL-looking text with `***`, so the text can be printed. It copes
 * with passwords that were not percent-encoded (spaces, `@`, `/`, `?`, `#`, `:` inside them): a
 * URL's password runs from the first `:` after `scheme://` to the last `@` on the same line (and
 * before the next URL). `password=` query parameters are masked too, and so is any password this
 * process has seen (see rememberSecret), wherever it appears. Over-masking (an e-mail address
 * later on the same line) is accepted; leaking is not.
 */
export function maskPassword(text: string): string {
  let out = '';
  let done = 0;
  // A URL starts at the text's start or after a space, quote, bracket, '=' or ','; "x://" inside
  // a password (postgres://app://pw@h) starts none.
  const starts = [...text.matchAll(SCHEME)]
    .filter((m) => m.index === 0 || /[\s"'`(<[{=,;]/.test(text[m.index! - 1]!))
    .map((m) => ({ at: m.index!, body: m.index! + m[0].length }));
  for (let i = 0; i < starts.length; i++) {
    const s = starts[i]!.body;
    if (s < done) continue;
    const lineEnd = text.slice(s).search(/[\r\n]/);
    let end = lineEnd < 0 ? text.length : s + lineEnd;
    const next = starts.find((x, j) => j > i && x.at >= s);
    if (next && next.at < end) end = next.at;
    out += text.slice(done, s) + maskAuthority(text.slice(s, end));
    done = end;
  }
  out += text.slice(done);
  return scrubSecrets(out);
}

/** Masks the password in the text after `scheme://` (up to the line's end or the next URL). */
function maskAuthority(span: string): string {
  const colon = span.indexOf(':');
  const userEnd = span.search(/[/?#\s"'`\\]/);
  // A ':' after a '/', '?' or '#' (or a space) is not the user:password separator.
  if (colon < 0 || (userEnd >= 0 && userEnd < colon) || span.startsWith('[')) return span.replace(QUERY_PASSWORD, '$1***');
  // Already masked (ferry's own display URLs): leave it, and what follows, alone.
  if (span.startsWith('***@', colon + 1)) return span.replace(QUERY_PASSWORD, '$1***');
  // `user@host:port`: the ':' is the port's, and there is no password (a later '@' on the line,
  // as in `user "app@corp"`, is not the end of one).
  if (span.slice(0, colon).includes('@')) return span.replace(QUERY_PASSWORD, '$1***');
  // The password runs to the last '@': the host after it never holds one, and a raw password may.
  const at = span.lastIndexOf('@');
  if (at > colon) return `${span.slice(0, colon + 1)}***${span.slice(at).replace(QUERY_PASSWORD, '$1***')}`;
  // No '@' after it: `host:port` is fine; anything else after the ':' (`user:secret` with the host
  // forgotten, or a password with a raw '/') is masked up to the next space.
  const authorityEnd = span.slice(colon + 1).search(/[/?#\s"'`\\]/);
  const port = authorityEnd < 0 ? span.slice(colon + 1) : span.slice(colon + 1, colon + 1 + authorityEnd);
  if (colon === 0 || /^[\d:]*$/.test(port) || port.includes(',')) return span.replace(QUERY_PASSWORD, '$1***');
  const wordEnd = span.slice(colon + 1).search(/[\s"'`\\]/);
  return `${span.slice(0, colon + 1)}***${wordEnd < 0 ? '' : span.slice(colon + 1 + wordEnd)}`;
}

function scrubSecrets(text: string): string {
  if (secrets.size === 0) return text;
  // Longest first, so a secret containing another is replaced whole.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (text.includes(secret)) text = text.split(secret).join('***');
  }
  return text;
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/**
 * Parses `sqlite:path`, `sqlite::memory:`, `sqlite:///abs/path`, `postgres://...`,
 * `postgresql://...`, or a bare path ending in a SQLite extension.
 *
 * For PostgreSQL, what the URL leaves out comes from libpq's variables, as psql does: PGHOST,
 * PGPORT, PGUSER, PGDATABASE, PGSSLMODE (the password, from PGPASSWORD or ~/.pgpass, is looked up
 * when connecting). A password that breaks the URL (a raw `/`, `?`, `#` or `@`) is a BAD_URL
 * error that says how to encode it and never shows it.
 */
export function parseUrl(input: string): ConnectionTarget {
  const text = input.trim();
  if (text === '') throw badUrl('', 'the URL is empty');
  if (/^sqlite:/i.test(text)) {
    let rest = text.slice('sqlite:'.length);
    if (rest === ':memory:' || rest === '') {
      if (rest === '') throw badUrl(text, 'no file path after "sqlite:"');
      return { dialect: 'sqlite', file: ':memory:', memory: true, displayUrl: 'sqlite::memory:' };
    }
    // sqlite:///abs/path and sqlite://relative are both accepted.
    if (rest.startsWith('//')) rest = rest.slice(2);
    return { dialect: 'sqlite', file: path.resolve(rest), memory: false, displayUrl: `sqlite:${rest}` };
  }
  if (/^postgres(ql)?:\/\//i.test(text)) return parsePostgresUrl(text);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    throw badUrl(redactUnknown(text), `the scheme "${text.split(':')[0]}" is not supported`);
  }
  if (SQLITE_EXTENSIONS.includes(path.extname(text).toLowerCase())) {
    return { dialect: 'sqlite', file: path.resolve(text), memory: false, displayUrl: `sqlite:${text}` };
  }
  throw badUrl(redactUnknown(text), 'it is neither a URL nor a path to a .db/.sqlite file');
}

export function dialectOf(input: string): Dialect {
  return parseUrl(input).dialect;
}

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
  'host', 'hostaddr', 'port', 'dbname', 'user', 'password', 'passfile', 'channel_binding', 'connect_timeout', 'client_encoding',
  'options', 'application_name', 'fallback_application_name', 'keepalives', 'keepalives_idle', 'keepalives_interval',
  'keepalives_count', 'tcp_user_timeout', 'replication', 'gssencmode', 'sslmode', 'sslnegotiation', 'sslcompression', 'sslcert',
  'sslkey', 'sslpassword', 'sslcertmode', 'sslrootcert', 'sslcrl', 'sslcrldir', 'sslsni', 'requirepeer', 'ssl_min_protocol_version',
  'ssl_max_protocol_version', 'krbsrvname', 'gsslib', 'gssdelegation', 'service', 'target_session_attrs', 'load_balance_hosts',
  'require_auth', 'ssl', 'uselibpqcompat', 'statement_timeout', 'lock_timeout', 'idle_in_transaction_session_timeout', 'schema',
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

function parsePostgresUrl(text: string): ConnectionTarget {
  const split = splitPostgresUrl(text)!;
  if (split.problem) throw badUrl(split.display, split.problem, PERCENT_ENCODING_HINT);
  let url: URL;
  try {
    url = new URL(split.whatwgText);
  } catch {
    throw badUrl(split.display, 'it is not a valid URL', `Write it as postgres://user@host:port/database (or postgres:///database with PGHOST etc.). ${PERCENT_ENCODING_HINT}`);
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
    if (!mode) throw new FerryError('BAD_URL', `Cannot use "${display}" as a database: ssl in the URL is "${pgSsl}"; use sslmode=disable|require|verify-full instead.`, { subject: display });
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

/** An input that is no URL ferry reads: anything between its scheme and its last '@' is hidden. */
function redactUnknown(text: string): string {
  if (!text.includes('@')) return maskPassword(text);
  const m = /^([a-z][a-z0-9+.-]*:\/*)/i.exec(text);
  return `${m ? m[1] : ''}***${text.slice(text.lastIndexOf('@'))}`;
}

function badUrl(display: string, why: string, hint?: string): FerryError {
  return new FerryError('BAD_URL', `Cannot use "${display}" as a database: ${why}.`, {
    subject: display,
    hint: hint ?? 'Use sqlite:path/to/file.db, sqlite::memory:, a path ending in .db/.sqlite, or postgres://user@host:port/db (the password percent-encoded, or in PGPASSWORD or ~/.pgpass).',
  });
}
