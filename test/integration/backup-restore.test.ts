/**
 * `ferry backup`, `ferry backups` and `ferry restore` end to end, through the real CLI in a child
 * process, on real SQLite files in fresh temporary folders: a WAL database whose newest rows are
 * only in its -wal file (the state a `cp *.db` backup loses) and a rollback-journal database.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ferry, sha256, type CliResult } from '../support/cli.js';
import { tempDir } from '../support/sqlite-fixtures.js';
import type { BackupManifest } from '../../src/backup/manifest.js';
import Database from 'better-sqlite3';
import { writeRowsOnlyInWal } from '../../src/demo/legacy-estate.js';

const INT64_MIN = -9223372036854775808n;
const INT64_MAX = 9223372036854775807n;
const SET_NAME = /^\d{8}_\d{6}$/;
const WAL_ROWS = 6;

// ---------------------------------------------------------------------------------------------
// Fixture
// ---------------------------------------------------------------------------------------------

interface Fixture {
  dir: string;
  /** WAL mode; its last WAL_ROWS rows are only in a.db-wal. */
  a: string;
  /** Rollback journal. */
  b: string;
  /** Folder for backup sets (not created yet). */
  backups: string;
}

/**
 * a.db: `items` with int64 extremes, a zero-length blob, a blob with zero bytes, awkward text,
 * then WAL_ROWS rows written by a process that was killed, so they are only in a.db-wal.
 * b.db: `notes` with a rowid-less table too, rollback journal.
 */
