/**
 * The package as a user gets it: `npm pack`, then `npm install <tarball>` into an empty project,
 * and everything used from there as a user would (the `ferry` command through npx, the library by
 * its package name, its type declarations under a strict consumer tsconfig). Nothing is mocked:
 * the dependencies come from the npm registry and the install scripts run.
 *
 * One speed-up, which changes nothing that is tested: better-sqlite3's install script first looks
 * for a prebuilt binary (prebuild-install, which downloads it from GitHub on a user's machine)
 * and otherwise compiles SQLite from source, which takes minutes on two cores. The test hands it
 * the binary this repository's own `npm install` built from the same version's source, through
 * prebuild-install's documented local-prebuilds setting, and pins that version (it is within
 * ferry-db's range). If the binary is not there, better-sqlite3 is compiled as usual, only slower.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../support/cli.js';

const NAME = 'ferry-db';
const NATIVE_SOURCES = ['ferry-sqlite.c', 'ferry-checksum.inc.c', 'ferry-copy.inc.c', 'ferry-profile.inc.c'];
const LIB_EXT = process.platform === 'darwin' ? 'dylib' : 'so';
const compilerPresent = process.platform !== 'win32' && spawnSync(process.env.CC || 'cc', ['--version']).status === 0;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment for npm and the installed package: this process's, less what npm put there for
 * the `npm test` that may be running us (npm_config_local_prefix and friends would point a nested
 * npm at this repository), and less FERRY_NO_NATIVE unless a call sets it.
 */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('npm_') && k !== 'INIT_CWD' && k !== 'FERRY_NO_NATIVE' && k !== 'FERRY_DEBUG') env[k] = v;
  }
  return { ...env, NO_COLOR: '1', ...extra };
}

