/**
 * PostgreSQL backups on the real server: pg_dump sets with digests taken in the dump's snapshot,
 * checked by a test restore, restored into a new database or over one (undoable), pruned; and the
 * tools' failures (missing, too old) said plainly, never with a password.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, roleOf } from '../../src/engines/registry.js';
import { choosePrune, isoWeek } from '../../src/backup/prune-backups.js';
import type { BackupManifest } from '../../src/backup/manifest.js';
import { ferry, ferryWithEnv, type CliResult } from '../support/cli.js';
import { freshPostgresDatabase } from '../support/postgres.js';
import { tempDir } from '../support/sqlite-fixtures.js';

const FILL = `CREATE TABLE items (id bigint PRIMARY KEY, name text, price numeric(10,2), at timestamptz DEFAULT '2026-01-02 03:04:05+00', tags jsonb);
  INSERT INTO items SELECT g, 'item ' || g, g / 7.0, '2026-01-02 03:04:05+00', jsonb_build_object('g', g) FROM generate_series(1, 3000) g;
  CREATE TABLE notes (body text); INSERT INTO notes VALUES ('naïve café'), (NULL), ('tab\there');`;

interface SetRow {
  id: string;
  reason: string;
  problems?: { file: string; problem: string }[];
}

function sets(r: CliResult): SetRow[] {
  return (JSON.parse(r.stdout) as { sets: SetRow[] }).sets;
}

/** A second database on the same server, for restores. */
function sibling(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function databaseExists(url: string, name: string): Promise<boolean> {
  const admin = await connect(sibling(url, 'postgres'));
  try {
    return (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).length > 0;
  } finally {
    await admin.close();
  }
}

async function dropDatabase(url: string, name: string): Promise<void> {
  const admin = await connect(sibling(url, 'postgres'));
  try {
    await admin.exec(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.close();
  }
}

test(
  'backup, check and restore round trip: the restored database verifies equal by content; --replace is undone from its own set',
  { timeout: 120_000 },
  async (t) => {
    const pg = await freshPostgresDatabase(t);
    if (!pg) return;
    const dir = tempDir('pg-backup');
    const db = await connect(pg.url);
    const copyName = `${new URL(pg.url).pathname.slice(1)}_restored`;
    const copyUrl = sibling(pg.url, copyName);
    try {
      await db.exec(FILL);
      const made = await ferry(dir, 'backup', pg.url, '--dir', 'sets', '--json');
      assert.equal(made.status, 0, made.stderr);
      const manifest = (JSON.parse(made.stdout) as { manifest: BackupManifest }).manifest;
      const entry = manifest.files[0]!;
      assert.equal(entry.method, 'dump');
      assert.match(entry.tool!, /^pg_dump \d+/);
      assert.deepEqual(entry.tables, { items: 3000, notes: 3 });
      assert.match(entry.digests!.items!, /^3000:[0-9a-f]+$/);

      const checked = await ferry(dir, 'backups', '--dir', 'sets', '--check', '--url', pg.url, '--json');
      assert.equal(checked.status, 0, checked.stdout + checked.stderr);
      assert.deepEqual(sets(checked)[0]!.problems, []);

      await dropDatabase(pg.url, copyName);
      const restored = await ferry(dir, 'restore', '--dir', 'sets', '--to', copyUrl);
      assert.equal(restored.status, 0, restored.stderr);
      const verify = await ferry(dir, 'verify', pg.url, copyUrl);
      assert.equal(verify.status, 0, verify.stdout + verify.stderr);

      // Over a database that holds tables: refused without --replace, nothing changed.
      const copy = await connect(copyUrl);
      try {
        await copy.exec(`DELETE FROM items WHERE id <= 100; INSERT INTO notes VALUES ('only in the copy')`);
        // Objects the dump does not hold: a replace leaves exactly what the dump holds, and its undo brings them back.
        await copy.exec(`CREATE TABLE extra (id int); CREATE VIEW extra_view AS SELECT id FROM extra; CREATE SCHEMA side; CREATE TABLE side.t (id int);
          CREATE TYPE mood AS ENUM ('calm'); CREATE FUNCTION answer() RETURNS int LANGUAGE sql AS 'SELECT 42'`);
        const appTables = async () =>
          (
            await copy.query<{ t: string }>(
              `SELECT table_schema || '.' || table_name AS t FROM information_schema.tables WHERE table_schema IN ('public', 'side') ORDER BY 1`,
            )
          ).map((r) => r.t);
        const withExtras = await appTables();
        const refused = await ferry(dir, 'restore', '--dir', 'sets', '--to', copyUrl);
        assert.equal(refused.status, 1);
        assert.match(refused.stderr, /already holds tables; nothing was restored/);
        assert.deepEqual(await copy.query(`SELECT count(*)::int AS n FROM items`), [{ n: 2900 }]);
        const replaced = await ferry(dir, 'restore', '--dir', 'sets', '--to', copyUrl, '--replace', '--json');
        assert.equal(replaced.status, 0, replaced.stderr);
        const before = (JSON.parse(replaced.stdout) as { before: string }).before;
        assert.deepEqual(await copy.query(`SELECT count(*)::int AS n FROM items`), [{ n: 3000 }]);
        assert.deepEqual(
          (await appTables()).filter((t) => !t.startsWith('public.ferry_')),
          ['public.items', 'public.notes'],
        );
        assert.deepEqual(await copy.query(`SELECT to_regtype('mood') IS NULL AS gone, to_regprocedure('answer()') IS NULL AS fn_gone`), [
          { gone: true, fn_gone: true },
        ]);
        // Undone from the set it took first.
        const undo = await ferry(dir, 'restore', before, '--dir', 'sets', '--to', copyUrl, '--replace');
        assert.equal(undo.status, 0, undo.stderr);
        assert.deepEqual(await copy.query(`SELECT count(*)::int AS n FROM items`), [{ n: 2900 }]);
        assert.deepEqual(await copy.query(`SELECT count(*)::int AS n FROM notes WHERE body = 'only in the copy'`), [{ n: 1 }]);
        assert.deepEqual(await appTables(), withExtras);
        assert.deepEqual(await copy.query(`SELECT answer() AS a`), [{ a: 42 }]);
      } finally {
        await copy.close();
      }
    } finally {
      await db.close();
      await dropDatabase(pg.url, copyName);
    }
  },
);

test(
  '--check finds a corrupted dump, and a dump that does not hold what its manifest says; such a set is damaged and never latest',
  { timeout: 120_000 },
  async (t) => {
    const pg = await freshPostgresDatabase(t);
    if (!pg) return;
    const dir = tempDir('pg-backup-check');
    const db = await connect(pg.url);
    try {
      await db.exec(FILL);
      assert.equal((await ferry(dir, 'backup', pg.url, '--dir', 'sets')).status, 0);
      await new Promise((r) => setTimeout(r, 1100));
      // The table changes after the first dump; a second dump holds the change.
      await db.exec(`UPDATE items SET name = 'changed' WHERE id = 7`);
      assert.equal((await ferry(dir, 'backup', pg.url, '--dir', 'sets')).status, 0);
      const [newer, older] = sets(await ferry(dir, 'backups', '--dir', 'sets', '--json'));
      const olderDir = path.join(dir, 'sets', older!.id);
      const dumpName = fs.readdirSync(olderDir).find((f) => f.endsWith('.dump'))!;
      // The older set's dump is replaced by the newer one, and its recorded SHA-256 made to match: only the
      // content digests can tell.
      fs.copyFileSync(path.join(dir, 'sets', newer!.id, dumpName), path.join(olderDir, dumpName));
      const manifestFile = path.join(olderDir, 'manifest.json');
      const m = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as BackupManifest;
      m.files[0]!.sha256 = (JSON.parse(fs.readFileSync(path.join(dir, 'sets', newer!.id, 'manifest.json'), 'utf8')) as BackupManifest).files[0]!.sha256;
      fs.writeFileSync(manifestFile, JSON.stringify(m));
      // The newer set's dump is damaged in its middle.
      const newerDump = path.join(dir, 'sets', newer!.id, dumpName);
      const bytes = fs.readFileSync(newerDump);
      bytes.fill(0x55, Math.floor(bytes.length / 3), Math.floor(bytes.length / 3) + 64);
      fs.writeFileSync(newerDump, bytes);

      // Restored over a database that holds tables, the tampered set gives other content than its manifest lists:
      // the restore fails and the database gets back what it held, from the set taken first.
      const targetName = `${pg.name}_target`;
      await dropDatabase(pg.url, targetName);
      const admin = await connect(sibling(pg.url, 'postgres'));
      await admin.exec(`CREATE DATABASE "${targetName}"`).finally(() => admin.close());
      const target = await connect(sibling(pg.url, targetName));
      try {
        await target.exec(`CREATE TABLE other (id int PRIMARY KEY); INSERT INTO other VALUES (1), (2)`);
        const bad = await ferry(dir, 'restore', older!.id, '--dir', 'sets', '--to', sibling(pg.url, targetName), '--replace');
        assert.equal(bad.status, 1, bad.stdout + bad.stderr);
        assert.match(
          bad.stderr,
          /does not hold what the manifest of .* lists after the restore: table items.* The previous content was put back; the set \d{8}_\d{6}\S* holds it/,
        );
        const tables = await target.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`);
        assert.deepEqual(
          tables.map((r) => r.table_name),
          ['other'],
        );
        assert.deepEqual(await target.query('SELECT id FROM other ORDER BY id'), [{ id: 1 }, { id: 2 }]);
        // The set that holds the target's previous content is not part of what follows.
        fs.rmSync(path.join(dir, 'sets', /the set (\S+) holds it/.exec(bad.stderr)![1]!), { recursive: true });
      } finally {
        await target.close();
        await dropDatabase(pg.url, targetName);
      }

      const checked = await ferry(dir, 'backups', '--dir', 'sets', '--check', '--url', pg.url, '--json');
      assert.equal(checked.status, 1);
      const [n, o] = sets(checked);
      assert.match(n!.problems![0]!.problem, /SHA-256 differs from the manifest/);
      assert.deepEqual(
        o!.problems!.map((p) => p.problem),
        ["table items: its content differs from the manifest's digest"],
      );
      // Both failed their check: listed as damaged, and neither is picked as latest.
      const listed = await ferry(dir, 'backups', '--dir', 'sets');
      assert.equal((listed.stdout.match(/damaged: check\.json: failed its check/g) ?? []).length, 2, listed.stdout);
      const restore = await ferry(dir, 'restore', '--dir', 'sets', '--to', sibling(pg.url, `${pg.name}_never_made`));
      assert.equal(restore.status, 1);
      assert.match(restore.stderr, /No usable backup sets in .*every set there is damaged/);
      // Named by id, a damaged set is refused with the reason, and nothing is made.
      const named = await ferry(dir, 'restore', older!.id, '--dir', 'sets', '--to', sibling(pg.url, `${pg.name}_never_made`));
      assert.equal(named.status, 1);
      assert.match(named.stderr, new RegExp(`backup set ${older!.id} is damaged \\(failed its check at .*its content differs`));
      assert.equal((await ferry(dir, 'restore', older!.id, '--dir', 'sets', '--to', sibling(pg.url, `${pg.name}_never_made`), '--dry-run')).status, 1);
      assert.equal(await databaseExists(pg.url, `${pg.name}_never_made`), false, 'no database was created');
    } finally {
      await db.close();
    }
  },
);

test('ferry upgrade --backup dumps and checks first; a mixed set holds a SQLite file and a dump', { timeout: 120_000 }, async (t) => {
  const pg = await freshPostgresDatabase(t);
  if (!pg) return;
  const dir = tempDir('pg-upgrade-backup');
  fs.mkdirSync(path.join(dir, 'migrations'));
  fs.writeFileSync(
    path.join(dir, 'migrations', '000000000001_a.sql'),
    '-- ferry:revision 000000000001\n-- ferry:message a\n-- ferry:up\nCREATE TABLE a (id int);\n',
  );
  const up = await ferry(dir, 'upgrade', '--url', pg.url, '--backup');
  assert.equal(up.status, 0, up.stderr);
  assert.match(up.stderr, /backed up to .*backup/);
  const [set] = sets(await ferry(dir, 'backups', '--json'));
  assert.equal(set!.reason, 'ferry upgrade');
  const check = JSON.parse(fs.readFileSync(path.join(dir, 'backup', set!.id, 'check.json'), 'utf8')) as { ok: boolean };
  assert.equal(check.ok, true, 'the dump was checked by a test restore before the run');

  const file = path.join(dir, 'app.db');
  const lite = await connect(file);
  await lite.exec(`CREATE TABLE x (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO x VALUES (1, 'one')`);
  await lite.close();
  const mixed = await ferry(dir, 'backup', file, pg.url, '--dir', 'mixed', '--json');
  assert.equal(mixed.status, 0, mixed.stderr);
  const files = (JSON.parse(mixed.stdout) as { manifest: BackupManifest }).manifest.files;
  assert.deepEqual(
    files.map((f) => f.method),
    ['vacuum-into', 'dump'],
  );
  const listed = await ferry(dir, 'backups', '--dir', 'mixed', '--check', '--url', pg.url);
  assert.equal(listed.status, 0, listed.stdout + listed.stderr);
  assert.match(listed.stdout, /2 file\(s\).*intact/);
});

test('a missing or too old pg_dump is said plainly; no part of a password is printed, also when pg_dump fails', { timeout: 60_000 }, async (t) => {
  const pg = await freshPostgresDatabase(t);
  if (!pg) return;
  const dir = tempDir('pg-tools');
  const withPassword = pg.url.replace('postgres://postgres@', 'postgres://postgres:S3cretPassw0rd@');
  const missing = await ferryWithEnv(dir, { PATH: path.join(dir, 'no-such-bin') }, 'backup', withPassword);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /pg_dump is not installed \(or not on the PATH\)/);
  // A pg_dump that reports an old version, or fails printing what it was given.
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'pg_dump'), '#!/bin/sh\necho "pg_dump (PostgreSQL) 9.6.24"\n', { mode: 0o755 });
  const old = await ferryWithEnv(dir, { PATH: `${bin}:${process.env.PATH}` }, 'backup', withPassword);
  assert.equal(old.status, 1);
  assert.match(old.stderr, /pg_dump is version 9\.6, older than the server \(\d+\)/);
  fs.writeFileSync(
    path.join(bin, 'pg_dump'),
    '#!/bin/sh\nif [ "$1" = "--version" ]; then echo "pg_dump (PostgreSQL) 99.0"; exit 0; fi\necho "pg_dump: error: connection failed: password \\"$PGPASSWORD\\" for postgres://postgres:$PGPASSWORD@db" >&2\nexit 1\n',
    { mode: 0o755 },
  );
  const failed = await ferryWithEnv(dir, { PATH: `${bin}:${process.env.PATH}` }, 'backup', withPassword, '--json');
  assert.equal(failed.status, 1);
  assert.match(failed.stdout, /pg_dump failed \(exit 1\)/);
  for (const out of [missing, old, failed]) assert.ok(!(out.stdout + out.stderr).includes('S3cret'), out.stdout + out.stderr);
  assert.deepEqual(
    fs.readdirSync(path.join(dir, 'backup')).filter((n) => !n.startsWith('.')),
    [],
    'no set is left by a failed dump',
  );
});

test('prune keeps the newest N, the newest of each day and week, and never the only set that passes its check', () => {
  const at = (id: string, iso: string) => ({ id, createdAt: iso });
  const all = [
    at('a', '2026-12-06T10:00:00Z'),
    at('b', '2026-12-06T08:00:00Z'),
    at('c', '2026-12-05T09:00:00Z'),
    at('d', '2026-12-04T09:00:00Z'),
    at('e', '2026-11-28T09:00:00Z'),
    at('f', '2026-11-20T09:00:00Z'),
  ];
  const passing = new Set(all.map((s) => s.id));
  const kept = (policy: Parameters<typeof choosePrune>[1], ok = passing) =>
    choosePrune(all, policy, ok)
      .filter((d) => d.keptFor.length)
      .map((d) => `${d.id}:${d.keptFor.join('+')}`);
  assert.deepEqual(kept({ keepLast: 2 }), ['a:last 1', 'b:last 2']);
  assert.deepEqual(kept({ keepDaily: 3 }), ['a:daily 2026-12-06', 'c:daily 2026-12-05', 'd:daily 2026-12-04']);
  assert.deepEqual(kept({ keepLast: 1, keepWeekly: 3 }), ['a:last 1+weekly 2026-W49', 'e:weekly 2026-W48', 'f:weekly 2026-W47']);
  // Only "d" passes its check: the policy would keep none of it, so it stays anyway, and damaged sets count for nothing.
  assert.deepEqual(kept({ keepLast: 2 }, new Set(['d'])), ['d:last 1']);
  assert.deepEqual(kept({ keepLast: 0 }, new Set(['d'])), ['d:the newest set that passes its check']);
  assert.equal(isoWeek('2027-01-01T00:00:00Z'), '2026-W53');
  assert.equal(isoWeek('2026-12-28T00:00:00Z'), '2026-W53');
});

test('ferry backups prune on disk: --dry-run removes nothing; a damaged set is not counted as kept', { timeout: 60_000 }, async () => {
  const dir = tempDir('prune');
  const file = path.join(dir, 'app.db');
  const lite = await connect(file);
  await lite.exec(`CREATE TABLE x (id INTEGER PRIMARY KEY)`);
  await lite.close();
  for (let i = 0; i < 3; i++) assert.equal((await ferry(dir, 'backup', file)).status, 0);
  const ids = sets(await ferry(dir, 'backups', '--json')).map((s) => s.id);
  assert.equal(ids.length, 3);
  // The newest set is damaged: keep-last 1 keeps the newest set that checks out instead.
  fs.writeFileSync(path.join(dir, 'backup', ids[0]!, 'app.db'), 'not a database any more');
  const dry = await ferry(dir, 'backups', 'prune', '--keep-last', '1', '--dry-run', '--json');
  assert.equal(dry.status, 0, dry.stderr);
  assert.deepEqual((JSON.parse(dry.stdout) as { removed: string[] }).removed, [ids[0], ids[2]]);
  assert.equal(sets(await ferry(dir, 'backups', '--json')).length, 3, '--dry-run removed nothing');
  const real = await ferry(dir, 'backups', 'prune', '--keep-last', '1');
  assert.equal(real.status, 0, real.stderr);
  assert.deepEqual(
    sets(await ferry(dir, 'backups', '--json')).map((s) => s.id),
    [ids[1]],
  );
  const none = await ferry(dir, 'backups', 'prune');
  assert.equal(none.status, 2);
  assert.match(none.stderr, /Say what to keep/);
});

test("a backup taken while the app writes: the digests read the dump's own snapshot, so the check passes", { timeout: 120_000 }, async (t) => {
  const pg = await freshPostgresDatabase(t);
  if (!pg) return;
  const dir = tempDir('pg-backup-busy');
  const db = await connect(pg.url);
  try {
    await db.exec(`CREATE TABLE busy (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, v text);
      INSERT INTO busy (v) SELECT repeat('x', 50) || g FROM generate_series(1, 400000) g;`);
    // The app inserts in a second process all through the backup.
    const writer = spawn(
      process.execPath,
      [
        path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'support', 'sql-writer.js'),
        pg.url,
        '4000',
        `INSERT INTO busy (v) SELECT 'w' || $1::int || '-' || g FROM generate_series(1, 200) g`,
      ],
      {
        stdio: 'ignore',
      },
    );
    const exited = new Promise((r) => writer.on('exit', r));
    await new Promise((r) => setTimeout(r, 300));
    const made = await ferry(dir, 'backup', pg.url, '--dir', 'sets');
    await exited;
    assert.equal(made.status, 0, made.stderr);
    const [{ n }] = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM busy`)) as [{ n: number }];
    assert.ok(n > 400000, 'the app wrote during the backup');
    const checked = await ferry(dir, 'backups', '--dir', 'sets', '--check', '--url', pg.url, '--json');
    assert.equal(checked.status, 0, checked.stdout + checked.stderr);
    assert.deepEqual(sets(checked)[0]!.problems, []);
  } finally {
    await db.close();
  }
});

test('a replace changes nothing when the dump cannot be read to its end, or when a statement fails; the error says why', { timeout: 120_000 }, async (t) => {
  const pg = await freshPostgresDatabase(t);
  if (!pg) return;
  const dir = tempDir('pg-replace-fails');
  const role = roleOf('postgres', 'serverBackup');
  const source = await connect(pg.url);
  try {
    await source.exec(
      `CREATE TABLE big (id int PRIMARY KEY, body text); INSERT INTO big SELECT g, md5(g::text) || repeat('x', 200) FROM generate_series(1, 20000) g;`,
    );
  } finally {
    await source.close();
  }
  const dumpFile = path.join(dir, 'whole.dump');
  await role.dump(pg.url, dumpFile);
  const cut = path.join(dir, 'cut.dump');
  const bytes = fs.readFileSync(dumpFile);
  fs.writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));

  const targetName = `${pg.name}_replaced`;
  const admin = await connect(sibling(pg.url, 'postgres'));
  const nonOwner = `${pg.name}_nonowner`;
  try {
    await admin.exec(`CREATE DATABASE "${targetName}"`);
    await admin.exec(`CREATE ROLE "${nonOwner}" LOGIN`);
  } finally {
    await admin.close();
  }
  const targetUrl = sibling(pg.url, targetName);
  const target = await connect(targetUrl);
  const tablesNow = async () =>
    (await target.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)).map((r) => r.t);
  try {
    await target.exec(`CREATE TABLE keep (id int); INSERT INTO keep VALUES (1), (2), (3); GRANT CONNECT ON DATABASE "${targetName}" TO "${nonOwner}"`);
    // A truncated dump: pg_restore fails part way through its script, so no COMMIT is sent and the server rolls back.
    await assert.rejects(role.restore(cut, targetUrl, { replace: true }), (e: Error) => {
      assert.match(e.message, /^pg_restore failed \(exit \d+\), so the database was left as it was: .*error/);
      return true;
    });
    assert.deepEqual(await tablesNow(), ['keep']);
    assert.deepEqual(await target.query(`SELECT count(*)::int AS n FROM keep`), [{ n: 3 }]);
    // A role that may not drop the table: psql stops at that statement (and pg_restore, with more to write, is ended, not left blocked).
    const asNonOwner = new URL(targetUrl);
    asNonOwner.username = nonOwner;
    await assert.rejects(role.restore(dumpFile, asNonOwner.toString(), { replace: true }), (e: Error) => {
      assert.match(e.message, /^psql failed \(exit 3\), so the database was left as it was: .*ERROR: +must be owner of table keep/);
      return true;
    });
    assert.deepEqual(await tablesNow(), ['keep']);
    // The whole dump as the owner: exactly what it holds.
    await role.restore(dumpFile, targetUrl, { replace: true });
    assert.deepEqual(await tablesNow(), ['big']);
  } finally {
    await target.close();
    await dropDatabase(pg.url, targetName);
    const cleanup = await connect(sibling(pg.url, 'postgres'));
    await cleanup.exec(`DROP ROLE IF EXISTS "${nonOwner}"`).finally(() => cleanup.close());
  }
});
