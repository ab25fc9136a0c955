/**
 * The deployment examples in examples/ (Kubernetes and docker compose). There is no container engine
 * here, so the images never run; instead every ferry command line in the files is checked against
 * ferry's own --help, every environment variable they set for ferry against what ferry reads, and
 * each command is run the way its container would run it, against a real PostgreSQL.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import YAML from 'yaml';
import { FERRY, ROOT, type CliResult } from '../support/cli.js';
import { freshPostgresDatabase } from '../support/postgres.js';
import { sqlRevision } from '../support/revision-fixtures.js';
import { tempDir } from '../support/sqlite-fixtures.js';
import { until } from '../support/until.js';

const EXAMPLES = path.join(ROOT, 'examples');
const FILES = ['kubernetes/migrate-job.yaml', 'kubernetes/readiness-probe.yaml', 'docker-compose/compose.yaml'];

/** An environment variable a container sets: a value, or a key of a Kubernetes Secret. */
interface EnvEntry {
  name: string;
  value?: string;
  secret?: { name: string; key: string };
}

/** A container (Kubernetes) or service (compose) whose command runs ferry. */
interface FerryContainer {
  file: string;
  /** The container's or service's name. */
  name: string;
  /** The whole command line, as the container runs it. */
  argv: string[];
  /** The program that runs ferry, and anything before it (`./node_modules/.bin/ferry`). */
  launcher: string[];
  /** ferry's arguments: the subcommand and its options. */
  args: string[];
  env: EnvEntry[];
  /** The container or service itself (probes, healthcheck, depends_on). */
  spec: Record<string, unknown>;
}

type Node = Record<string, unknown>;

function documents(file: string): Node[] {
  return YAML.parseAllDocuments(fs.readFileSync(path.join(EXAMPLES, file), 'utf8')).map((d) => {
    assert.equal(d.errors.length, 0, `${file}: ${d.errors.map((e) => e.message).join('; ')}`);
    return d.toJS() as Node;
  });
}

