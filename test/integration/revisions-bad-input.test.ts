import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { connect } from '../../src/engines/registry.js';
import { ferry, FERRY, type CliResult } from '../support/cli.js';
import { freshPostgresDatabase } from '../support/postgres.js';
import { tempDir, emptySqliteFile } from '../support/sqlite-fixtures.js';
import { sqlRevision } from '../support/revision-fixtures.js';

/**
 * Bad input to the revision commands: a clear message naming the thing, a non-zero exit, a JSON
 * error document with --json, and the database exactly as it was.
 */

interface Db {
  name: 'sqlite' | 'postgres';
  /** A database at revision BASE (ferry's tables in place, one row in each), shared by the cases. */
  versioned: string;
  /** A new database ferry never touched (one application table, no ferry tables), one per call. */
  fresh(): Promise<string>;
}

const BASE = 'ba5e00000001';

/** A fresh folder whose migrations/ holds the baseline revision (and whatever the case adds). */
function project(label: string): { dir: string; mig: string } {
  const dir = tempDir(`rev-bad-${label}`);
  const mig = path.join(dir, 'migrations');
  fs.mkdirSync(mig);
  sqlRevision(mig, BASE, [], 'baseline', 'CREATE TABLE keep (id INTEGER PRIMARY KEY);', 'DROP TABLE keep;');
  return { dir, mig };
}

async function addLegacyTable(url: string): Promise<string> {
  const e = await connect(url);
  try {
    await e.exec('CREATE TABLE legacy (id INTEGER PRIMARY KEY, v TEXT)');
  } finally {
    await e.close();
  }
  return url;
}

async function databases(t: Parameters<typeof freshPostgresDatabase>[0]): Promise<Db[]> {
  const dir = tempDir('rev-bad-db');
  let n = 0;
  const out: Db[] = [
    { name: 'sqlite', versioned: emptySqliteFile(path.join(dir, 'versioned.db')), fresh: () => addLegacyTable(path.join(dir, `fresh${++n}.db`)) },
  ];
  const pg = await freshPostgresDatabase(t);
  // CREATE DATABASE copies template1, which refuses two copies at once: one at a time.
  let queue: Promise<unknown> = Promise.resolve();
  if (pg) {
    out.push({
      name: 'postgres',
      versioned: pg.url,
      fresh: () => {
        const made = queue.then(() => freshPostgresDatabase(t)).then((d) => addLegacyTable(d!.url));
        queue = made.catch(() => undefined);
        return made;
      },
    });
  }
  for (const db of out) {
    const { dir: p } = project(`setup-${db.name}`);
    const up = await ferry(p, 'upgrade', '--url', db.versioned, '--no-backup');
    assert.equal(up.status, 0, up.stderr);
  }
  return out;
}

/** Everything a failed command must leave alone: every table (ferry's too), the version rows, the history rows. */
async function snapshot(url: string): Promise<{ tables: string[]; version: string[]; history: number }> {
  const e = await connect(url);
  try {
    const tables = (await e.introspect()).tables.map((t) => t.name).sort();
    const version = tables.includes('ferry_version')
      ? (await e.query<{ revision: string }>('SELECT revision FROM ferry_version ORDER BY revision')).map((r) => r.revision)
      : [];
    const history = tables.includes('ferry_history') ? Number((await e.query<{ n: unknown }>('SELECT count(*) AS n FROM ferry_history'))[0]!.n) : 0;
    return { tables, version, history };
  } finally {
    await e.close();
  }
}

interface JsonError {
  ok: false;
  error: { code: string; message: string; hint?: string };
}

/**
 * Runs `args` as text against the shared versioned database and against a new never-versioned
 * one, and as --json against the versioned one. Checks: non-zero exit, every pattern in the
 * message (text and JSON), the error code, and every database exactly as it was.
 */
