/**
 * Passwords never print (issue 10, item 9): maskPassword on free text, display URLs, BAD_URL
 * messages for passwords that were not percent-encoded, libpq's PG* variables, and the password
 * file reader. The rule checked everywhere: no 3-character piece of the password survives.
 */
import { test, describe, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findPassword } from '../../src/engines/postgres/postgres-password.js';
import { parseUrl as parseAnyUrl } from '../../src/engines/registry.js';
import type { ConnectionTarget } from '../../src/engine/types.js';
import type { PostgresTarget } from '../../src/engines/postgres/postgres-url.js';
import type { SqliteTarget } from '../../src/engines/sqlite/sqlite-url.js';

/** A parsed target with every engine's fields readable (the tests check them by engine). */
type AnyTarget = ConnectionTarget & Partial<Omit<PostgresTarget, 'dialect' | 'url'>> & Partial<Omit<SqliteTarget, 'dialect' | 'url'>>;
const parseUrl = (input: string): AnyTarget => parseAnyUrl(input);
import { forgetSecrets, maskPassword } from '../../src/engine/secrets.js';
import { urlPassword } from '../../src/engines/postgres/postgres-url.js';
import { FerryError } from '../../src/errors.js';
import { makeOutput, reportError } from '../../src/cli/output.js';

/** Awkward passwords: every URL delimiter, quotes, backslashes, percent signs, Unicode, tabs. */
const PASSWORDS = [
  'Zq9 W:x@K/j?V#t',
  'pa ss wo rd',
  'aQ:bR:cS:dT9',
  '@@lead@trail@',
  '//sl/ash//',
  '?q=1&r=2',
  '#hash#tag#',
  '%zz%41%',
  'quo"te\'s\\back',
  'ünï cødé✓',
  'x@h/db tail',
  'pw@127.0.0.1:5432/db',
  'tab\there',
  'Pa55:w@rd/x?',
];

/** The 3-character pieces of `secret` that do not occur in `allowed` (the text around it). */
function pieces(secret: string, allowed: string): string[] {
  const chars = [...secret];
  const out = new Set<string>();
  for (let i = 0; i + 3 <= chars.length; i++) {
    const piece = chars.slice(i, i + 3).join('');
    // A percent-escape alone (%20, %3A) is no secret: the hints name them.
    if (!allowed.includes(piece) && !/^%[0-9A-F]{2}$/.test(piece)) out.add(piece);
  }
  return [...out];
}

/** Every form the password can take in output: as is, percent-encoded, JSON-escaped. */
function forms(secret: string): string[] {
  return [...new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1), JSON.stringify(encodeURIComponent(secret)).slice(1, -1)])];
}

/** The same shape with every letter and digit replaced: the messages about it read the same. */
function neutral(secret: string): string {
  return secret.replace(/[\p{L}\p{N}]/gu, 'Q');
}

/** The text of a BAD_URL error for `url` (or '' when it does not throw). */
function errorText(url: string): string {
  try {
    parseUrl(url);
    return '';
  } catch (e) {
    const f = e as FerryError;
    return `${f.message}\n${f.hint}\n${f.subject}\n${JSON.stringify(f.toJSON())}`;
  }
}

function assertNoPiece(text: string, secret: string, around: string, context: string): void {
  for (const form of forms(secret)) {
    for (const piece of pieces(form, around)) {
      assert.ok(!text.includes(piece), `${context}: "${piece}" of the password ${JSON.stringify(secret)} survives in:\n${text}`);
    }
  }
}

const URLS: ((pw: string) => string)[] = [
  (pw) => `postgres://app:${pw}@db.example.com:5432/appdb`,
  (pw) => `postgresql://app:${pw}@[::1]/x?sslmode=disable`,
  (pw) => `postgres://app:${encodeURIComponent(pw)}@db.example.com/appdb`,
  (pw) => `postgres://app:${pw}@/appdb`,
  (pw) => `postgres://app:${pw}@127.0.0.1:1`,
  (pw) => `mysql://root:${pw}@h`,
  (pw) => `postgres://app@h/db?password=${encodeURIComponent(pw)}&sslmode=require`,
];

const TEXTS: ((url: string) => string)[] = [
  (url) => url,
  (url) => `error: Cannot use "${url}" as a database: it is not a valid URL.`,
  (url) => `copying 3 table(s) from sqlite:/tmp/a.db to ${url}`,
  (url) => `Cannot connect to PostgreSQL at h:1 (${url}): refused.`,
  (url) => `(${url}).`,
  (url) => JSON.stringify({ ok: false, error: { subject: url, message: `at ${url}: refused` } }, null, 2),
  (url) => `from ${url} to postgres://other:${'Other-pw-77'}@h2/db2`,
  (url) => `${url} - ask dba@example.org`,
  (url) => `line one\n${url}\nline three`,
];