/** A command as a list: compose also takes a string, split the way compose splits one without quotes. */
function commandList(value: unknown, where: string): string[] {
  if (value === undefined) return [];
  if (typeof value === 'string') {
    assert.doesNotMatch(value, /["'\\$]/, `${where}: a command string with quotes or $ (this test splits on spaces only; write it as a list)`);
    return value.split(/\s+/).filter(Boolean);
  }
  assert.ok(Array.isArray(value), `${where}: command is neither a list nor a string`);
  // Kubernetes rejects a number in a command (`--port 8080` unquoted in a flow list is one).
  for (const v of value) assert.equal(typeof v, 'string', `${where}: ${JSON.stringify(v)} in the command is not a string (quote it)`);
  return value as string[];
}

/** Kubernetes `env:` lists and compose `environment:` maps or `K=V` lists. */
function envEntries(value: unknown, where: string): EnvEntry[] {
  if (value === undefined) return [];
  if (Array.isArray(value))
    return value.map((e: unknown) => {
      if (typeof e === 'string') {
        const [name, ...rest] = e.split('=');
        return { name: name!, value: rest.join('=') };
      }
      const entry = e as { name: string; value?: unknown; valueFrom?: { secretKeyRef?: { name: string; key: string } } };
      if (entry.valueFrom) {
        assert.ok(entry.valueFrom.secretKeyRef, `${where}: ${entry.name} comes from something other than a Secret (this test knows secretKeyRef only)`);
        return { name: entry.name, secret: entry.valueFrom.secretKeyRef };
      }
      assert.equal(typeof entry.value, 'string', `${where}: ${entry.name}'s value is not a string (Kubernetes needs one; quote it)`);
      return { name: entry.name, value: entry.value as string };
    });
  return Object.entries(value as Node).map(([name, v]) => {
    assert.equal(typeof v, 'string', `${where}: ${name}'s value is not a string (quote it)`);
    return { name, value: v as string };
  });
}

/**
 * Every container or service in the examples whose command mentions ferry: any object with a
 * `command` (a Kubernetes container, init containers included, or a compose service), wherever it is.
 */
function ferryContainers(): FerryContainer[] {
  const found: FerryContainer[] = [];
  for (const file of FILES) {
    const visit = (node: unknown, key: string) => {
      if (Array.isArray(node)) return node.forEach((n) => visit(n, key));
      if (!node || typeof node !== 'object') return;
      const o = node as Node;
      if ('command' in o || 'args' in o || 'entrypoint' in o) {
        const name = typeof o.name === 'string' ? o.name : key;
        const where = `${file}: ${name}`;
        const argv = [...commandList(o.entrypoint, where), ...commandList(o.command, where), ...commandList(o.args, where)];
        if (argv.some((a) => a.includes('ferry'))) {
          const at = argv.findIndex((a) => a === 'ferry' || a.endsWith('/ferry'));
          assert.ok(at >= 0, `${where}: runs ferry some other way than as a program called "ferry" (${argv.join(' ')})`);
          const env = envEntries(o.env ?? o.environment, where);
          found.push({ file, name, argv, launcher: argv.slice(0, at + 1), args: argv.slice(at + 1), env, spec: o });
        }
      }
      for (const [k, v] of Object.entries(o)) visit(v, k);
    };
    for (const doc of documents(file)) visit(doc, '');
  }
  return found;
}

const containers = ferryContainers();

function container(file: string, name: string): FerryContainer {
  const c = containers.find((x) => x.file === file && x.name === name);
  assert.ok(c, `${file} has no ferry container ${name}`);
  return c;
}

/** The value after `--flag` in a command line. */
function optionValue(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

/** The command line with `--flag`'s value replaced. */
function withOption(args: string[], flag: string, value: string): string[] {
  const i = args.indexOf(flag);
  assert.ok(i >= 0, `${args.join(' ')} has no ${flag}`);
  return [...args.slice(0, i + 1), value, ...args.slice(i + 2)];
}

/** compose's interpolation: `${NAME}`, `${NAME:?message}`, `${NAME:-default}`, `$$`. */
function interpolate(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\$|\$\{(\w+)(?::?([?-])([^}]*))?\}|\$(\w+)/g, (all, braced?: string, op?: string, arg?: string, bare?: string) => {
    if (all === '$$') return '$';
    const name = (braced ?? bare)!;
    const value = vars[name];
    if (value !== undefined && value !== '') return value;
    if (op === '-') return arg ?? '';
    assert.fail(`compose needs ${name}${op === '?' ? ` (${arg})` : ''}; the test gives no value for it`);
  });
}

/**
 * The container's environment with its Secrets and compose variables filled in, on top of only
 * PATH and HOME (a container sees nothing of this machine's environment: no PG* variables, no
 * DATABASE_URL, no FERRY_*), and with `overrides` for what must point at this test's servers.
 */
function containerEnv(
  c: FerryContainer,
  given: { secrets?: Record<string, Record<string, string>>; vars?: Record<string, string>; home: string },
  overrides: Record<string, string> = {},
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: given.home };
  for (const e of c.env) {
    if (e.secret) {
      const value = given.secrets?.[e.secret.name]?.[e.secret.key];
      assert.ok(value !== undefined, `${c.file}: ${c.name} reads Secret ${e.secret.name} key ${e.secret.key}, which the example's comments do not create`);
      env[e.name] = value;
    } else env[e.name] = interpolate(e.value!, given.vars ?? {});
  }
  return { ...env, ...overrides };
}

/** Runs `node bin/ferry.js ...args` (what `./node_modules/.bin/ferry ...args` runs) with exactly `env`. */
function runFerry(cwd: string, env: NodeJS.ProcessEnv, args: string[], timeoutMs = 90_000): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [FERRY, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
  return { child, done };
}