function fixture(): Fixture {
  const dir = tempDir('backup-test');
  const a = path.join(dir, 'a.db');
  const b = path.join(dir, 'b.db');

  const da = new Database(a);
  da.pragma('journal_mode = WAL');
  da.defaultSafeIntegers(true);
  da.exec(`CREATE TABLE items (id INTEGER PRIMARY KEY, big INTEGER, payload BLOB, label TEXT, score REAL)`);
  const ins = da.prepare('INSERT INTO items (id, big, payload, label, score) VALUES (?, ?, ?, ?, ?)');
  da.transaction(() => {
    ins.run(1n, INT64_MIN, Buffer.alloc(0), 'int64 min, empty blob', 0.1);
    ins.run(2n, INT64_MAX, Buffer.from([0, 0, 0]), 'int64 max, zero bytes', 1 / 3);
    ins.run(3n, null, null, '', 5e-324);
    ins.run(4n, -1n, Buffer.from([0xff, 0x00, 0x7f]), 'naïve 😀 "quote\'s"\n', -2.5e-300);
    for (let i = 5; i <= 80; i++) ins.run(BigInt(i), BigInt(i) * 1_000_000_007n, Buffer.from([i & 0xff, 0]), `row ${i}`, i / 7);
  })();
  da.close();
  writeRowsOnlyInWal(a, "INSERT INTO items (big, label) VALUES (? * 3, 'wal-only ' || ?)", WAL_ROWS);

  const db = new Database(b);
  db.exec(`CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);
           CREATE TABLE tags (name TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID;`);
  const insN = db.prepare('INSERT INTO notes (body) VALUES (?)');
  const insT = db.prepare('INSERT INTO tags VALUES (?, ?)');
  db.transaction(() => {
    for (let i = 0; i < 40; i++) insN.run(`note ${i}`);
    for (let i = 0; i < 10; i++) insT.run(`tag-${i}`, i);
  })();
  db.close();
  return { dir, a, b, backups: path.join(dir, 'backups') };
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** Runs the CLI and expects exit 0. */
async function ok(cwd: string, ...args: string[]): Promise<CliResult> {
  const r = await ferry(cwd, ...args);
  assert.equal(r.status, 0, `ferry ${args.join(' ')} should succeed\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

/** SHA-256 of a database file and its -wal (null when there is none). */
function fileState(file: string): { db: string; wal: string | null } {
  return { db: sha256(file), wal: fs.existsSync(`${file}-wal`) ? sha256(`${file}-wal`) : null };
}

/** Every row of every table (ordered by key), with each value's storage class; int64 exact. */
function dump(file: string): Record<string, unknown[]> {
  const db = new Database(file, { readonly: true });
  db.defaultSafeIntegers(true);
  try {
    const out: Record<string, unknown[]> = {};
    const tables = db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).pluck().all() as string[];
    for (const t of tables) {
      const cols = (db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(t) as string[]).map((c) => `"${c}"`);
      const types = cols.map((c) => `typeof(${c})`);
      out[t] = db
        .prepare(`SELECT ${[...cols, ...types].join(', ')} FROM "${t}" ORDER BY 1`)
        .raw(true)
        .all();
    }
    return out;
  } finally {
    db.close();
  }
}

function counts(file: string): Record<string, number> {
  return Object.fromEntries(Object.entries(dump(file)).map(([t, rows]) => [t, rows.length]));
}

/** Changes one byte in the middle of a file. */
function flipByte(file: string): void {
  const buf = fs.readFileSync(file);
  const at = Math.floor(buf.length / 2) + 3;
  buf[at] = buf[at]! ^ 0x5a;
  fs.writeFileSync(file, buf);
}

/** The one set folder in `dir`. */
function onlySet(dir: string): string {
  const sets = fs.readdirSync(dir).filter((n) => !n.startsWith('.'));
  assert.equal(sets.length, 1, `one backup set expected in ${dir}: ${sets.join(', ')}`);
  return path.join(dir, sets[0]!);
}

function manifestOf(set: string): BackupManifest {
  return JSON.parse(fs.readFileSync(path.join(set, 'manifest.json'), 'utf8')) as BackupManifest;
}

function leftovers(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => n.includes('before-restore') || n.includes('ferry-restore'));
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

describe('ferry backup / backups / restore', { concurrency: 4 }, () => {
  test('backup a.db b.db --dir X: a timestamped set with both files and a true manifest, rows from the -wal included, sources untouched', async () => {
    const fx = fixture();
    assert.ok(fs.statSync(`${fx.a}-wal`).size > 0, 'a.db-wal holds rows before the backup');
    const expected = counts(fx.a);
    assert.equal(expected.items, 80 + WAL_ROWS, 'a reader sees the rows that are only in the -wal');
    const aBefore = fileState(fx.a);
    const bBefore = fileState(fx.b);
    const started = new Date();

    const r = await ok(fx.dir, 'backup', 'a.db', 'b.db', '--dir', 'backups');

    const set = onlySet(fx.backups);
    const id = path.basename(set);
    assert.match(id, SET_NAME);
    assert.ok(r.stdout.includes(id), `the output names the set: ${r.stdout}`);
    // The folder name is the local time of the backup (YYYYMMDD_HHMMSS).
    const p = (n: number) => String(n).padStart(2, '0');
    const local = (d: Date) => `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}_${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
    assert.ok(id >= local(new Date(started.getTime() - 1000)) && id <= local(new Date()), `${id} is the time of the backup (${local(started)})`);
    assert.deepEqual(fs.readdirSync(set).sort(), ['a.db', 'b.db', 'manifest.json'], 'only the copies and the manifest (no -wal, no partial files)');

    const m = manifestOf(set);
    assert.equal(m.reason, 'manual');
    assert.ok(Math.abs(Date.parse(m.createdAt) - Date.now()) < 60_000, `createdAt is now: ${m.createdAt}`);
    assert.deepEqual(
      m.files.map((f) => f.name),
      ['a.db', 'b.db'],
    );
    for (const [f, src] of [
      [m.files[0]!, fx.a],
      [m.files[1]!, fx.b],
    ] as const) {
      const copy = path.join(set, f.name);
      assert.equal(f.source, src, 'source is the absolute path of the backed-up file');
      assert.ok(path.isAbsolute(f.source));
      assert.equal(f.size, fs.statSync(copy).size);
      assert.equal(f.sha256, sha256(copy), `sha256 of ${f.name} matches the file in the set`);
      assert.deepEqual(f.tables, counts(copy), `row counts of ${f.name} match the copy`);
      assert.equal(f.integrity, 'ok');
      assert.equal(f.method, 'vacuum-into');
    }
    assert.deepEqual(m.files[0]!.tables, { items: 80 + WAL_ROWS });
    assert.deepEqual(m.files[1]!.tables, { notes: 40, tags: 10 });

    // The copy holds the rows that were only in the -wal file, and is complete without it.
    const copyA = path.join(set, 'a.db');
    const copyDb = new Database(copyA, { readonly: true });
    assert.equal(copyDb.prepare(`SELECT count(*) FROM items WHERE label LIKE 'wal-only %'`).pluck().get(), WAL_ROWS);
    copyDb.close();
    assert.deepEqual(dump(copyA), dump(fx.a), 'the copy of a.db has exactly the content a reader of a.db (+ -wal) sees');
    assert.deepEqual(dump(path.join(set, 'b.db')), dump(fx.b));

    // The sources are byte-identical, -wal included (nothing checkpointed it into a.db).
    assert.deepEqual(fileState(fx.a), aBefore);
    assert.deepEqual(fileState(fx.b), bBefore);
    assert.ok(fs.statSync(`${fx.a}-wal`).size > 0);
  });

  test('backups --json lists sets newest first; --check reports intact, then names a damaged file (exit 1)', async () => {
    const fx = fixture();
    await ok(fx.dir, 'backup', 'a.db', '--dir', 'backups');
    await ok(fx.dir, 'backup', 'b.db', '--dir', 'backups');
    await ok(fx.dir, 'backup', 'a.db', 'b.db', '--dir', 'backups');

    const list = JSON.parse((await ok(fx.dir, 'backups', '--dir', 'backups', '--json')).stdout) as {
      ok: boolean;
      dir: string;
      sets: { id: string; path: string; createdAt: string; reason: string; files: { name: string; source: string; rows: number }[]; problems?: unknown[] }[];
    };
    assert.equal(list.dir, fx.backups);
    assert.equal(list.sets.length, 3);
    assert.deepEqual(
      list.sets.map((s) => s.files.map((f) => f.name).join('+')),
      ['a.db+b.db', 'b.db', 'a.db'],
      'newest first',
    );
    const times = list.sets.map((s) => Date.parse(s.createdAt));
    assert.deepEqual(
      [...times].sort((x, y) => y - x),
      times,
      'createdAt descending',
    );
    assert.equal(new Set(list.sets.map((s) => s.id)).size, 3, 'each set has its own folder, even within one second');
    for (const s of list.sets) {
      assert.match(s.id, /^\d{8}_\d{6}(_\d+)?$/);
      assert.equal(s.reason, 'manual');
      assert.equal(s.problems, undefined, 'no check without --check');
    }
    assert.equal(list.sets[0]!.files.find((f) => f.name === 'a.db')!.rows, 80 + WAL_ROWS);
    assert.equal(list.sets[0]!.files.find((f) => f.name === 'b.db')!.source, fx.b);

    const checked = JSON.parse((await ok(fx.dir, 'backups', '--dir', 'backups', '--check', '--json')).stdout) as typeof list;
    assert.equal(checked.ok, true);
    for (const s of checked.sets) assert.deepEqual(s.problems, [], `${s.id} is intact`);
    const text = await ok(fx.dir, 'backups', '--dir', 'backups', '--check');
    assert.equal(text.stdout.split('\n').filter((l) => /intact/.test(l)).length, 3, text.stdout);

    // Damage b.db in the newest set: one byte.
    const damagedSet = list.sets[0]!;
    flipByte(path.join(damagedSet.path, 'b.db'));

    const bad = await ferry(fx.dir, 'backups', '--dir', 'backups', '--check');
    assert.equal(bad.status, 1, `a damaged set makes --check exit 1\n${bad.stdout}${bad.stderr}`);
    const badLine = bad.stdout.split('\n').find((l) => l.includes(damagedSet.id));
    assert.ok(badLine && /damaged/.test(badLine) && badLine.includes('b.db'), `the damaged set's line names b.db: ${bad.stdout}`);
    assert.equal(bad.stdout.split('\n').filter((l) => /intact/.test(l)).length, 2, 'the other two sets are still intact');

    const badJson = await ferry(fx.dir, 'backups', '--dir', 'backups', '--check', '--json');
    assert.equal(badJson.status, 1);
    const doc = JSON.parse(badJson.stdout) as { ok: boolean; sets: { id: string; problems: { file: string; problem: string }[] }[] };
    assert.equal(doc.ok, false);
    const problems = doc.sets.find((s) => s.id === damagedSet.id)!.problems;
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.file, 'b.db');
    assert.match(problems[0]!.problem, /SHA-256/);
    for (const s of doc.sets.filter((x) => x.id !== damagedSet.id)) assert.deepEqual(s.problems, []);
  });

  test('backups --check with one damaged manifest.json still lists the other sets and names the damaged one (exit 1)', async () => {
    const fx = fixture();
    await ok(fx.dir, 'backup', 'b.db', '--dir', 'backups');
    await ok(fx.dir, 'backup', 'a.db', '--dir', 'backups');
    const sets = fs.readdirSync(fx.backups).sort();
    assert.equal(sets.length, 2);
    const older = sets[0]!;
    const newer = sets[1]!;
    const manifest = path.join(fx.backups, older, 'manifest.json');
    fs.writeFileSync(manifest, fs.readFileSync(manifest, 'utf8').replace('"format"', '"format'));

    const r = await ferry(fx.dir, 'backups', '--dir', 'backups', '--check');
    assert.equal(r.status, 1, `a damaged set makes --check exit 1\n${r.stdout}${r.stderr}`);
    assert.doesNotMatch(r.stderr, /^\s+at\s.*:\d+:\d+/m, 'no stack trace');
    assert.ok(`${r.stdout}${r.stderr}`.includes(older), `the damaged set ${older} is named:\n${r.stdout}${r.stderr}`);
    const newerLine = r.stdout.split('\n').find((l) => l.includes(newer));
    assert.ok(newerLine && /intact/.test(newerLine), `the intact set ${newer} is still listed as intact:\n${r.stdout}${r.stderr}`);
  });

  test('restore (latest) works from the intact newest set when an older set has a damaged manifest.json', async () => {
    const fx = fixture();
    await ok(fx.dir, 'backup', 'a.db', '--dir', 'backups');
    await ok(fx.dir, 'backup', 'a.db', '--dir', 'backups');
    const sets = fs.readdirSync(fx.backups).sort();
    const manifest = path.join(fx.backups, sets[0]!, 'manifest.json');
    fs.writeFileSync(manifest, '{ "format": "ferry-backup/1", "files": [');
    const want = dump(path.join(fx.backups, sets[1]!, 'a.db'));
    const da = new Database(fx.a);
    da.exec('DELETE FROM items');
    da.close();

    const r = await ferry(fx.dir, 'restore', '--dir', 'backups');
    assert.equal(r.status, 0, `restoring the newest, intact set should not depend on an older set's manifest\n${r.stdout}${r.stderr}`);
    assert.deepEqual(dump(fx.a), want);
  });

  test('restore --dir X (latest) puts every file back exactly, and leaves no aside copy behind', async () => {
    const fx = fixture();
    await ok(fx.dir, 'backup', 'a.db', 'b.db', '--dir', 'backups');
    const set = onlySet(fx.backups);
    const wantA = dump(path.join(set, 'a.db'));
    const wantB = dump(path.join(set, 'b.db'));

    // Change the sources: delete rows (including the extremes), add rows, change values.
    const da = new Database(fx.a);
    da.exec(
      `DELETE FROM items WHERE id IN (1, 2) OR id > 70; INSERT INTO items (big, label) VALUES (7, 'added later'); UPDATE items SET payload = x'01' WHERE id = 3;`,
    );
    da.close();
    const db = new Database(fx.b);
    db.exec(`DELETE FROM notes WHERE id % 2 = 0; INSERT INTO notes (body) VALUES ('new'); DROP TABLE tags; CREATE TABLE extra (x);`);
    db.close();
    assert.notDeepEqual(dump(fx.a), wantA);
    assert.notDeepEqual(dump(fx.b), wantB);

    const r = await ok(fx.dir, 'restore', '--dir', 'backups');
    assert.match(r.stdout, /Restored a\.db/);
    assert.match(r.stdout, /Restored b\.db/);

    assert.deepEqual(dump(fx.a), wantA, 'a.db holds exactly the backup');
    assert.deepEqual(dump(fx.b), wantB, 'b.db holds exactly the backup (tables dropped since are back, tables added since are gone)');
    assert.deepEqual(counts(fx.a), manifestOf(set).files[0]!.tables);
    assert.deepEqual(counts(fx.b), manifestOf(set).files[1]!.tables);

    const check = new Database(fx.a, { readonly: true });
    check.defaultSafeIntegers(true);
    assert.equal(check.pragma('integrity_check', { simple: true }), 'ok');
    const row1 = check.prepare('SELECT big, payload, typeof(payload) AS t FROM items WHERE id = 1').get() as { big: bigint; payload: Buffer; t: string };
    assert.equal(row1.big, INT64_MIN);
    assert.equal(row1.t, 'blob', 'a zero-length blob stays a blob (not NULL, not text)');
    assert.equal(row1.payload.length, 0);
    const row2 = check.prepare('SELECT big, payload FROM items WHERE id = 2').get() as { big: bigint; payload: Buffer };
    assert.equal(row2.big, INT64_MAX);
    assert.deepEqual(row2.payload, Buffer.from([0, 0, 0]));
    assert.equal(
      check.prepare(`SELECT count(*) FROM items WHERE label LIKE 'wal-only %'`).pluck().get(),
      BigInt(WAL_ROWS),
      'rows that were only in the -wal at backup time are restored',
    );
    assert.equal(check.prepare(`SELECT count(*) FROM items WHERE label = 'added later'`).pluck().get(), 0n);
    check.close();

    assert.deepEqual(leftovers(fx.dir), [], 'no *.before-restore-* (or temporary restore) file is left after a successful restore');
  });

  test('restore --file a.db --to OTHER puts one file elsewhere and touches nothing else', async () => {
    const fx = fixture();
    await ok(fx.dir, 'backup', 'a.db', 'b.db', '--dir', 'backups');
    const set = onlySet(fx.backups);
    const da = new Database(fx.a);
    da.exec(`DELETE FROM items WHERE id > 10`);
    da.close();
    const aNow = fileState(fx.a);
    const bNow = fileState(fx.b);
    const other = path.join(tempDir('backup-test'), 'nested', 'other.db');

    const r = await ok(fx.dir, 'restore', '--dir', 'backups', '--file', 'a.db', '--to', other);
    assert.ok(r.stdout.includes(other), r.stdout);
    assert.deepEqual(dump(other), dump(path.join(set, 'a.db')), 'the other file holds the backup of a.db');
    assert.deepEqual(fileState(fx.a), aNow, 'a.db itself is not touched');
    assert.deepEqual(fileState(fx.b), bNow, 'b.db is not restored');
    assert.deepEqual(leftovers(path.dirname(other)), []);
    assert.deepEqual(
      fs.readdirSync(path.dirname(other)).filter((n) => !/-(wal|shm)$/.test(n)),
      ['other.db'],
    );
  });

  test('restore from a damaged set refuses with BACKUP_INVALID and leaves the current files unchanged', async () => {
    const fx = fixture();
    await ok(fx.dir, 'backup', 'a.db', 'b.db', '--dir', 'backups');
    const set = onlySet(fx.backups);
    // Current content differs from the backup, so a partial restore would show.
    writeRowsOnlyInWal(fx.a, "INSERT INTO items (big, label) VALUES (?, 'after backup ' || ?)", 3);
    const db = new Database(fx.b);
    db.exec(`INSERT INTO notes (body) VALUES ('after backup')`);
    db.close();
    const aNow = fileState(fx.a);
    const bNow = fileState(fx.b);
    const aRows = dump(fx.a);
    flipByte(path.join(set, 'a.db'));

    const r = await ferry(fx.dir, 'restore', '--dir', 'backups');
    assert.equal(r.status, 1, `exit 1 expected\n${r.stdout}${r.stderr}`);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('error:'));
    assert.equal(errors.length, 1, r.stderr);
    assert.ok(errors[0]!.includes('a.db') && /damaged/.test(errors[0]!), errors[0]);
    assert.match(r.stderr, /^hint:/m);
    assert.doesNotMatch(r.stderr, /^\s+at\s.*:\d+:\d+/m, 'no stack trace');

    const json = await ferry(fx.dir, 'restore', '--dir', 'backups', '--json');
    assert.equal(json.status, 1);
    const doc = JSON.parse(json.stdout) as { ok: boolean; error: { code: string; message: string } };
    assert.equal(doc.ok, false);
    assert.equal(doc.error.code, 'BACKUP_INVALID');

    assert.deepEqual(fileState(fx.a), aNow, 'a.db and its -wal are byte-identical');
    assert.deepEqual(fileState(fx.b), bNow, 'b.db (intact in the set) is not restored either');
    assert.deepEqual(dump(fx.a), aRows);
    assert.deepEqual(leftovers(fx.dir), []);
  });

  test('restore onto a WAL database with rows only in its -wal: the result is the backup, not a mix', async () => {
    const fx = fixture();
    await ok(fx.dir, 'backup', 'a.db', '--dir', 'backups');
    const set = onlySet(fx.backups);
    const want = dump(path.join(set, 'a.db'));

    // After the backup: deletes, updates and inserts, all left only in a.db-wal.
    writeRowsOnlyInWal(fx.a, 'DELETE FROM items WHERE id = ? + 1', 5);
    writeRowsOnlyInWal(fx.a, "UPDATE items SET label = 'changed', big = ? WHERE id = 40", 1);
    writeRowsOnlyInWal(fx.a, "INSERT INTO items (big, label) VALUES (?, 'after backup ' || ?)", 9);
    assert.ok(fs.statSync(`${fx.a}-wal`).size > 0, 'the destination has changes only in its -wal');
    const mixed = dump(fx.a);
    assert.notDeepEqual(mixed, want);
    assert.equal((mixed.items as unknown[]).length, 80 + WAL_ROWS - 5 + 9);

    await ok(fx.dir, 'restore', '--dir', 'backups');

    assert.deepEqual(dump(fx.a), want, 'a reader sees exactly the backup');
    // Checkpoint and reopen: no stale -wal frame may bring the old rows back.
    const rw = new Database(fx.a);
    assert.equal(rw.pragma('integrity_check', { simple: true }), 'ok');
    rw.pragma('wal_checkpoint(TRUNCATE)');
    rw.close();
    assert.deepEqual(dump(fx.a), want, 'still exactly the backup after a checkpoint');
    if (fs.existsSync(`${fx.a}-wal`)) fs.rmSync(`${fx.a}-wal`);
    fs.rmSync(`${fx.a}-shm`, { force: true });
    assert.deepEqual(dump(fx.a), want, 'and the main file alone holds it');
    assert.deepEqual(leftovers(fx.dir), []);
  });
});