describe('maskPassword on free text', () => {
  afterEach(() => forgetSecrets());

  test('no 3-character piece of any awkward password survives, wherever the URL sits', () => {
    for (const pw of PASSWORDS) {
      for (const makeUrl of URLS) {
        for (const makeText of TEXTS) {
          forgetSecrets();
          const text = makeText(makeUrl(pw));
          const around = makeText(makeUrl(''));
          assertNoPiece(maskPassword(text), pw, around, `maskPassword(${JSON.stringify(text)})`);
        }
      }
    }
  });

  test('text without passwords is left alone', () => {
    forgetSecrets();
    for (const text of [
      'copying 2 table(s) from sqlite:app.db to postgres://app:***@h/db',
      'postgres://app@db.internal/appdb and postgres:///appdb',
      'Cannot connect to PostgreSQL at 127.0.0.1:5432 (postgres://h:5432/db): refused at 10:30.',
      'Use postgres://user@host:port/db or sqlite:path/to/file.db.',
      'postgres://h/db?application_name=me@corp',
      'PostgreSQL at h:5432 refused user "app@corp" (postgres://app%40corp@h:5432/db): password authentication failed for user "app@corp"',
      'see https://www.postgresql.org/docs/current/libpq-pgpass.html',
      '{\n  "to": "postgres://postgres:***@127.0.0.1:5432/ferry_test"\n}',
    ]) {
      assert.equal(maskPassword(text), text);
    }
    assert.equal(maskPassword('failed for postgres://u:hunter2@h/db and mysql://a:b@c'), 'failed for postgres://u:***@h/db and mysql://a:***@c');
  });

  test('a password ferry has seen is scrubbed anywhere, even with a line break in it', () => {
    forgetSecrets();
    const pw = 'two\nlines@pw';
    parseUrl(`postgres://app:${encodeURIComponent(pw)}@h/db`);
    const text = `pg said: password "${pw}" is wrong; as JSON ${JSON.stringify(pw)}; encoded ${encodeURIComponent(pw)}`;
    assertNoPiece(maskPassword(text), pw, 'pg said: password "" is wrong; as JSON ""; encoded ', 'scrub');
  });

  test('a password equal to the user name, or "postgres", does not garble messages', () => {
    forgetSecrets();
    const t = parseUrl('postgres://postgres:postgres@h/db');
    assert.equal(t.displayUrl, 'postgres://postgres:***@h/db');
    assert.equal(maskPassword('user "postgres" on postgres://h/db'), 'user "postgres" on postgres://h/db');
  });
});