async function expectFailure(db: Db, dir: string, args: string[], patterns: RegExp[], code: string): Promise<CliResult> {
  const extra = args[0] === 'upgrade' || args[0] === 'downgrade' ? ['--no-backup'] : [];
  const fresh = await db.fresh();
  const before = { versioned: await snapshot(db.versioned), fresh: await snapshot(fresh) };
  const [text, freshText, json] = await Promise.all([
    ferry(dir, ...args, '--url', db.versioned, ...extra),
    ferry(dir, ...args, '--url', fresh, ...extra),
    ferry(dir, ...args, '--url', db.versioned, ...extra, '--json'),
  ]);
  const label = `${db.name}: ferry ${args.join(' ')}`;
  for (const [r, which] of [
    [text, 'versioned'],
    [freshText, 'never-versioned'],
  ] as const) {
    assert.notEqual(r.status, 0, `${label} (${which}) must fail:\n${r.stdout}${r.stderr}`);
    for (const p of patterns) assert.match(r.stderr, p, `${label} (${which}): stderr names it`);
    assert.doesNotMatch(r.stderr, /\n\s+at /, `${label}: no stack trace`);
  }
  assert.equal(json.status, text.status, `${label}: same exit with --json`);
  const doc = JSON.parse(json.stdout) as JsonError;
  assert.equal(doc.ok, false);
  assert.equal(doc.error.code, code, label);
  for (const p of patterns) assert.match(doc.error.message + '\n' + (doc.error.hint ?? ''), p, `${label}: the JSON message names it`);
  assert.deepEqual(await snapshot(db.versioned), before.versioned, `${label}: the versioned database is unchanged`);
  assert.deepEqual(await snapshot(fresh), before.fresh, `${label}: the never-versioned database is unchanged (no ferry tables created)`);
  return text;
}

test('bad revision graphs and targets: clear message, non-zero exit, JSON error, database unchanged', { timeout: 120_000, concurrency: true }, async (t) => {
  const dbs = await databases(t);
  await Promise.all(dbs.map((db) => t.test(db.name, (t) => badInputCases(t, db))));
});

