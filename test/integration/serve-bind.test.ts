/**
 * `ferry serve` keeps a database's state off the network unless told otherwise: by default it
 * listens on 127.0.0.1 only, so this machine's other addresses refuse the connection; with
 * `--host 0.0.0.0` they answer (which also shows that this test can reach them at all).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { FERRY } from '../support/cli.js';
import { emptySqliteFile, tempDir } from '../support/sqlite-fixtures.js';

/** This machine's addresses other than loopback (IPv4 first; IPv6 link-local ones need a zone, so not those). */
function outsideAddresses(): { address: string; family: 'IPv4' | 'IPv6' }[] {
  const all = Object.values(os.networkInterfaces()).flatMap((list) => list ?? []);
  const usable = all.filter((a) => !a.internal && !(a.family === 'IPv6' && a.address.toLowerCase().startsWith('fe80')));
  return usable.map((a) => ({ address: a.address, family: a.family })).sort((a, b) => a.family.localeCompare(b.family));
}

interface Serving {
  child: ChildProcess;
  /** What it printed: the text line on stderr, or the --json document on stdout. */
  printed: Promise<{ stdout: string; stderr: string }>;
  exited: Promise<number | null>;
}

/** `ferry serve ...args` on an empty SQLite database; killed when the test ends whatever happens. */
function startServe(t: { after(fn: () => void): void }, args: string[], ready: (out: { stdout: string; stderr: string }) => boolean): Serving {
  const dir = tempDir('serve-bind');
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', DATABASE_URL: emptySqliteFile(path.join(dir, 'app.db')) };
  delete env.FERRY_SERVE_TOKEN;
  const child = spawn(process.execPath, [FERRY, 'serve', ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => void child.kill('SIGKILL'));
  const out = { stdout: '', stderr: '' };
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const printed = new Promise<typeof out>((resolve, reject) => {
    const look = () => ready(out) && resolve(out);
    child.stdout!.setEncoding('utf8').on('data', (s: string) => ((out.stdout += s), look()));
    child.stderr!.setEncoding('utf8').on('data', (s: string) => ((out.stderr += s), look()));
    void exited.then((code) => reject(new Error(`ferry serve exited with ${code} before it listened: ${out.stderr}${out.stdout}`)));
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  void exited.then(() => clearTimeout(timer));
  return { child, printed, exited };
}

/** Connects to host:port; resolves 'connected' or the error code (ECONNREFUSED). */
function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 5000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('timeout');
    });
    socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

/** An http URL for an address (IPv6 in brackets). */
const urlOf = (address: string, port: number, p: string) => `http://${address.includes(':') ? `[${address}]` : address}:${port}${p}`;

test('ferry serve listens on 127.0.0.1 by default: other addresses of this machine refuse the connection', async (t) => {
  const outside = outsideAddresses();
  const serve = startServe(t, ['--port', '0'], (o) => /ferry serve: http:\/\/\S+:\d+/.test(o.stderr));
  const { stderr } = await serve.printed;
  // Port 0: the line names the port the system picked.
  const m = /ferry serve: http:\/\/([^\s/]+):(\d+) \(default\)/.exec(stderr);
  assert.ok(m, stderr);
  assert.equal(m[1], '127.0.0.1');
  const port = Number(m[2]);
  assert.ok(port > 0);

  const live = await fetch(urlOf('127.0.0.1', port, '/livez'));
  assert.equal(live.status, 200);
  assert.deepEqual(await live.json(), { status: 'alive' });
  // Not IPv6's loopback either (refused, or no IPv6 at all).
  assert.notEqual(await tryConnect('::1', port), 'connected');

  if (outside.length === 0) t.diagnostic('this machine has no address but loopback; nothing else to try');
  for (const { address } of outside) assert.equal(await tryConnect(address, port), 'ECONNREFUSED', `${address}:${port} accepted a connection`);

  serve.child.kill('SIGTERM');
  assert.equal(await serve.exited, 0);
});

test('ferry serve --host 0.0.0.0 answers on the other addresses too (and --json says where)', async (t) => {
  const [outside] = outsideAddresses().filter((a) => a.family === 'IPv4');
  if (!outside) return t.skip('this machine has no IPv4 address but loopback');
  const serve = startServe(t, ['--host', '0.0.0.0', '--port', '0', '--json'], (o) => {
    try {
      JSON.parse(o.stdout);
      return true;
    } catch {
      return false;
    }
  });
  const doc = JSON.parse((await serve.printed).stdout) as { ok: boolean; url: string; databases: string[]; token: boolean };
  assert.equal(doc.ok, true);
  assert.deepEqual(doc.databases, ['default']);
  assert.equal(doc.token, false);
  const url = new URL(doc.url);
  assert.equal(url.hostname, '0.0.0.0');
  const port = Number(url.port);
  for (const host of ['127.0.0.1', outside.address]) {
    const res = await fetch(urlOf(host, port, '/livez'));
    assert.equal(res.status, 200, `${host}:${port}/livez`);
  }
  serve.child.kill('SIGTERM');
  assert.equal(await serve.exited, 0);
});

test('ferry serve --quiet --port 0 still names the address it listens on', async (t) => {
  const serve = startServe(t, ['--port', '0', '--quiet'], (o) => /ferry serve: http:\/\/\S+:\d+/.test(o.stderr));
  const { stderr } = await serve.printed;
  const port = Number(/ferry serve: http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr)![1]);
  assert.equal((await fetch(urlOf('127.0.0.1', port, '/livez'))).status, 200);
  serve.child.kill('SIGTERM');
  assert.equal(await serve.exited, 0, 'SIGTERM stops it cleanly');
});
