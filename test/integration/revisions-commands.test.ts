import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { connect } from '../../src/engines/registry.js';
import { ferry, type CliResult } from '../support/cli.js';
import { freshPostgresDatabase } from '../support/postgres.js';
import { tempDir, emptySqliteFile } from '../support/sqlite-fixtures.js';
import { sqlRevision } from '../support/revision-fixtures.js';

/** The read-only commands, exact-step targets, merge, and where the database comes from. */

interface Db {
  name: 'sqlite' | 'postgres';
  url: string;
}

async function databases(t: Parameters<typeof freshPostgresDatabase>[0]): Promise<Db[]> {
  const out: Db[] = [{ name: 'sqlite', url: emptySqliteFile(path.join(tempDir('rev-cmd-db'), 'app.db')) }];
  const pg = await freshPostgresDatabase(t);
  if (pg) out.push({ name: 'postgres', url: pg.url });
  return out;
}

const A = 'a70000000001';
const B = 'b70000000002';
const C = 'c70000000003';
const D = 'd70000000004';
const E = 'e70000000005';

/** a7 -> b7 -> (c7 -> e7 | d7): b7 branches, d7 and e7 are heads. */
function branchedGraph(mig: string): void {
  sqlRevision(mig, A, [], 'create users', 'CREATE TABLE users (id INTEGER PRIMARY KEY);', 'DROP TABLE users;');
  sqlRevision(mig, B, [A], 'create posts', 'CREATE TABLE posts (id INTEGER PRIMARY KEY);', 'DROP TABLE posts;');
  sqlRevision(mig, C, [B], 'create tags', 'CREATE TABLE tags (id INTEGER PRIMARY KEY);\nCREATE INDEX tags_id ON tags (id);', 'DROP TABLE tags;');
  sqlRevision(mig, D, [B], 'create audit', 'CREATE TABLE audit (id INTEGER PRIMARY KEY);', 'DROP TABLE audit;');
  sqlRevision(mig, E, [C], 'create labels', 'CREATE TABLE labels (id INTEGER PRIMARY KEY);', 'DROP TABLE labels;');
}

async function tables(url: string): Promise<string[]> {
  const e = await connect(url);
  try {
    return (await e.introspect()).tables.map((t) => t.name).sort();
  } finally {
    await e.close();
  }
}

async function historyRows(url: string): Promise<string[]> {
  const e = await connect(url);
  try {
    return (await e.query<{ revision: string; direction: string }>('SELECT revision, direction FROM ferry_history ORDER BY seq')).map(
      (r) => `${r.direction} ${r.revision}`,
    );
  } finally {
    await e.close();
  }
}

function ok(r: CliResult, what: string): CliResult {
  assert.equal(r.status, 0, `${what}: ${r.stdout}${r.stderr}`);
  return r;
}

/** Runs ferry with extra environment variables (DATABASE_URL), captured when the child starts. */
function ferryWithEnv(env: Record<string, string>, cwd: string, ...args: string[]): Promise<CliResult> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return ferry(cwd, ...args);
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

interface Info {
  id: string;
  parents: string[];
  message: string;
  file: string;
  isHead: boolean;
  applied?: boolean;
}

test('show, heads, branches, history, current, +N/-N, merge on both engines', { timeout: 120_000, concurrency: true }, async (t) => {
  await Promise.all((await databases(t)).map((db) => t.test(db.name, () => commandsOn(db))));
});