describe('parseUrl and passwords', () => {
  afterEach(() => forgetSecrets());

  test('percent-encoded awkward passwords are read exactly and never displayed', () => {
    for (const pw of PASSWORDS) {
      const url = `postgres://app:${encodeURIComponent(pw)}@db.example.com:6543/appdb?sslmode=disable`;
      const t = parseUrl(url);
      assert.equal(t.dialect, 'postgres');
      if (t.dialect !== 'postgres') continue;
      assert.equal(t.user, 'app');
      assert.equal(t.host, 'db.example.com');
      assert.equal(t.port, 6543);
      assert.equal(t.database, 'appdb');
      assert.equal(t.sslmode, 'disable');
      assert.equal(urlPassword(url), pw);
      assert.equal(t.displayUrl, 'postgres://app:***@db.example.com:6543/appdb?sslmode=disable');
    }
  });

  test('a password with a raw @, /, ? or # is one BAD_URL that says how to encode it, without it', () => {
    for (const pw of PASSWORDS.filter((p) => /[@/?#]/.test(p))) {
      for (const url of [`postgres://app:${pw}@db.example.com:5432/appdb`, `postgresql://app:${pw}@127.0.0.1/appdb?sslmode=require`]) {
        forgetSecrets();
        let error: unknown;
        try {
          parseUrl(url);
        } catch (e) {
          error = e;
        }
        assert.ok(error instanceof FerryError, `${url} must fail`);
        assert.equal(error.code, 'BAD_URL', `${url}: ${error.message}`);
        const text = `${error.message}\n${error.hint}\n${error.subject}\n${JSON.stringify(error.toJSON())}`;
        // What the message says anyway: the same error for the same shape without letters or digits.
        const around = errorText(url.replace(pw, neutral(pw)));
        assertNoPiece(text, pw, around, `BAD_URL for ${JSON.stringify(url)}`);
        for (const code of ['%40', '%2F', '%3A', '%20', '%3F', '%23', 'PGPASSWORD', '.pgpass']) assert.ok(error.hint!.includes(code), `the hint names ${code}`);
        assert.match(error.subject!, /^postgres(ql)?:\/\/app:\*\*\*@/);
      }
    }
  });

  test('a raw space or colon is readable (no delimiter is broken): accepted, and masked', () => {
    for (const pw of ['pa ss wo rd', 'aQ:bR:cS:dT9', 'Zq9 W:x K']) {
      const url = `postgres://app:${pw}@h/db`;
      const t = parseUrl(url);
      assert.equal(t.displayUrl, 'postgres://app:***@h/db');
      assert.equal(urlPassword(url), pw);
    }
  });

  test('other unreadable shapes: a tab, a stray %, a forgotten host', () => {
    for (const [url, pw] of [
      ['postgres://app:Tq\tKz9@h/db', 'Tq\tKz9'],
      ['postgres://app:50%off@h/db', '50%off'],
      ['postgres://app:Secret-pw-9', 'Secret-pw-9'],
    ] as const) {
      forgetSecrets();
      assert.throws(
        () => parseUrl(url),
        (e: unknown) => {
          assert.ok(e instanceof FerryError && e.code === 'BAD_URL');
          assertNoPiece(`${e.message}\n${e.hint}\n${e.subject}\n${JSON.stringify(e.toJSON())}`, pw, errorText(url.replace(pw, neutral(pw))), url);
          return true;
        },
      );
    }
  });

  test('a password in the query (?password=) is masked in the display URL', () => {
    const t = parseUrl('postgres://app@h/db?sslmode=disable&password=Query-pw-42');
    assert.equal(t.displayUrl, 'postgres://app@h/db?sslmode=disable&password=***');
    assert.equal(urlPassword('postgres://app@h/db?password=Query-pw-42'), 'Query-pw-42');
  });

  test('an "@" inside a known parameter value is not taken for a password', () => {
    const t = parseUrl('postgres://app:pw1234@h/db?application_name=me@corp');
    assert.equal(t.dialect === 'postgres' && t.host, 'h');
    assert.equal(t.displayUrl, 'postgres://app:***@h/db?application_name=me@corp');
  });

  test('other schemes and typos never echo a password', () => {
    for (const url of ['mysql://root:Root-pw-11@h/db', 'postgres:/app:Root-pw-11@h/db', 'postgress://app:Root-pw-11@h/db']) {
      forgetSecrets();
      assert.throws(
        () => parseUrl(url),
        (e: unknown) => e instanceof FerryError && e.code === 'BAD_URL' && !`${e.message}${e.subject}${e.hint}`.includes('Root-pw'),
      );
    }
  });
});

describe("libpq's variables fill what the URL leaves out", () => {
  const saved: Record<string, string | undefined> = {};
  const vars = ['PGHOST', 'PGPORT', 'PGUSER', 'PGDATABASE', 'PGSSLMODE', 'PGPASSWORD', 'PGPASSFILE'];
  function setEnv(values: Record<string, string | undefined>): void {
    for (const v of vars) {
      if (!(v in saved)) saved[v] = process.env[v];
      delete process.env[v];
    }
    for (const [k, v] of Object.entries(values)) if (v !== undefined) process.env[k] = v;
  }
  afterEach(() => {
    for (const v of vars) {
      if (saved[v] === undefined) delete process.env[v];
      else process.env[v] = saved[v];
    }
  });

  test('postgres:/// and postgresql:// take PGHOST, PGPORT, PGUSER, PGDATABASE and say so', () => {
    setEnv({ PGHOST: 'db.internal', PGPORT: '6543', PGUSER: 'app', PGDATABASE: 'appdb', PGSSLMODE: 'require' });
    for (const url of ['postgres:///', 'postgresql://', 'postgres://@/']) {
      const t = parseUrl(url);
      assert.ok(t.dialect === 'postgres');
      assert.deepEqual(
        { host: t.host, port: t.port, user: t.user, database: t.database, sslmode: t.sslmode },
        { host: 'db.internal', port: 6543, user: 'app', database: 'appdb', sslmode: 'require' },
        url,
      );
      assert.deepEqual(t.from, { host: 'PGHOST', port: 'PGPORT', user: 'PGUSER', database: 'PGDATABASE', sslmode: 'PGSSLMODE' });
    }
  });

  test('the URL wins over the variables; the database defaults to the user name', () => {
    setEnv({ PGHOST: 'other', PGPORT: '1111', PGUSER: 'someone', PGSSLMODE: 'require' });
    const t = parseUrl('postgres://app@db.internal/appdb?sslmode=verify-full');
    assert.ok(t.dialect === 'postgres');
    assert.deepEqual([t.host, t.port, t.user, t.database, t.sslmode], ['db.internal', 1111, 'app', 'appdb', 'verify-full']);
    assert.equal(t.from?.port, 'PGPORT');
    setEnv({});
    const d = parseUrl('postgres://app@h');
    assert.ok(d.dialect === 'postgres');
    assert.deepEqual([d.host, d.port, d.database, d.from?.database], ['h', 5432, 'app', 'default']);
    const empty = parseUrl('postgres:///appdb');
    assert.ok(empty.dialect === 'postgres');
    assert.deepEqual([empty.host, empty.from?.host], ['localhost', 'default']);
  });

  test('a wrong PGPORT, sslmode or PGSSLMODE is a BAD_URL naming where it came from', () => {
    setEnv({ PGPORT: 'fivefourthreetwo' });
    assert.throws(
      () => parseUrl('postgres:///appdb'),
      (e: unknown) => e instanceof FerryError && e.code === 'BAD_URL' && /PGPORT/.test(e.message) && /fivefourthreetwo/.test(e.message),
    );
    setEnv({});
    assert.throws(
      () => parseUrl('postgres://app:Secret-pw-9@h/db?sslmode=requir'),
      (e: unknown) =>
        e instanceof FerryError && /sslmode in the URL is "requir"/.test(e.message) && /verify-full/.test(e.hint!) && !e.message.includes('Secret'),
    );
    setEnv({ PGSSLMODE: 'always' });
    assert.throws(
      () => parseUrl('postgres://h/db'),
      (e: unknown) => e instanceof FerryError && /PGSSLMODE is "always"/.test(e.message),
    );
  });
});

describe('the password: URL, then PGPASSWORD, then the password file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-pgpass-'));
  const saved = { PGPASSWORD: process.env.PGPASSWORD, PGPASSFILE: process.env.PGPASSFILE };
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  const q = { url: 'postgres://app@db.internal:5433/appdb', host: 'db.internal', port: 5433, user: 'app', database: 'appdb' };

  function passFile(name: string, text: string, mode = 0o600): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    fs.chmodSync(file, mode);
    return file;
  }

  test('the URL first, then PGPASSWORD', async () => {
    process.env.PGPASSWORD = 'From-env-1';
    delete process.env.PGPASSFILE;
    assert.deepEqual(await findPassword({ ...q, url: 'postgres://app:From%20url@h/db' }), { password: 'From url', from: 'the URL', notes: [] });
    assert.deepEqual(await findPassword(q), { password: 'From-env-1', from: 'PGPASSWORD', notes: [] });
  });

  test('~/.pgpass: comments, wildcards, \\: and \\\\ escapes, the first matching line wins', async () => {
    delete process.env.PGPASSWORD;
    process.env.PGPASSFILE = passFile(
      'pgpass',
      [
        '# a comment',
        'other:5433:appdb:app:wrong',
        'db.internal:5433:otherdb:app:wrong',
        'db.internal:*:appdb:app:Zq9 W\\:x@K/j?V#t\\\\',
        '*:*:*:*:later',
      ].join('\n'),
    );
    const found = await findPassword(q);
    assert.equal(found.password, 'Zq9 W:x@K/j?V#t\\');
    assert.match(found.from!, /pgpass \(PGPASSFILE\) line 4$/);
  });

  test('a password file others may read is ignored, and the note says why', async () => {
    delete process.env.PGPASSWORD;
    process.env.PGPASSFILE = passFile('open', '*:*:*:*:Open-pw-1\n', 0o644);
    const found = await findPassword(q);
    assert.equal(found.password, undefined);
    assert.match(found.notes.join(' '), /group or others may read it.*0644.*chmod 600/);
    assert.ok(!found.notes.join(' ').includes('Open-pw'));
  });

  test('no matching line, or no file: a note, never a password', async () => {
    delete process.env.PGPASSWORD;
    process.env.PGPASSFILE = passFile('nomatch', 'elsewhere:5432:appdb:app:No-match-1\n');
    assert.match((await findPassword(q)).notes.join(' '), /has no line for db\.internal:5433:appdb:app/);
    process.env.PGPASSFILE = path.join(dir, 'missing');
    assert.match((await findPassword(q)).notes.join(' '), /does not exist/);
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));
});

test('FERRY_DEBUG stack traces are masked like every other line', () => {
  const written: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  const debug = process.env.FERRY_DEBUG;
  process.env.FERRY_DEBUG = '1';
  process.stderr.write = ((chunk: string | Uint8Array) => (written.push(String(chunk)), true)) as typeof process.stderr.write;
  try {
    const code = reportError(makeOutput(false), new Error('could not reach postgres://app:Hunter2Secret@db:5432/app'));
    assert.equal(code, 1);
  } finally {
    process.stderr.write = write;
    if (debug === undefined) delete process.env.FERRY_DEBUG;
    else process.env.FERRY_DEBUG = debug;
  }
  const text = written.join('');
  assert.match(text, /at .*url-secrets/, 'the stack trace is printed');
  assert.ok(!/Hun|ter2|Secret/.test(text), text);
  assert.match(text, /postgres:\/\/app:\*+@db:5432\/app/);
});
