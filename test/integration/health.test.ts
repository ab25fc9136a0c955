/**
 * Health checks on real databases: every endpoint of `ferry serve` for a healthy SQLite file and
 * PostgreSQL database, one that is down, one behind its revisions, one with an edited revision file,
 * one missing a required table, and one whose check hangs past its timeout; the token; `ferry
 * status`; the start-up validation; resolveStore on the demo estate; --wait-for-db.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { connect } from '../../src/engines/registry.js';
import { generateEstate } from '../../src/demo/legacy-estate.js';
import { checkHealth } from '../../src/health/check-health.js';
import type { DatabaseSpec } from '../../src/health/health-types.js';
import { resolveStore } from '../../src/health/resolve-store.js';
import { serveHealth } from '../../src/health/serve.js';
import { validateSchemaOnStartup } from '../../src/health/startup-validation.js';
import { ferry, ferryWithEnv } from '../support/cli.js';
import { freshPostgresDatabase } from '../support/postgres.js';
import { tempDir } from '../support/sqlite-fixtures.js';

/** A revisions folder with one revision creating `items`, applied to `url`. */
async function appliedRevisions(dir: string, url: string): Promise<string> {
  const migrations = path.join(dir, 'migrations');
  fs.mkdirSync(migrations, { recursive: true });
  fs.writeFileSync(
    path.join(migrations, '000000000001_items.sql'),
    '-- ferry:revision 000000000001\n-- ferry:message items\n-- ferry:up\nCREATE TABLE items (id bigint PRIMARY KEY, name text);\n-- ferry:down\nDROP TABLE items;\n',
  );
  const r = await ferry(dir, 'upgrade', '--url', url, '--create', '--no-backup');
  assert.equal(r.status, 0, r.stderr);
  return migrations;
}

function spec(name: string, url: string, more: Partial<DatabaseSpec> = {}): DatabaseSpec {
  return { name, url, urlFrom: `databases.${name}.url`, requiredTables: [], required: true, timeoutMs: 5000, ...more };
}

async function get(base: string, route: string, token?: string): Promise<{ status: number; type: string; body: Record<string, unknown> }> {
  const res = await fetch(base + route, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: (await res.json()) as Record<string, unknown> };
}