/** `ferry serve` started from a container's command line; resolves once it prints where it listens. */
async function startServe(t: { after(fn: () => void): void }, cwd: string, env: NodeJS.ProcessEnv, args: string[]) {
  const run = runFerry(cwd, env, args);
  t.after(() => void run.child.kill('SIGKILL'));
  let seen = '';
  const url = await new Promise<string>((resolve, reject) => {
    run.child.stderr!.on('data', (s: string) => {
      seen += s;
      const m = /ferry serve: (http:\/\/\S+)/.exec(seen);
      if (m) resolve(m[1]!);
    });
    void run.done.then((r) => reject(new Error(`ferry serve exited with ${r.status} before listening: ${r.stderr}${r.stdout}`)));
  });
  return { url, stderr: () => seen, ...run };
}

/** The working folder the app's image has: a migrations/ folder with one revision. */
function appFolder(label: string): string {
  const dir = tempDir(label);
  fs.mkdirSync(path.join(dir, 'migrations'));
  sqlRevision(
    path.join(dir, 'migrations'),
    'e1a0000000001',
    [],
    'create notes',
    'CREATE TABLE notes (id bigint PRIMARY KEY, body text NOT NULL);',
    'DROP TABLE notes;',
  );
  return dir;
}

async function status(url: string, headers: Record<string, string> = {}): Promise<number> {
  return (await fetch(url, { headers })).status;
}

/** Every .ts file under src/, read once. */
const sources = (() => {
  const out: { file: string; text: string }[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) out.push({ file: path.relative(ROOT, p), text: fs.readFileSync(p, 'utf8') });
    }
  };
  walk(path.join(ROOT, 'src'));
  return out;
})();

/**
 * The source file that reads environment variable `name`, or undefined: `process.env.NAME` (or
 * `env.NAME` of an injected environment), `'NAME' in process.env`, or a file that reads variables by
 * a computed name (`process.env[name]`, `env('PGHOST')`) and spells out 'NAME'.
 */
function readerOf(name: string): string | undefined {
  const dotted = new RegExp(`\\benv\\.${name}\\b`);
  const quoted = new RegExp(`['"\`]${name}['"\`]`);
  for (const { file, text } of sources) {
    if (dotted.test(text) || text.includes(`'${name}' in process.env`)) return file;
    if (/process\.env\)?\[/.test(text) && quoted.test(text)) return file;
  }
  return undefined;
}

test("the examples hold the ferry command lines this test runs, each through the image's ./node_modules/.bin/ferry", () => {
  assert.deepEqual(
    containers.map((c) => `${c.file}: ${c.name}: ferry ${c.args[0]}`),
    [
      'kubernetes/migrate-job.yaml: migrate: ferry upgrade',
      'kubernetes/readiness-probe.yaml: ferry-health: ferry serve',
      'docker-compose/compose.yaml: migrate: ferry upgrade',
      'docker-compose/compose.yaml: health: ferry serve',
    ],
  );
  // The installed ferry as the container's own process: a missing install fails (npx would fetch
  // whatever package is called "ferry"), and SIGTERM reaches ferry (npx does not pass it on).
  for (const c of containers) assert.deepEqual(c.launcher, ['./node_modules/.bin/ferry'], `${c.file}: ${c.name}: ${c.argv.join(' ')}`);
});

test("every option in the examples' ferry command lines is one ferry's --help lists", async () => {
  const help = new Map<string, string>();
  for (const c of containers) {
    const sub = c.args[0]!;
    assert.match(sub, /^[a-z-]+$/, `${c.file}: ${c.name}: ferry's first argument should be its command, not ${sub}`);
    if (!help.has(sub)) {
      const r = await runFerry(ROOT, { PATH: process.env.PATH, HOME: tempDir('examples-home') }, [sub, '--help']).done;
      assert.equal(r.status, 0, `ferry ${sub} --help: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^Usage: ferry ${sub}\\b`, 'm'), `ferry ${sub} --help printed no usage: is ${sub} a command?`);
      help.set(sub, r.stdout);
    }
    for (const flag of c.args.filter((a) => a.startsWith('-')).map((a) => a.split('=')[0]!)) {
      const listed = new RegExp(`(^|[\\s,])${flag.replace(/[-]/g, '\\-')}([\\s,=]|$)`, 'm').test(help.get(sub)!);
      assert.ok(listed, `${c.file}: ${c.name}: ferry ${sub} has no option ${flag} (ferry ${sub} --help)`);
    }
  }
});