/** Runs a command without blocking this process; killed after `timeoutMs` so a hang fails. */
function run(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

function ok(r: Run, what: string): Run {
  assert.equal(r.status, 0, `${what} failed (exit ${r.status})\n--- stdout ---\n${r.stdout.slice(-4000)}\n--- stderr ---\n${r.stderr.slice(-4000)}`);
  return r;
}

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';

let work = '';
let tarball = '';
let app = '';
let installed = '';
let installLog = '';
/** What use.mjs printed with the native checksum (when built), for the fallback to match. */
let firstReport: Record<string, unknown> | null = null;

before(
  async () => {
    work = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-package-')));
    // dist/ is already built (`npm test` builds first); --ignore-scripts keeps `prepare` from
    // rebuilding it under the other test files that are running from it.
    const packDir = path.join(work, 'pack');
    fs.mkdirSync(packDir);
    const packed = ok(await run(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', packDir], { cwd: ROOT }), 'npm pack');
    const info = JSON.parse(packed.stdout) as { filename: string }[];
    tarball = path.join(packDir, info[0]!.filename);
    assert.ok(fs.existsSync(tarball), `npm pack made no ${tarball}`);

    app = path.join(work, 'app');
    fs.mkdirSync(app);
    ok(await run(npm, ['init', '-y'], { cwd: app }), 'npm init -y');
    const extra: Record<string, string> = {};
    const bs3 = path.join(ROOT, 'node_modules', 'better-sqlite3');
    const binary = path.join(bs3, 'build', 'Release', 'better_sqlite3.node');
    const manifest = JSON.parse(fs.readFileSync(path.join(app, 'package.json'), 'utf8')) as Record<string, unknown>;
    manifest.type = 'module';
    if (fs.existsSync(binary)) {
      const version = (JSON.parse(fs.readFileSync(path.join(bs3, 'package.json'), 'utf8')) as { version: string }).version;
      const prebuilds = path.join(work, 'prebuilds');
      fs.mkdirSync(prebuilds);
      const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
      ok(await run('tar', ['-czf', path.join(prebuilds, name), '-C', bs3, 'build/Release/better_sqlite3.node'], { cwd: work }), 'tar');
      extra.npm_config_better_sqlite3_local_prebuilds = prebuilds;
      manifest.overrides = { 'better-sqlite3': version };
    }
    fs.writeFileSync(path.join(app, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    const install = ok(
      await run(npm, ['install', tarball, '--no-audit', '--no-fund', '--foreground-scripts'], { cwd: app, env: cleanEnv(extra), timeoutMs: 240_000 }),
      `npm install ${path.basename(tarball)}`,
    );
    installLog = install.stdout + install.stderr;
    installed = path.join(app, 'node_modules', NAME);
  },
  { timeout: 300_000 },
);

after(() => {
  if (work && !process.env.FERRY_KEEP_TEST_DIRS) fs.rmSync(work, { recursive: true, force: true });
});

test('the tarball carries the C sources of the native checksum and its build step, and no prebuilt library or source map', async () => {
  const listed = ok(await run('tar', ['-tzf', tarball], { cwd: work }), 'tar -t')
    .stdout.split('\n')
    .filter(Boolean);
  for (const f of NATIVE_SOURCES) assert.ok(listed.includes(`package/src/engines/sqlite/native/${f}`), `${f} is not in the tarball`);
  assert.ok(listed.includes('package/scripts/build-native.js'), 'scripts/build-native.js is not in the tarball');
  assert.ok(listed.includes('package/scripts/install.js'), 'scripts/install.js is not in the tarball');
  assert.deepEqual(
    listed.filter((f) => /\.(so|dylib|dll|node)$/.test(f)),
    [],
    'the tarball must not ship a prebuilt binary',
  );
  // Source maps point at TypeScript sources the package does not carry: they would only add weight.
  assert.deepEqual(
    listed.filter((f) => f.endsWith('.map')),
    [],
  );
  assert.ok(listed.includes('package/dist/src/index.d.ts') && listed.includes('package/dist/src/index.js'));
  const manifest = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8')) as {
    name: string;
    bin: Record<string, string>;
    scripts: Record<string, string>;
  };
  assert.equal(manifest.name, NAME);
  assert.deepEqual(Object.keys(manifest.bin), ['ferry']);
  assert.match(manifest.scripts.install ?? '', /scripts\/install\.js/);
});

test('installing builds the native checksum from source where a C compiler exists', () => {
  const lib = path.join(installed, 'dist', 'src', 'engines', 'sqlite', 'native', `ferry-sqlite.${LIB_EXT}`);
  if (compilerPresent) {
    assert.ok(fs.existsSync(lib), `npm install did not build ${lib}\n${installLog.slice(-3000)}`);
    assert.match(installLog, /ferry: native SQLite extension built/);
  } else {
    assert.ok(!fs.existsSync(lib));
    assert.match(installLog, /ferry uses its JavaScript paths/);
  }
});

test('`npx ferry --help` runs the installed command', async () => {
  const r = ok(await run(npx, ['ferry', '--help'], { cwd: app }), 'npx ferry --help');
  assert.match(r.stdout, /Usage: ferry /);
  assert.match(r.stdout, /verify/);
});

/** An ESM script that uses the library by its package name: makes SQLite files and verifies them. */
const SCRIPT = `
import fs from 'node:fs';
import path from 'node:path';
import { connect, verify, openSqlite, ChecksumAccumulator } from '${NAME}';

const dir = process.argv[2];
const a = path.join(dir, 'a.db');
if (!fs.existsSync(a)) {
  const db = await connect('sqlite:' + a);
  await db.exec(\`CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL, photo BLOB);
    INSERT INTO people VALUES (1, 'Ada', 1.5, x'00ff10'), (2, 'naïve café 😀', NULL, NULL), (3, '', -2.5e-300, x'');\`);
  await db.close();
  fs.copyFileSync(a, path.join(dir, 'b.db'));
  fs.copyFileSync(a, path.join(dir, 'c.db'));
  const c = await connect('sqlite:' + path.join(dir, 'c.db'));
  await c.exec("UPDATE people SET name = 'Grace' WHERE id = 1");
  await c.close();
}
const engine = await connect('sqlite:' + a, { readonly: true });
const schema = await engine.introspect();
await engine.close();
const same = await verify({ from: a, to: path.join(dir, 'b.db') });
const differ = await verify({ from: a, to: path.join(dir, 'c.db') });

// The native extension, loaded into the installed better-sqlite3 as ferry loads it, must give the
// JavaScript checksum's digest.
let native = null;
const lib = process.env.FERRY_NATIVE_LIB;
if (lib) {
  const sqlite = openSqlite(a, { readonly: true });
  sqlite.db.loadExtension(lib, 'sqlite3_ferrysqlite_init');
  native = sqlite.db.prepare('SELECT ferry_checksum_native(id, name, score, photo) FROM people').pluck().get();
  const js = new ChecksumAccumulator();
  for (const row of sqlite.db.prepare('SELECT id, name, score, photo FROM people').raw(true).all()) js.addRow(row);
  native = { native, js: js.digest() };
  await sqlite.close();
}
console.log(JSON.stringify({
  tables: schema.tables.map((t) => t.name),
  same: { ok: same.ok, tables: same.tables.map((t) => [t.table, t.sourceRows, t.sourceDigest, t.targetDigest]) },
  differ: { ok: differ.ok, tables: differ.tables.map((t) => [t.table, t.sourceDigest, t.targetDigest]) },
  native,
}));
`;

test('the library imports by its package name and verifies SQLite files, natively or not with the same digests', async () => {
  const dir = path.join(work, 'data');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(app, 'use.mjs'), SCRIPT);
  const lib = path.join(installed, 'dist', 'src', 'engines', 'sqlite', 'native', `ferry-sqlite.${LIB_EXT}`);
  const withNative = fs.existsSync(lib);
  const first = JSON.parse(
    ok(await run(process.execPath, ['use.mjs', dir], { cwd: app, env: cleanEnv(withNative ? { FERRY_NATIVE_LIB: lib } : {}) }), 'node use.mjs').stdout,
  );
  assert.deepEqual(first.tables, ['people']);
  assert.equal(first.same.ok, true);
  assert.equal(first.same.tables[0][1], 3);
  assert.equal(first.same.tables[0][2], first.same.tables[0][3]);
  assert.equal(first.differ.ok, false);
  assert.notEqual(first.differ.tables[0][1], first.differ.tables[0][2]);
  if (withNative) assert.equal(first.native.native, first.native.js, 'the native checksum built on install disagrees with the JavaScript one');
  // The JavaScript fallback: same verdicts, same digests.
  const js = JSON.parse(
    ok(await run(process.execPath, ['use.mjs', dir], { cwd: app, env: cleanEnv({ FERRY_NO_NATIVE: '1' }) }), 'node use.mjs (FERRY_NO_NATIVE)').stdout,
  );
  assert.deepEqual({ ...js, native: null }, { ...first, native: null });
  firstReport = first;
});

test(`a TS config outside any node_modules imports defineConfig from '${NAME}' (and from 'ferry')`, async () => {
  const dir = path.join(work, 'elsewhere');
  fs.mkdirSync(dir);
  const data = path.join(work, 'data');
  fs.writeFileSync(
    path.join(dir, 'ferry.config.ts'),
    `import { defineConfig } from '${NAME}';\nimport { defineConfig as legacy } from 'ferry';\n` +
      `export default legacy(defineConfig({ copy: { from: ${JSON.stringify(path.join(data, 'a.db'))}, to: ${JSON.stringify(path.join(data, 'b.db'))} } }));\n`,
  );
  const r = ok(await run(path.join(app, 'node_modules', '.bin', 'ferry'), ['verify', '--json'], { cwd: dir }), 'ferry verify with a TS config');
  assert.equal((JSON.parse(r.stdout) as { ok: boolean }).ok, true);
});

test('a strict consumer with skipLibCheck false compiles against the shipped types', async () => {
  fs.writeFileSync(
    path.join(app, 'tsconfig.json'),
    JSON.stringify(
      {
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: false, noEmit: true },
        include: ['check.ts', 'migrations/*.ts'],
      },
      null,
      2,
    ),
  );
  fs.writeFileSync(
    path.join(app, 'check.ts'),
    `import { copy, verify, connect, openSqlite, defineConfig, type CopyReport, type VerifyReport, type Engine, type FerryConfig } from '${NAME}';

const engine: Engine = await connect('sqlite:a.db');
const tables: string[] = (await engine.introspect()).tables.map((t) => t.name);
await engine.close();
const report: VerifyReport = await verify({ from: 'a.db', to: 'b.db' });
const copied: (options: Parameters<typeof copy>[0]) => Promise<CopyReport> = copy;
const config: FerryConfig = defineConfig({ copy: { from: 'a.db', to: 'postgres://localhost/app' } });
const sqlite = openSqlite('a.db', { readonly: true });
const count: number = sqlite.db.prepare('SELECT 1').pluck().get() as number;
export { tables, report, copied, config, count };
`,
  );
  // A TS revision as `ferry revision --ts` writes it, with a body that uses ctx: its import resolves and type-checks.
  const made = ok(
    await run(path.join(app, 'node_modules', '.bin', 'ferry'), ['revision', '--ts', '-m', 'add email', '--dir', 'migrations', '--json'], { cwd: app }),
    'ferry revision --ts',
  );
  const revisionFile = (JSON.parse(made.stdout) as { file: string }).file;
  const text = fs.readFileSync(path.resolve(app, revisionFile), 'utf8');
  assert.match(text, new RegExp(`import type \\{ RevisionContext \\} from '${NAME}';`));
  fs.writeFileSync(
    path.resolve(app, revisionFile),
    text.replace(
      /(export async function up\(ctx: RevisionContext\): Promise<void> \{)/,
      "$1\n  await ctx.ops.addColumn('users', { name: 'email', type: 'text' });",
    ),
  );
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  ok(await run(process.execPath, [tsc, '-p', '.'], { cwd: app }), 'tsc -p . in the consumer (skipLibCheck: false)');
});

test('without a C compiler the install script still succeeds and ferry falls back to JavaScript', async () => {
  if (process.platform === 'win32') return;
  const lib = path.join(installed, 'dist', 'src', 'engines', 'sqlite', 'native', `ferry-sqlite.${LIB_EXT}`);
  const r = ok(
    await run(npm, ['rebuild', NAME, '--foreground-scripts'], { cwd: app, env: cleanEnv({ CC: path.join(work, 'no-such-compiler') }), timeoutMs: 60_000 }),
    'npm rebuild with no C compiler',
  );
  assert.match(r.stdout + r.stderr, /no C compiler could build the native SQLite extension.*JavaScript paths/);
  assert.ok(!fs.existsSync(lib), 'a library from an earlier build must not outlive a failed one');
  const out = JSON.parse(ok(await run(process.execPath, ['use.mjs', path.join(work, 'data')], { cwd: app }), 'node use.mjs (no native library)').stdout);
  assert.equal(out.same.ok, true);
  assert.equal(out.differ.ok, false);
  if (firstReport) assert.deepEqual({ ...out, native: null }, { ...firstReport, native: null }, 'the JavaScript fallback must give the same digests');
});