test(
  'every endpoint says healthy for a healthy SQLite file and PostgreSQL database, and names each problem of broken ones',
  { timeout: 120_000 },
  async (t) => {
    const pg = await freshPostgresDatabase(t);
    if (!pg) return;
    const dir = tempDir('health');
    const file = path.join(dir, 'app.db');
    const sqliteRevisions = await appliedRevisions(path.join(dir, 'sqlite'), file);
    const pgRevisions = await appliedRevisions(path.join(dir, 'pg'), pg.url);
    const healthy = [
      spec('files', file, { revisions: sqliteRevisions, requiredTables: ['items', { table: 'items', columns: ['id', 'name'] }] }),
      spec('main', pg.url, { revisions: pgRevisions, requiredTables: ['items'] }),
    ];
    const server = await serveHealth({ databases: healthy, port: 0, cacheMs: 0 });
    try {
      assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/, 'bound to loopback by default');
      assert.deepEqual((await get(server.url, '/livez')).body, { status: 'alive' });
      const ready = await get(server.url, '/readyz');
      assert.equal(ready.status, 200, JSON.stringify(ready.body));
      const db = await get(server.url, '/api/v1/health/database');
      assert.equal(db.status, 200);
      assert.deepEqual([db.body.success, db.body.errors, db.body.warnings], [true, [], []]);
      const [files, main] = db.body.databases as {
        name: string;
        reachable: boolean;
        revisions: { current: string[]; pending: number };
        serverVersion: string;
        server: unknown;
      }[];
      assert.deepEqual([files!.name, files!.reachable, files!.revisions.current, files!.revisions.pending], ['files', true, ['000000000001'], 0]);
      assert.match(main!.serverVersion, /^\d+/);
      assert.ok(main!.server, 'PostgreSQL reports its connections');
      assert.deepEqual(db.body.validation, { valid: true, errors: [], warnings: [] });
      const api = await get(server.url, '/api/health');
      assert.equal(api.body.status, 'healthy');
      const database = (api.body.checks as Record<string, { healthy: boolean; latency_ms: number }>).database!;
      assert.equal(database.healthy, true);
      assert.equal(typeof database.latency_ms, 'number');
      const ietf = await get(server.url, '/health');
      assert.match(ietf.type, /^application\/health\+json/);
      assert.equal(ietf.body.status, 'pass');
      const rt = (ietf.body.checks as Record<string, { observedUnit: string; status: string; componentType: string; time: string }[]>)[
        'main:responseTime'
      ]![0]!;
      assert.deepEqual([rt.observedUnit, rt.status, rt.componentType], ['ms', 'pass', 'datastore']);
      assert.ok(!Number.isNaN(Date.parse(rt.time)));
      assert.equal((await get(server.url, '/nope')).status, 404);
    } finally {
      await server.close();
    }

    // Broken: PostgreSQL down (a wrong port), a pending revision, an edited revision file, a missing table, a check that hangs.
    fs.writeFileSync(
      path.join(pgRevisions, '000000000002_more.sql'),
      '-- ferry:revision 000000000002\n-- ferry:parents 000000000001\n-- ferry:message more\n-- ferry:up\nCREATE TABLE more (id int);\n',
    );
    fs.appendFileSync(path.join(sqliteRevisions, '000000000001_items.sql'), '-- edited after it ran\nSELECT 1;\n');
    const blocker = await connect(pg.url);
    await blocker.exec('BEGIN; LOCK TABLE ferry_version IN ACCESS EXCLUSIVE MODE');
    const broken = [
      spec('files', file, {
        revisions: sqliteRevisions,
        requiredTables: ['items', { table: 'orders', columns: ['id'] }, { table: 'items', columns: ['price'] }],
      }),
      spec('main', pg.url, { revisions: pgRevisions }),
      spec('down', pg.url.replace(/:\d+\//, ':1/')),
      spec('slow', pg.url, { revisions: pgRevisions, timeoutMs: 800 }),
      spec('optional', pg.url.replace(/:\d+\//, ':1/'), { required: false }),
    ];
    const slowServer = await serveHealth({ databases: broken, port: 0, cacheMs: 0 });
    try {
      const t0 = Date.now();
      // `main` waits behind the lock too: its own 5 s timeout ends it, and the endpoint answers then.
      const db = await get(slowServer.url, '/api/v1/health/database');
      assert.ok(Date.now() - t0 < 9000, 'each check is bounded by its timeout');
      assert.equal(db.status, 503);
      assert.equal(db.body.success, false);
      const byName = Object.fromEntries(
        (db.body.databases as { name: string; errors: string[]; warnings: string[]; reachable: boolean; missing: string[] }[]).map((d) => [d.name, d]),
      );
      assert.deepEqual(byName.files!.missing, ['orders', 'items.price']);
      assert.ok(
        byName.files!.warnings.some((w) => /000000000001.*changed/i.test(w)),
        JSON.stringify(byName.files),
      );
      assert.equal(byName.down!.reachable, false);
      assert.match(byName.down!.errors[0]!, /Cannot connect to PostgreSQL at 127\.0\.0\.1:1/);
      assert.ok(
        byName.slow!.errors.some((e) => /did not finish within 800 ms/.test(e)),
        JSON.stringify(byName.slow),
      );
      const ready = await get(slowServer.url, '/readyz');
      assert.equal(ready.status, 503);
      const reasons = ready.body.reasons as string[];
      assert.ok(reasons.some((r) => r.startsWith('files: Required table orders is missing')));
      assert.ok(!reasons.some((r) => r.startsWith('optional:')), 'a database readiness does not wait for is left out');
      await blocker.exec('COMMIT');
      const pending = await checkHealth({ databases: [broken[1]!] });
      assert.deepEqual(pending.errors, ['main: 1 revision(s) not applied: the database is behind the app (ferry upgrade).']);
      assert.equal((await get(slowServer.url, '/api/health')).body.status, 'unhealthy');
      assert.equal((await get(slowServer.url, '/health')).body.status, 'fail');
    } finally {
      await blocker.close();
      await slowServer.close();
    }
  },
);

test('with a token, every endpoint but /livez needs it', async () => {
  const dir = tempDir('health-token');
  const file = path.join(dir, 'app.db');
  await appliedRevisions(dir, file);
  const server = await serveHealth({ databases: [spec('files', file)], port: 0, token: 's3cret-token' });
  try {
    assert.equal((await get(server.url, '/livez')).status, 200);
    for (const route of ['/readyz', '/api/v1/health/database', '/api/health', '/health']) {
      const refused = await get(server.url, route);
      assert.equal(refused.status, 401, route);
      assert.equal((await get(server.url, route, 'wrong-token!')).status, 401);
      assert.equal((await get(server.url, route, 's3cret-token')).status, 200, route);
    }
  } finally {
    await server.close();
  }
});

test('blocked sessions and the longest transaction are counted in their own database only', { timeout: 60_000 }, async (t) => {
  const quiet = await freshPostgresDatabase(t);
  const busy = await freshPostgresDatabase(t);
  if (!quiet || !busy) return;
  const holder = await connect(busy.url);
  const waiter = await connect(busy.url);
  try {
    await holder.exec('CREATE TABLE t (id int)');
    await holder.exec('BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE');
    const waiting = waiter.exec('SELECT count(*) FROM t').catch(() => undefined);
    const busyHealth = async () => (await checkHealth({ databases: [spec('busy', busy.url)] })).databases[0]!;
    let seen = await busyHealth();
    for (let i = 0; i < 50 && (seen.server?.blockedSessions ?? 0) === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      seen = await busyHealth();
    }
    assert.equal(seen.server!.blockedSessions, 1);
    assert.ok(
      seen.warnings.some((w) => /1 session\(s\) wait for a lock/.test(w)),
      seen.warnings.join('; '),
    );
    const other = (await checkHealth({ databases: [spec('quiet', quiet.url)] })).databases[0]!;
    assert.equal(other.server!.blockedSessions, 0, 'a lock wait in another database on the server is not counted');
    assert.equal(other.server!.longestTransactionSeconds, null, "the busy database's open transaction is not this one's");
    // The server's connection count is shared with every other test's database: only this database's own warnings count here.
    assert.deepEqual(
      other.warnings.filter((w) => !/connections in use/.test(w)),
      [],
    );
    await holder.exec('COMMIT');
    await waiting;
  } finally {
    await waiter.close();
    await holder.close();
  }
});

test('ferry status: one screen per database, --json, exit 4 when something is wrong; no password printed', { timeout: 60_000 }, async (t) => {
  const pg = await freshPostgresDatabase(t);
  if (!pg) return;
  const dir = tempDir('status');
  await appliedRevisions(dir, pg.url);
  fs.writeFileSync(
    path.join(dir, 'ferry.config.json'),
    JSON.stringify({
      databases: {
        main: { urlEnv: 'APP_DATABASE_URL', revisions: 'migrations', requiredTables: ['items'] },
        reports: { url: 'postgres://reporter:hunter2secret@127.0.0.1:1/reports', required: false },
      },
    }),
  );
  const r = await ferryWithEnv(dir, { APP_DATABASE_URL: pg.url }, 'status');
  assert.equal(r.status, 4, r.stderr);
  assert.match(r.stdout, /^main {2}healthy/m);
  assert.match(r.stdout, /revisions: at 000000000001; up to date; no drift/);
  assert.match(r.stdout, /^reports {2}unreachable {2}postgres:\/\/reporter:\*+@127\.0\.0\.1:1\/reports/m);
  assert.ok(!(r.stdout + r.stderr).includes('hunter2'), 'the password is masked');
  const json = await ferryWithEnv(dir, { APP_DATABASE_URL: pg.url }, 'status', '--json', '--no-drift');
  const doc = JSON.parse(json.stdout) as { ok: boolean; ready: boolean; databases: { name: string; revisions: { drift: unknown } | null }[] };
  assert.equal(doc.ok, false);
  assert.equal(doc.ready, true, 'reports is not required for readiness');
  assert.equal(doc.databases[0]!.revisions!.drift, null, '--no-drift skips the scratch comparison');
  const one = await ferry(dir, 'status', '--url', pg.url);
  assert.equal(one.status, 0, one.stdout + one.stderr);
});

test('validateSchemaOnStartup: valid, invalid and required (throws with every error), invalid and not required (logs), skipped', async () => {
  const dir = tempDir('startup');
  const file = path.join(dir, 'app.db');
  await appliedRevisions(dir, file);
  const good = [spec('files', file, { requiredTables: ['items'] })];
  const bad = [spec('files', file, { requiredTables: ['orders', 'users'] })];
  const logged: string[] = [];
  const logger = { warn: (m: string) => logged.push(m) };
  assert.equal((await validateSchemaOnStartup({ databases: good, require: true, logger })).outcome, 'valid');
  await assert.rejects(
    validateSchemaOnStartup({ databases: bad, env: { ARAGORA_REQUIRE_VALID_SCHEMA: 'true' }, requireEnv: 'ARAGORA_REQUIRE_VALID_SCHEMA', logger }),
    (e: Error) => {
      assert.match(e.message, /Required table orders is missing[\s\S]*Required table users is missing/);
      return true;
    },
  );
  const soft = await validateSchemaOnStartup({ databases: bad, env: {}, logger });
  assert.equal(soft.outcome, 'invalid');
  assert.deepEqual(logged, ['ferry: files: Required table orders is missing.', 'ferry: files: Required table users is missing.']);
  assert.deepEqual(await validateSchemaOnStartup({ databases: bad, env: { FERRY_SKIP_SCHEMA_VALIDATION: '1', FERRY_REQUIRE_VALID_SCHEMA: '1' } }), {
    outcome: 'skipped',
    report: null,
  });
});

test("resolveStore on the demo estate: legacy and consolidated, switched by FERRY_DB_MODE or the app's own variable", { timeout: 60_000 }, async () => {
  const dir = tempDir('store');
  await generateEstate({ dir, rows: 50, walRows: 0 });
  const legacy = await resolveStore('memories', { cwd: dir, env: {} });
  assert.equal(legacy.mode, 'legacy');
  assert.deepEqual([path.basename(legacy.file), legacy.table], ['continuum.db', 'memories']);
  assert.deepEqual([path.basename(legacy.consolidated.file), legacy.consolidated.table], ['memory.db', 'continuum_memory']);
  const consolidated = await resolveStore('memories', { cwd: dir, env: { FERRY_DB_MODE: 'consolidated' } });
  assert.deepEqual([path.basename(consolidated.file), consolidated.table], ['memory.db', 'continuum_memory']);
  const runbook = await resolveStore('debates', { cwd: dir, modeEnv: 'ARAGORA_DB_MODE', env: { ARAGORA_DB_MODE: 'consolidated' } });
  assert.deepEqual([path.basename(runbook.file), runbook.table], ['core.db', 'debates'], 'a file that moves whole keeps its table names');
  await assert.rejects(resolveStore('memories', { cwd: dir, env: { FERRY_DB_MODE: 'both' } }), /FERRY_DB_MODE must be legacy or consolidated, not "both"/);
  await assert.rejects(resolveStore('nothing_here', { cwd: dir, env: {} }), /No table nothing_here in the consolidation map/);
});

test('ferry upgrade --wait-for-db keeps trying while the server refuses connections, and runs once it answers', { timeout: 60_000 }, async (t) => {
  const pg = await freshPostgresDatabase(t);
  if (!pg) return;
  const target = new URL(pg.url);
  // A port nothing listens on yet; 1.5 s later it forwards to the real server (a database container starting).
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const proxy = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    client.pipe(upstream).pipe(client);
    const end = () => (client.destroy(), upstream.destroy());
    client.on('error', end);
    upstream.on('error', end);
  });
  const opened = new Promise<void>((r) => setTimeout(() => proxy.listen(port, '127.0.0.1', r), 1500));
  const dir = tempDir('wait-for-db');
  const url = pg.url.replace(/@[^/]+\//, `@127.0.0.1:${port}/`);
  try {
    const refused = await ferry(dir, 'current', '--url', url);
    assert.equal(refused.status, 1, 'without --wait-for-db a refused connection fails at once');
    const mig = path.join(dir, 'migrations');
    fs.mkdirSync(mig);
    fs.writeFileSync(path.join(mig, '000000000001_a.sql'), '-- ferry:revision 000000000001\n-- ferry:message a\n-- ferry:up\nCREATE TABLE a (id int);\n');
    const r = await ferry(dir, 'upgrade', '--url', url, '--wait-for-db', '20s');
    assert.equal(r.status, 0, r.stderr);
    await opened;
    const bad = await ferry(dir, 'upgrade', '--url', url, '--wait-for-db', 'soon');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--wait-for-db must be a duration/);
  } finally {
    await opened;
    await new Promise<void>((r) => proxy.close(() => r()));
  }
});