test('every environment variable the examples set for ferry is one ferry reads', () => {
  const unread: string[] = [];
  for (const c of containers) for (const e of c.env) if (!readerOf(e.name)) unread.push(`${c.file}: ${c.name}: ${e.name}`);
  assert.deepEqual(unread, [], 'ferry reads no such variable (a typo, or a setting ferry does not have)');
  // And the ones the examples rely on are there, so the check above is not vacuous.
  const names = new Set(containers.flatMap((c) => c.env.map((e) => e.name)));
  for (const name of ['DATABASE_URL', 'FERRY_SERVE_TOKEN', 'CI', 'NO_COLOR']) assert.ok(names.has(name), `no example sets ${name}`);
});

test("the command runs the app's installed ferry, and SIGTERM stops its ferry serve cleanly", async () => {
  // An app folder as `npm install ferry-db` leaves it, with this checkout as the package.
  const app = tempDir('examples-bin');
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'your-app', version: '1.0.0', private: true, dependencies: { 'ferry-db': '*' } }));
  fs.mkdirSync(path.join(app, 'node_modules', '.bin'), { recursive: true });
  fs.symlinkSync(ROOT, path.join(app, 'node_modules', 'ferry-db'), 'dir');
  fs.symlinkSync(path.join('..', 'ferry-db', 'bin', 'ferry.js'), path.join(app, 'node_modules', '.bin', 'ferry'));
  const env = { PATH: process.env.PATH, HOME: app, NO_COLOR: '1', DATABASE_URL: path.join(app, 'app.db') };
  fs.writeFileSync(env.DATABASE_URL, '');
  const job = container('kubernetes/migrate-job.yaml', 'migrate');
  // --help after the command line: the whole line reaches ferry, which then only prints help.
  const help = spawnSync(job.launcher[0]!, [...job.launcher.slice(1), ...job.args, '--help'], { cwd: app, env, encoding: 'utf8', timeout: 60_000 });
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /^Usage: ferry upgrade/m);
  // The sidecar's command, on a free port of 127.0.0.1, then stopped as the kubelet stops it.
  const sidecar = container('kubernetes/readiness-probe.yaml', 'ferry-health');
  const args = withOption(withOption(sidecar.args, '--host', '127.0.0.1'), '--port', '0');
  const child = spawn(sidecar.launcher[0]!, [...sidecar.launcher.slice(1), ...args], { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let seen = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      seen += c;
      if (/ferry serve: http:\/\/127\.0\.0\.1:\d+/.test(seen)) resolve();
    });
    void exited.then(() => reject(new Error(`ferry serve exited before listening: ${seen}`)));
  });
  child.kill('SIGTERM');
  assert.equal(await exited, 0, `SIGTERM stops ferry serve cleanly: ${seen}`);
  clearTimeout(timer);
});