async function badInputCases(t: TestContext, db: Db): Promise<void> {
  await t.test('duplicate revision ids name both files', async () => {
    const { dir, mig } = project('dup');
    sqlRevision(mig, 'd0000000000a', [BASE], 'one', 'CREATE TABLE one (id INTEGER);', 'DROP TABLE one;');
    fs.writeFileSync(
      path.join(mig, 'd0000000000a_two.sql'),
      `-- ferry:revision d0000000000a\n-- ferry:parents ${BASE}\n-- ferry:up\nCREATE TABLE two (id INTEGER);\n`,
    );
    await expectFailure(db, dir, ['upgrade'], [/d0000000000a/, /d0000000000a_one\.sql/, /d0000000000a_two\.sql/], 'CONFLICT');
    const heads = await ferry(dir, 'heads');
    assert.equal(heads.status, 1);
    assert.match(heads.stderr, /d0000000000a_one\.sql and migrations\/d0000000000a_two\.sql/);
  });

  await t.test('a missing parent names the file and the id', async () => {
    const { dir, mig } = project('parent');
    sqlRevision(mig, 'e0000000000b', ['f00000000999'], 'orphan', 'CREATE TABLE orphan (id INTEGER);', 'DROP TABLE orphan;');
    await expectFailure(db, dir, ['upgrade'], [/e0000000000b_orphan\.sql/, /f00000000999/], 'CONFLICT');
  });

  await t.test('a cycle names the revisions on it', async () => {
    const { dir, mig } = project('cycle');
    sqlRevision(mig, 'c1c000000001', [BASE, 'c1c000000003'], 'cy one', 'CREATE TABLE cy1 (id INTEGER);', 'DROP TABLE cy1;');
    sqlRevision(mig, 'c1c000000002', ['c1c000000001'], 'cy two', 'CREATE TABLE cy2 (id INTEGER);', 'DROP TABLE cy2;');
    sqlRevision(mig, 'c1c000000003', ['c1c000000002'], 'cy three', 'CREATE TABLE cy3 (id INTEGER);', 'DROP TABLE cy3;');
    await expectFailure(db, dir, ['upgrade'], [/cycle/i, /c1c000000001/, /c1c000000002/, /c1c000000003/], 'CONFLICT');
  });

  await t.test('an ambiguous prefix lists the candidates', async () => {
    const { dir, mig } = project('ambiguous');
    sqlRevision(mig, 'abc000000001', [BASE], 'first abc', 'CREATE TABLE abc1 (id INTEGER);', 'DROP TABLE abc1;');
    sqlRevision(mig, 'abc000000002', ['abc000000001'], 'second abc', 'CREATE TABLE abc2 (id INTEGER);', 'DROP TABLE abc2;');
    const r = await expectFailure(db, dir, ['upgrade', 'abc'], [/ambiguous/, /abc000000001/, /abc000000002/], 'USAGE');
    assert.equal(r.status, 2, 'a usage error');
  });

  await t.test('an unknown target suggests the nearest', async () => {
    const { dir, mig } = project('unknown');
    sqlRevision(mig, 'abc000000001', [BASE], 'first abc', 'CREATE TABLE abc1 (id INTEGER);', 'DROP TABLE abc1;');
    const r = await expectFailure(db, dir, ['upgrade', 'abc000000002'], [/Unknown revision "abc000000002"/, /did you mean abc000000001/], 'USAGE');
    assert.equal(r.status, 2, 'a usage error');
    const typo = await ferry(dir, 'upgrade', 'heds', '--url', db.versioned, '--no-backup');
    assert.equal(typo.status, 2);
    assert.match(typo.stderr, /did you mean heads/);
  });

  await t.test('an unknown option is a usage error: text and help without --json, one JSON document with it', async () => {
    const { dir } = project('option');
    const text = await ferry(dir, 'upgrade', '--bogus', '--url', db.versioned);
    assert.equal(text.status, 2);
    assert.match(text.stderr, /error: unknown option '--bogus'[\s\S]*Usage: ferry upgrade/);
    const json = await ferry(dir, 'upgrade', '--bogus', '--url', db.versioned, '--json');
    assert.equal(json.status, 2);
    assert.equal(json.stderr, '', 'nothing but the JSON document');
    assert.deepEqual(JSON.parse(json.stdout), {
      ok: false,
      error: { code: 'USAGE', message: "unknown option '--bogus'", hint: 'Run the command with --help to see its arguments and options.' },
    });
  });

  await t.test('a file with no up section is named', async () => {
    const { dir, mig } = project('noup');
    sqlRevision(mig, 'a0b000000001', [BASE], 'no up', null, 'DROP TABLE nothing;');
    await expectFailure(db, dir, ['upgrade'], [/a0b000000001_no_up\.sql/, /no "-- ferry:up" section/], 'CONFIG_INVALID');
  });

  await t.test('a misspelled directive gives file and line', async () => {
    const { dir, mig } = project('directive');
    const file = path.join(mig, 'd1e000000001_typo.sql');
    fs.writeFileSync(
      file,
      `-- ferry:revision d1e000000001\n-- ferry:parents ${BASE}\n-- ferry:message typo\n-- ferry:up\nCREATE TABLE typo (id INTEGER);\n-- ferry:donw\nDROP TABLE typo;\n`,
    );
    await expectFailure(db, dir, ['upgrade'], [/d1e000000001_typo\.sql:6/, /ferry:donw/, /did you mean "-- ferry:down"/], 'CONFIG_INVALID');
  });

  await t.test('a TypeScript revision with a syntax error gives file and line (CONFIG_SYNTAX)', async () => {
    const { dir, mig } = project('tssyntax');
    // The first revision is fine: the syntax error of the second must stop the run before it.
    sqlRevision(mig, 'f00000000001', [BASE], 'fine first', 'CREATE TABLE fine_first (id INTEGER);', 'DROP TABLE fine_first;');
    fs.writeFileSync(
      path.join(mig, 'f00000000002_broken.ts'),
      [
        "import type { RevisionContext } from 'ferry';",
        '',
        "export const revision = 'f00000000002';",
        "export const parents: string[] = ['f00000000001'];",
        "export const message = 'broken';",
        '',
        'export async function up(ctx: RevisionContext): Promise<void> {',
        "  await ctx.sql('CREATE TABLE broken (id INTEGER)';",
        '}',
        '',
      ].join('\n'),
    );
    await expectFailure(db, dir, ['upgrade'], [/f00000000002_broken\.ts:8/], 'CONFIG_SYNTAX');
  });

  await t.test('"head" with several heads lists them', async () => {
    const { dir, mig } = project('heads');
    sqlRevision(mig, 'aaa000000001', [BASE], 'left', 'CREATE TABLE lft (id INTEGER);', 'DROP TABLE lft;');
    sqlRevision(mig, 'bbb000000002', [BASE], 'right', 'CREATE TABLE rgt (id INTEGER);', 'DROP TABLE rgt;');
    await expectFailure(db, dir, ['upgrade', 'head'], [/"head" is ambiguous/, /aaa000000001/, /bbb000000002/], 'CONFLICT');
  });
}

