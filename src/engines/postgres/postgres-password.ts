/**
 * Where a PostgreSQL password comes from when ferry connects, following libpq (psql, pg_dump):
 * the URL's own password (user:password@ or ?password=), else PGPASSWORD, else the password file
 * (?passfile=, else PGPASSFILE, else ~/.pgpass; %APPDATA%\postgresql\pgpass.conf on Windows).
 *
 * ferry reads the password file itself instead of leaving it to node-postgres, so that a message
 * can say which source was used (or why a file was skipped), and so that node-postgres's
 * deprecation warning for its own .pgpass support never reaches the output.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { rememberSecret } from '../../engine/secrets.js';
import { urlParameter, urlPassword } from './postgres-url.js';

/** What a connection needs to pick its password line. */
export interface PasswordQuery {
  url: string;
  host: string;
  port: number;
  user: string;
  database: string;
}

export interface PasswordLookup {
  /** The password, when one was found. Never printed. */
  password?: string;
  /** Where it came from: 'the URL', 'PGPASSWORD' or '<file> line <n>'. */
  from?: string;
  /** What was looked at and skipped, for messages (never the password). */
  notes: string[];
}

/** Finds the password to send, as libpq would. */
export async function findPassword(q: PasswordQuery): Promise<PasswordLookup> {
  const inUrl = urlPassword(q.url);
  if (inUrl) return { password: inUrl, from: 'the URL', notes: [] };
  const env = process.env.PGPASSWORD;
  if (env) {
    rememberSecret(env, q.user);
    return { password: env, from: 'PGPASSWORD', notes: [] };
  }
  const file = passwordFile(q.url);
  const notes: string[] = [];
  const found = await fromPasswordFile(file, q, notes);
  if (found) {
    rememberSecret(found.password, q.user);
    return { ...found, notes };
  }
  return { notes };
}

/** The password file to read and how to name it in messages. */
export interface PasswordFile {
  file: string;
  /** '~/.pgpass', or the path and the setting that named it. */
  name: string;
  /** True when PGPASSFILE or ?passfile= named it (a missing file is then worth a note). */
  explicit: boolean;
}

export function passwordFile(url: string): PasswordFile {
  const inUrl = urlParameter(url, 'passfile');
  if (inUrl) return { file: path.resolve(inUrl), name: `${inUrl} (passfile in the URL)`, explicit: true };
  const env = process.env.PGPASSFILE;
  if (env) return { file: path.resolve(env), name: `${env} (PGPASSFILE)`, explicit: true };
  if (process.platform === 'win32') {
    const file = path.join(process.env.APPDATA ?? '.', 'postgresql', 'pgpass.conf');
    return { file, name: file, explicit: false };
  }
  return { file: path.join(process.env.HOME || os.homedir(), '.pgpass'), name: '~/.pgpass', explicit: false };
}

async function fromPasswordFile(f: PasswordFile, q: PasswordQuery, notes: string[]): Promise<{ password: string; from: string } | undefined> {
  let stat;
  try {
    stat = await fs.stat(f.file);
  } catch {
    notes.push(f.explicit ? `the password file ${f.name} does not exist` : `there is no ${f.name}`);
    return undefined;
  }
  if (!stat.isFile()) {
    notes.push(`${f.name} is not a plain file, so it was not read`);
    return undefined;
  }
  // libpq ignores a password file that group or others may read (or write); so does ferry.
  if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
    notes.push(
      `${f.name} was ignored because group or others may read it (its mode is ${(stat.mode & 0o777).toString(8).padStart(4, '0')}; run chmod 600 on it)`,
    );
    return undefined;
  }
  let text: string;
  try {
    text = await fs.readFile(f.file, 'utf8');
  } catch (e) {
    notes.push(`${f.name} could not be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    return undefined;
  }
  const hosts = q.host.startsWith('/') ? [q.host, 'localhost'] : [q.host];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line === '' || line.startsWith('#')) continue;
    const fields = splitPassLine(line);
    if (!fields) continue;
    const [host, port, database, user, password] = fields;
    if (
      hosts.some((h) => matches(host, h)) &&
      matches(port, String(q.port)) &&
      matches(database, q.database) &&
      matches(user, q.user) &&
      password.value !== ''
    ) {
      return { password: password.value, from: `${f.name} line ${i + 1}` };
    }
  }
  notes.push(`${f.name} has no line for ${hosts[0]}:${q.port}:${q.database}:${q.user}`);
  return undefined;
}

interface PassField {
  /** With backslash escapes removed. */
  value: string;
  /** True for an unescaped lone `*`. */
  any: boolean;
}

/**
 * Splits `host:port:database:user:password` at unescaped colons (`\:` is a colon, `\\` a
 * backslash); the password is the rest of the line. Undefined for a line with fewer fields.
 */
function splitPassLine(line: string): [PassField, PassField, PassField, PassField, PassField] | undefined {
  const fields: PassField[] = [];
  let value = '';
  let raw = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length) {
      value += line[++i];
      raw += `\\${line[i]}`;
    } else if (c === ':' && fields.length < 4) {
      fields.push({ value, any: raw === '*' });
      value = '';
      raw = '';
    } else {
      value += c;
      raw += c;
    }
  }
  if (fields.length < 4) return undefined;
  fields.push({ value, any: false });
  return fields as [PassField, PassField, PassField, PassField, PassField];
}

function matches(field: PassField, actual: string): boolean {
  return field.any || field.value === actual;
}