async function commandsOn(db: Db): Promise<void> {
  {
    const dir = tempDir(`rev-cmd-${db.name}`);
    const mig = path.join(dir, 'migrations');
    fs.mkdirSync(mig);
    branchedGraph(mig);
    const f = (...args: string[]) => ferry(dir, ...args, '--url', db.url);

    // show: a prefix, as text and JSON.
    // The read-only commands run side by side.
    const names = [
      'show',
      'showJson',
      'heads',
      'headsJson',
      'branches',
      'branchesJson',
      'all',
      'range',
      'fromB',
      'toD',
      'rangeText',
      'verbose',
      'badRange',
    ] as const;
    const results = await Promise.all([
      f('show', 'c7'),
      f('show', 'c7', '--json'),
      f('heads'),
      f('heads', '--json'),
      f('branches'),
      f('branches', '--json'),
      f('history', '--json'),
      f('history', '-r', 'b7:c7', '--json'),
      f('history', '-r', `${B}:`, '--json'),
      f('history', '--rev-range', ':d7', '--json'),
      f('history', '-r', 'b7:c7'),
      f('history', '-r', 'b7:c7', '--verbose'),
      f('history', '-r', 'zz9:c7'),
    ]);
    const r = Object.fromEntries(names.map((n, i) => [n, results[i]!])) as Record<(typeof names)[number], CliResult>;
    const show = ok(r.show, 'show');
    assert.match(show.stdout, new RegExp(`^Revision: ${C}$`, 'm'));
    assert.match(show.stdout, new RegExp(`^Parents: ${B}$`, 'm'));
    assert.match(show.stdout, /^Message: create tags$/m);
    assert.match(show.stdout, new RegExp(`^File: .*${C}_create_tags\\.sql$`, 'm'));
    assert.match(show.stdout, /CREATE INDEX tags_id ON tags \(id\);/);
    assert.match(show.stdout, /Down:\nDROP TABLE tags;/);
    const showJson = JSON.parse(ok(r.showJson, 'show --json').stdout) as Info & { up: string; down: string; checksum: string; transactional: boolean };
    assert.equal(showJson.id, C);
    assert.deepEqual(showJson.parents, [B]);
    assert.equal(showJson.isHead, false);
    assert.equal(showJson.transactional, true);
    assert.match(showJson.checksum, /^[0-9a-f]{64}$/);
    assert.equal(showJson.up, 'CREATE TABLE tags (id INTEGER PRIMARY KEY);\nCREATE INDEX tags_id ON tags (id);');
    assert.equal(showJson.down, 'DROP TABLE tags;');
    assert.equal(path.resolve(dir, showJson.file), path.join(mig, `${C}_create_tags.sql`));

    // heads: both, branches: b7 only.
    const heads = ok(r.heads, 'heads');
    assert.match(heads.stdout, new RegExp(`${B} -> ${D} \\(head\\), create audit`));
    assert.match(heads.stdout, new RegExp(`${C} -> ${E} \\(head\\), create labels`));
    assert.equal(heads.stdout.trim().split('\n').length, 2);
    assert.deepEqual(
      (JSON.parse(ok(r.headsJson, 'heads --json').stdout) as Info[]).map((h) => h.id),
      [D, E],
    );
    const branches = ok(r.branches, 'branches');
    assert.equal(branches.stdout.trim().split('\n').length, 1, branches.stdout);
    assert.match(branches.stdout, new RegExp(`${A} -> ${B}, create posts`));
    assert.deepEqual(
      (JSON.parse(ok(r.branchesJson, 'branches --json').stdout) as Info[]).map((h) => h.id),
      [B],
    );

    // history: full, a range, --verbose.
    const all = JSON.parse(ok(r.all, 'history').stdout) as Info[];
    assert.equal(all.length, 5);
    assert.equal(all[all.length - 1]!.id, A, 'oldest last');
    const range = JSON.parse(ok(r.range, 'history -r').stdout) as Info[];
    assert.deepEqual(
      range.map((r) => r.id),
      [C, B],
      'from b7 up to c7, newest first',
    );
    const fromB = JSON.parse(ok(r.fromB, 'history -r B:').stdout) as Info[];
    assert.deepEqual(fromB.map((r) => r.id).sort(), [B, C, D, E]);
    const toD = JSON.parse(ok(r.toD, 'history -r :D').stdout) as Info[];
    assert.deepEqual(
      toD.map((r) => r.id),
      [D, B, A],
    );
    const rangeText = ok(r.rangeText, 'history -r text');
    assert.equal(rangeText.stdout.trim().split('\n').length, 2);
    const verbose = ok(r.verbose, 'history --verbose');
    assert.match(verbose.stdout, new RegExp(`${B} -> ${C}, create tags\\n\\s+migrations/${C}_create_tags\\.sql`));
    assert.match(verbose.stdout, new RegExp(`migrations/${B}_create_posts\\.sql`));
    const badRange = r.badRange;
    assert.equal(badRange.status, 2, badRange.stderr);
    assert.match(badRange.stderr, /zz9/);

    // current on a database never versioned: base, exit 0, nothing created.
    const never = db.name === 'sqlite' ? path.join(path.dirname(db.url), 'never.db') : db.url;
    if (db.name === 'sqlite') {
      const e = await connect(never);
      await e.exec('CREATE TABLE legacy (id INTEGER PRIMARY KEY)');
      await e.close();
    }
    const before = await tables(never);
    const cur0 = ok(await ferry(dir, 'current', '--url', never), 'current never versioned');
    assert.match(cur0.stdout, /<base>/);
    assert.match(cur0.stdout, /5 revision\(s\) not applied yet/);
    assert.deepEqual(JSON.parse(ok(await ferry(dir, 'current', '--url', never, '--json'), 'current --json').stdout), { heads: [], pending: 5 });
    assert.deepEqual(await tables(never), before, 'current creates nothing');

    // upgrade +2 / downgrade -2: exactly two steps each.
    const plus2 = JSON.parse(ok(await f('upgrade', '+2', '--no-backup', '--json'), 'upgrade +2').stdout) as { steps: { id: string }[]; heads: string[] };
    assert.deepEqual(
      plus2.steps.map((s) => s.id),
      [A, B],
    );
    assert.deepEqual(plus2.heads, [B]);
    const plus2b = JSON.parse(ok(await f('upgrade', '+2', '--no-backup', '--json'), 'upgrade +2 again').stdout) as { steps: { id: string }[]; heads: string[] };
    assert.equal(plus2b.steps.length, 2);
    assert.deepEqual(await historyRows(db.url), [`up ${A}`, `up ${B}`, ...plus2b.steps.map((s) => `up ${s.id}`)]);
    const tooFar = await f('upgrade', '+2', '--no-backup');
    assert.equal(tooFar.status, 2, 'only one is pending');
    assert.match(tooFar.stderr, /only 1 revision\(s\) are pending/);
    ok(await f('upgrade', '--no-backup'), 'upgrade the rest');
    assert.deepEqual(
      (JSON.parse(ok(await f('current', '--json'), 'current').stdout) as { heads: Info[] }).heads.map((h) => h.id),
      [D, E],
    );
    const minus2 = JSON.parse(ok(await f('downgrade', '-2', '--no-backup', '--json'), 'downgrade -2').stdout) as {
      steps: { id: string; direction: string }[];
      heads: string[];
    };
    assert.equal(minus2.steps.length, 2);
    assert.ok(minus2.steps.every((s) => s.direction === 'down'));
    const rows = await historyRows(db.url);
    assert.equal(rows.filter((r) => r.startsWith('down ')).length, 2, 'exactly two reverted');
    assert.equal(rows.length, 7);
    const curAfter = JSON.parse(ok(await f('current', '--json'), 'current').stdout) as { heads: Info[]; pending: number };
    assert.equal(curAfter.pending, 2);
    const hist = JSON.parse(ok(await f('history', '--indicate-current', '--json'), 'history -i').stdout) as Info[];
    assert.equal(hist.filter((r) => r.applied).length, 3);
    assert.ok(hist.filter((r) => !r.applied).every((r) => minus2.steps.some((s) => s.id === r.id)));
    // history --applied: the database's own record, newest first, with message, time and who.
    const applied = JSON.parse(ok(await f('history', '--applied', '--json'), 'history --applied').stdout) as {
      seq: number;
      revision: string;
      direction: string;
      message?: string;
      appliedAt: string;
      durationMs: number;
      appliedBy: string;
    }[];
    assert.deepEqual(
      applied.map((x) => `${x.direction} ${x.revision}`),
      [...rows].reverse(),
    );
    assert.deepEqual(
      applied.map((x) => x.seq),
      [7, 6, 5, 4, 3, 2, 1],
    );
    assert.ok(applied.every((x) => x.message && /^\d{4}-\d\d-\d\dT/.test(x.appliedAt) && x.durationMs >= 0 && x.appliedBy.includes('@')));
    const appliedText = ok(await f('history', '--applied'), 'history --applied text')
      .stdout.trim()
      .split('\n');
    assert.equal(appliedText.length, 7);
    assert.match(appliedText[0]!, new RegExp(`^\\S+Z  down +${minus2.steps[1]!.id} .* \\d+ ms, \\S+@\\S+$`));
    const tooFarDown = await f('downgrade', '-4', '--no-backup');
    assert.equal(tooFarDown.status, 2);
    assert.match(tooFarDown.stderr, /only 3 revision\(s\) are applied/);

    // merge with explicit revisions (prefixes).
    const merged = ok(await f('merge', '-m', 'join audit and labels', 'd7', 'e7', '--json'), 'merge');
    const m = JSON.parse(merged.stdout) as { id: string; file: string; parents: string[] };
    assert.deepEqual(m.parents, [D, E]);
    assert.ok(fs.existsSync(m.file));
    assert.match(path.basename(m.file), new RegExp(`^${m.id}_join_audit_and_labels\\.sql$`));
    assert.match(fs.readFileSync(m.file, 'utf8'), new RegExp(`^-- ferry:parents ${D} ${E}$`, 'm'));
    assert.deepEqual(
      (JSON.parse(ok(await f('heads', '--json'), 'heads').stdout) as Info[]).map((h) => h.id),
      [m.id],
    );
    const mshow = ok(await f('show', m.id.slice(0, 8)), 'show merge');
    assert.match(mshow.stdout, new RegExp(`Parents: ${D}, ${E}`));
    ok(await f('upgrade', 'head', '--no-backup'), 'upgrade head after the merge');
    assert.deepEqual(
      (JSON.parse(ok(await f('current', '--json'), 'current').stdout) as { heads: Info[] }).heads.map((h) => h.id),
      [m.id],
    );
    assert.deepEqual(
      (await tables(db.url)).filter((n) => !n.startsWith('ferry_') && n !== 'legacy'),
      ['audit', 'labels', 'posts', 'tags', 'users'],
    );
    // A merge of one revision is refused.
    const lone = await f('merge', '-m', 'nothing', m.id);
    assert.notEqual(lone.status, 0);
  }
}