test('Kubernetes: the migrate Job upgrades a real PostgreSQL, and the sidecar goes ready only then', async (t) => {
  const db = await freshPostgresDatabase(t);
  if (!db) return;
  const job = container('kubernetes/migrate-job.yaml', 'migrate');
  const sidecar = container('kubernetes/readiness-probe.yaml', 'ferry-health');
  const app = appFolder('examples-k8s');
  // The Secret the comments tell you to create: `kubectl create secret generic your-app-database --from-literal=url=...`.
  const given = { secrets: { 'your-app-database': { url: db.url } }, home: app };

  // The Job's Pod spec: runs once, not restarted in place; retried by the Job at most backoffLimit times.
  const [jobDoc] = documents(job.file);
  const jobSpec = jobDoc!.spec as { backoffLimit?: number; template: { spec: { restartPolicy?: string } } };
  assert.equal(jobDoc!.kind, 'Job');
  assert.equal(jobSpec.template.spec.restartPolicy, 'Never');
  assert.equal(typeof jobSpec.backoffLimit, 'number');
  assert.deepEqual(job.args, ['upgrade', '--wait-for-db', '60s']);

  // The sidecar as the kubelet sees it, on a free port of 127.0.0.1 instead of 0.0.0.0:8080 (the
  // test must not put a server on this machine's network, nor depend on 8080 being free).
  const probes = sidecar.spec as { readinessProbe: { httpGet: { path: string; port: number } }; livenessProbe: { httpGet: { path: string; port: number } } };
  const port = optionValue(sidecar.args, '--port');
  assert.equal(String(probes.readinessProbe.httpGet.port), port, 'the readiness probe asks another port than ferry serve listens on');
  assert.equal(String(probes.livenessProbe.httpGet.port), port, 'the liveness probe asks another port than ferry serve listens on');
  assert.equal(optionValue(sidecar.args, '--host'), '0.0.0.0', 'the kubelet probes the Pod address, so the sidecar must listen on it');
  assert.ok(!sidecar.env.some((e) => e.name === 'FERRY_SERVE_TOKEN'), 'httpGet probes cannot send a token from a Secret');
  const serveArgs = withOption(withOption(sidecar.args, '--host', '127.0.0.1'), '--port', '0');
  const serve = await startServe(t, app, containerEnv(sidecar, given), serveArgs);
  // Kubernetes counts 200-399 as success.
  const probe = async (p: { httpGet: { path: string } }) => {
    const s = await status(serve.url + p.httpGet.path);
    return s >= 200 && s < 400;
  };

  // Before the Job: alive, but not ready (the database is behind the app's revisions).
  assert.equal(await probe(probes.livenessProbe), true);
  assert.equal(await probe(probes.readinessProbe), false);

  const env = containerEnv(job, given);
  const first = await runFerry(app, env, job.args).done;
  assert.equal(first.status, 0, first.stderr + first.stdout);
  assert.match(first.stdout, /Upgraded 1 revision\(s\)/);
  // CI and NO_COLOR (and no terminal): plain lines for the Pod's log.
  assert.doesNotMatch(first.stdout + first.stderr, /\u001b\[/);
  // A retried Job (backoffLimit) finds nothing left to do and succeeds.
  const again = await runFerry(app, env, job.args).done;
  assert.equal(again.status, 0, again.stderr + again.stdout);

  await until('the readiness probe to pass after the upgrade', () => probe(probes.readinessProbe));
  assert.equal(await probe(probes.livenessProbe), true);

  // The kubelet stops the sidecar with SIGTERM: ferry serve closes and exits 0.
  serve.child.kill('SIGTERM');
  assert.equal((await serve.done).status, 0);
});

test('compose: migrate waits for a PostgreSQL that starts late; health answers the probes and the healthcheck', async (t) => {
  const db = await freshPostgresDatabase(t);
  if (!db) return;
  const [compose] = documents('docker-compose/compose.yaml');
  const services = compose!.services as Record<string, Node & { depends_on?: Record<string, { condition: string }>; environment?: Node }>;
  const migrate = container('docker-compose/compose.yaml', 'migrate');
  const health = container('docker-compose/compose.yaml', 'health');
  const app = appFolder('examples-compose');
  // The .env file the comments ask for.
  const vars = { POSTGRES_PASSWORD: crypto.randomBytes(12).toString('hex'), FERRY_SERVE_TOKEN: crypto.randomBytes(16).toString('hex') };
  const given = { vars, home: app };

  // The app starts only after migrate succeeded; migrate and health start with postgres.
  assert.equal(services.app?.depends_on?.migrate?.condition, 'service_completed_successfully');
  assert.equal(services.migrate?.depends_on?.postgres?.condition, 'service_started');
  assert.ok(services.health?.depends_on?.postgres, 'health should start with postgres');
  // Every DATABASE_URL names the postgres service with the user, password and database it creates.
  const pgEnv = Object.fromEntries(envEntries(services.postgres?.environment, 'postgres').map((e) => [e.name, interpolate(e.value!, vars)]));
  for (const name of ['migrate', 'health', 'app']) {
    const url = new URL(interpolate(String(services[name]?.environment?.DATABASE_URL), vars));
    assert.deepEqual(
      { host: url.hostname, port: url.port, user: url.username, password: url.password, database: url.pathname.slice(1) },
      { host: 'postgres', port: '5432', user: pgEnv.POSTGRES_USER, password: pgEnv.POSTGRES_PASSWORD, database: pgEnv.POSTGRES_DB },
      `${name}'s DATABASE_URL does not match the postgres service`,
    );
  }

  // migrate, started while "postgres" still refuses connections: this test's server behind a port
  // that only starts forwarding 1.5 s later (compose's `postgres` host becomes that port; the user
  // and password are the test server's).
  const server = new URL(db.url);
  const late = new URL(db.url);
  late.hostname = '127.0.0.1';
  late.port = String(await freePort());
  const run = runFerry(app, containerEnv(migrate, given, { DATABASE_URL: late.toString() }), migrate.args);
  t.after(() => void run.child.kill('SIGKILL'));
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(run.child.exitCode, null, 'ferry upgrade gave up before the database was up');
  const proxy = await forward(Number(late.port), server.hostname, Number(server.port || 5432));
  t.after(() => proxy.close());
  const upgraded = await run.done;
  assert.equal(upgraded.status, 0, upgraded.stderr + upgraded.stdout);
  assert.match(upgraded.stdout, /Upgraded 1 revision\(s\)/);

  // health, on a free port of 127.0.0.1 instead of 0.0.0.0:8080 (see the Kubernetes test).
  assert.deepEqual(health.args, ['serve', '--host', '0.0.0.0', '--port', '8080']);
  const serveArgs = withOption(withOption(health.args, '--host', '127.0.0.1'), '--port', '0');
  const env = containerEnv(health, given, { DATABASE_URL: db.url });
  assert.equal(env.FERRY_SERVE_TOKEN, vars.FERRY_SERVE_TOKEN);
  const serve = await startServe(t, app, env, serveArgs);
  assert.match(serve.stderr(), /token required/);
  const bearer = { authorization: `Bearer ${vars.FERRY_SERVE_TOKEN}` };
  assert.equal(await status(`${serve.url}/livez`), 200);
  assert.equal(await status(`${serve.url}/`), 200, 'the dashboard page shell needs no token');
  assert.equal(await status(`${serve.url}/readyz`), 401);
  assert.equal(await status(`${serve.url}/readyz`, { authorization: 'Bearer wrong' }), 401);
  assert.equal(await status(`${serve.url}/readyz`, bearer), 200);
  assert.equal(await status(`${serve.url}/api/v1/health/database`, bearer), 200);

  // compose's healthcheck, run as compose runs it in the container (the port is this test's).
  const check = (services.health as { healthcheck: { test: string[] } }).healthcheck.test;
  assert.equal(check[0], 'CMD');
  assert.equal(check[1], 'node');
  const hostPort = new URL(serve.url).host;
  const script = check.slice(2).map((a) => a.replace('127.0.0.1:8080', hostPort));
  assert.notDeepEqual(script, check.slice(2), 'the healthcheck does not ask 127.0.0.1:8080');
  const healthcheck = (token: string) => runNode(script, { PATH: process.env.PATH, FERRY_SERVE_TOKEN: token });
  assert.equal(await healthcheck(vars.FERRY_SERVE_TOKEN), 0, 'the healthcheck fails on a healthy server');
  assert.equal(await healthcheck('wrong'), 1, 'the healthcheck passes with a wrong token');

  // `docker compose stop` sends SIGTERM.
  serve.child.kill('SIGTERM');
  assert.equal((await serve.done).status, 0);
  assert.equal(await healthcheck(vars.FERRY_SERVE_TOKEN), 1, 'the healthcheck passes with nothing listening');
});

/** Runs `node <args>` and gives its exit code. */
function runNode(args: string[], env: NodeJS.ProcessEnv): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** A port nothing listens on (the OS's pick, released at once). */
async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** A TCP forwarder from 127.0.0.1:`port` to `host`:`to`: a database server that has just come up. */
async function forward(port: number, host: string, to: number): Promise<{ close(): void }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(to, host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => (s === client ? upstream : client).destroy());
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    close() {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}