/** Resolves once `check` is true (polled), or rejects after `ms`. */
async function until(check: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('a lock held past --lock-timeout: exit 1 naming the lock and --lock-timeout; the holder completes', { timeout: 60_000, concurrency: true }, async (t) => {
  const dbs: { name: 'sqlite' | 'postgres'; url: string }[] = [{ name: 'sqlite', url: emptySqliteFile(path.join(tempDir('rev-lock-db'), 'app.db')) }];
  const pg = await freshPostgresDatabase(t);
  if (pg) dbs.push({ name: 'postgres', url: pg.url });
  // The engines run side by side: each waits on its own slow revision.
  await Promise.all(dbs.map((db) => t.test(db.name, () => lockCase(db))));
});

async function lockCase(db: { name: 'sqlite' | 'postgres'; url: string }): Promise<void> {
  {
    const dir = tempDir(`rev-lock-${db.name}`);
    const mig = path.join(dir, 'migrations');
    fs.mkdirSync(mig);
    const marker = path.join(dir, 'slow-started');
    if (db.name === 'postgres') {
      sqlRevision(mig, 'a10c00000001', [], 'slow', 'CREATE TABLE slow (id INTEGER PRIMARY KEY);\nSELECT pg_sleep(3);', 'DROP TABLE slow;');
    } else {
      fs.writeFileSync(
        path.join(mig, 'a10c00000001_slow.ts'),
        [
          "import fs from 'node:fs';",
          "import type { RevisionContext } from 'ferry';",
          '',
          "export const revision = 'a10c00000001';",
          'export const parents: string[] = [];',
          "export const message = 'slow';",
          '',
          'export async function up(ctx: RevisionContext): Promise<void> {',
          "  await ctx.sql('CREATE TABLE slow (id INTEGER PRIMARY KEY)');",
          `  fs.writeFileSync(${JSON.stringify(marker)}, 'x');`,
          '  await new Promise((resolve) => setTimeout(resolve, 3000));',
          '}',
          '',
          'export async function down(ctx: RevisionContext): Promise<void> {',
          "  await ctx.sql('DROP TABLE slow');",
          '}',
          '',
        ].join('\n'),
      );
    }
    const holder = spawn(process.execPath, [FERRY, 'upgrade', '--url', db.url, '--no-backup'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let holderErr = '';
    holder.stderr.setEncoding('utf8').on('data', (c: string) => (holderErr += c));
    const holderDone = new Promise<number | null>((resolve) => holder.on('close', resolve));
    // Wait until the first run is inside its slow revision (so it holds the lock).
    if (db.name === 'postgres') {
      const e = await connect(db.url);
      try {
        await until(
          async () =>
            Number((await e.query<{ n: unknown }>("SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND granted"))[0]!.n) > 0 &&
            Number(
              (
                await e.query<{ n: unknown }>(
                  "SELECT count(*) AS n FROM pg_stat_activity WHERE query LIKE '%pg_sleep%' AND state = 'active' AND pid <> pg_backend_pid()",
                )
              )[0]!.n,
            ) > 0,
          10_000,
          'the slow revision to start',
        );
      } finally {
        await e.close();
      }
    } else {
      await until(() => fs.existsSync(marker), 10_000, 'the slow revision to start');
    }
    const t0 = Date.now();
    const second = await ferry(dir, 'upgrade', '--url', db.url, '--no-backup', '--lock-timeout', '300');
    const waited = Date.now() - t0;
    assert.equal(second.status, 1, `${db.name}: ${second.stdout}${second.stderr}`);
    assert.match(second.stderr, /lock/);
    assert.match(second.stderr, /--lock-timeout/);
    assert.match(second.stderr, /300 ms/);
    assert.ok(waited < 2500, `${db.name}: gave up after about 300 ms, not when the holder finished (${waited} ms)`);
    const json = await ferry(dir, 'upgrade', '--url', db.url, '--no-backup', '--lock-timeout', '100', '--json');
    assert.equal(json.status, 1, `${db.name}: ${json.stdout}${json.stderr}`);
    assert.equal((JSON.parse(json.stdout) as JsonError).error.code, 'LOCKED');
    assert.equal(await holderDone, 0, `${db.name}: the holder completes: ${holderErr}`);
    const e = await connect(db.url);
    try {
      const rows = await e.query<{ revision: string; direction: string }>('SELECT revision, direction FROM ferry_history ORDER BY seq');
      assert.deepEqual(
        rows.map((r) => `${r.revision} ${r.direction}`),
        ['a10c00000001 up'],
        `${db.name}: applied once, by the holder`,
      );
      assert.ok((await e.introspect()).tables.some((x) => x.name === 'slow'));
    } finally {
      await e.close();
    }
  }
}