test('the database comes from --url, else DATABASE_URL, else ferry.config.json', { timeout: 60_000 }, async (t) => {
  for (const db of await databases(t)) {
    // DATABASE_URL when --url is absent.
    const dir = tempDir(`rev-env-${db.name}`);
    const mig = path.join(dir, 'migrations');
    fs.mkdirSync(mig);
    sqlRevision(mig, A, [], 'create users', 'CREATE TABLE users (id INTEGER PRIMARY KEY);', 'DROP TABLE users;');
    const envUp = await ferryWithEnv({ DATABASE_URL: db.url }, dir, 'upgrade', '--no-backup');
    ok(envUp, 'upgrade with DATABASE_URL');
    assert.deepEqual(
      (await tables(db.url)).filter((n) => !n.startsWith('ferry_')),
      ['users'],
    );
    assert.match(ok(await ferryWithEnv({ DATABASE_URL: db.url }, dir, 'current'), 'current with DATABASE_URL').stdout, new RegExp(A));
    ok(await ferryWithEnv({ DATABASE_URL: db.url }, dir, 'downgrade', 'base', '--no-backup'), 'downgrade with DATABASE_URL');
    assert.deepEqual(
      (await tables(db.url)).filter((n) => !n.startsWith('ferry_')),
      [],
    );
    // --url wins over DATABASE_URL.
    const other = emptySqliteFile(path.join(dir, 'other.db'));
    ok(await ferryWithEnv({ DATABASE_URL: db.url }, dir, 'upgrade', '--no-backup', '--url', other), '--url over DATABASE_URL');
    assert.ok(fs.existsSync(other));
    assert.deepEqual(
      (await tables(db.url)).filter((n) => !n.startsWith('ferry_')),
      [],
      'DATABASE_URL untouched when --url is given',
    );

    // ferry.config.json when neither is there: revisions.dir and revisions.url.
    const cfgDir = tempDir(`rev-cfg-${db.name}`);
    const revs = path.join(cfgDir, 'db', 'revs');
    fs.mkdirSync(revs, { recursive: true });
    sqlRevision(revs, B, [], 'create things', 'CREATE TABLE things (id INTEGER PRIMARY KEY);', 'DROP TABLE things;');
    const cfgUrl = db.name === 'sqlite' ? 'app.db' : db.url;
    fs.writeFileSync(path.join(cfgDir, 'ferry.config.json'), JSON.stringify({ revisions: { dir: 'db/revs', url: cfgUrl } }, null, 2));
    const heads = ok(await ferry(cfgDir, 'heads'), 'heads from the config dir');
    assert.match(heads.stdout, new RegExp(B));
    // A path that does not exist is refused (a mistyped one must not become a new database) unless --create says so.
    if (db.name === 'sqlite') {
      const refused = await ferry(cfgDir, 'upgrade', '--no-backup');
      assert.equal(refused.status, 1, refused.stderr);
      assert.match(refused.stderr, /app\.db does not exist/);
      assert.match(refused.stderr, /--create/);
      assert.equal(fs.existsSync(path.join(cfgDir, 'app.db')), false, 'nothing was created');
    }
    const up = ok(await ferry(cfgDir, 'upgrade', '--no-backup', '--create'), 'upgrade from the config');
    assert.match(up.stdout, /Upgraded 1 revision/);
    const target = db.name === 'sqlite' ? path.join(cfgDir, 'app.db') : db.url;
    if (db.name === 'sqlite') assert.ok(fs.existsSync(target), 'app.db beside the config file');
    assert.ok((await tables(target)).includes('things'));
    assert.match(ok(await ferry(cfgDir, 'current'), 'current from the config').stdout, new RegExp(B));
    // A new revision goes into the configured folder.
    const made = JSON.parse(ok(await ferry(cfgDir, 'revision', '-m', 'more things', '--json'), 'revision from the config').stdout) as {
      file: string;
      parents: string[];
    };
    assert.equal(path.dirname(made.file), revs);
    assert.deepEqual(made.parents, [B]);
    // DATABASE_URL wins over the config.
    if (db.name === 'sqlite') {
      const envDb = emptySqliteFile(path.join(cfgDir, 'env.db'));
      ok(await ferryWithEnv({ DATABASE_URL: envDb }, cfgDir, 'upgrade', '--no-backup'), 'DATABASE_URL over the config');
      assert.ok((await tables(envDb)).includes('things'));
    }
  }
});

test('a reader that closes the pipe early (ferry history --applied | head -1) ends the command quietly, exit 0', { timeout: 30_000 }, async () => {
  const dir = tempDir('rev-epipe');
  fs.mkdirSync(path.join(dir, 'migrations'));
  const url = emptySqliteFile(path.join(dir, 'app.db'));
  // A long run history: more output than a pipe holds (64 KiB), so ferry is still writing when
  // head has gone.
  const { VersionStore } = await import('../../src/revisions/version-store.js');
  const e = await connect(url);
  try {
    const store = new VersionStore(e);
    await store.ensure();
    await e.transaction(async () => {
      for (let i = 0; i < 3000; i++) await store.record(`e${String(i).padStart(11, '0')}`, 'stamp', null, 0);
    });
  } finally {
    await e.close();
  }
  const { spawnSync } = await import('node:child_process');
  const { FERRY } = await import('../support/cli.js');
  const r = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${FERRY}" history --applied --url app.db | head -1`], {
    cwd: dir,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^\S+Z {2}stamp +e00000002999 \(no revision file\)/);
  assert.doesNotMatch(r.stderr, /EPIPE|Unhandled/);
});
