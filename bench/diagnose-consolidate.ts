/**
 * Diagnostics behind the analysis in bench/RESULTS.md: small experiments that isolate where
 * ferry's consolidation spends time and memory, using the same SQLite library as ferry
 * (better-sqlite3) on the benchmark's cached estate. Nothing here calls ferry; each experiment
 * imitates one thing ferry's code does (see the comments) next to the plain alternative.
 *
 *   node dist/bench/diagnose-consolidate.js [--rows N] [--files N] [--sources a.db,b.db] [--tries N]
 *
 * 1. copy: a file's tables copied with ATTACH + INSERT ... SELECT into a new file, six ways: the
 *    floor's way (rollback journal, one plain INSERT ... SELECT *, which SQLite runs with its
 *    transfer optimization: records and index entries copied in order, not re-inserted), the
 *    same with a WHERE clause (no transfer optimization), with ferry's settings (WAL,
 *    synchronous=NORMAL, 64 MB cache) in one statement, in 50,000-rowid chunks each committed with
 *    a progress row (ferry's way), chunked without WAL, and chunked in WAL with the automatic
 *    checkpoint off (one checkpoint at the end). Time and bytes written (wchar) for each.
 * 4. backup: ferry's backup step on one file, split into its parts.
 * 2. plan memory: in a fresh process, open every source read-only and count every table, keeping
 *    the connections open (as ferry's planner does), with better-sqlite3's default page cache
 *    (16 MB per connection) and with a 2 MB one; the process's peak RSS for each.
 * 3. checksum connections: in a fresh process, checksum every source table on one connection per
 *    file that stays open (as the verify workers do), default cache vs closing each connection.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { ensureEstate, WORK_DIR } from './consolidate-estate.js';
import { memKb, procIo } from './proc-stats.js';

const HERE = fileURLToPath(import.meta.url);
const qi = (s: string) => `"${s.replace(/"/g, '""')}"`;

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

interface CopyMode {
  name: string;
  wal: boolean;
  sync: 'FULL' | 'NORMAL';
  cacheKiB: number | null;
  chunk: number | null;
  autocheckpoint?: number;
  /** One statement, but with a WHERE clause, which turns off SQLite's transfer optimization. */
  where?: boolean;
}

const MODES: CopyMode[] = [
  { name: 'floor: rollback journal, one INSERT ... SELECT * (transfer optimization)', wal: false, sync: 'FULL', cacheKiB: null, chunk: null },
  {
    name: 'rollback journal, one INSERT ... SELECT * ... WHERE rowid IS NOT NULL (no transfer optimization)',
    wal: false,
    sync: 'FULL',
    cacheKiB: null,
    chunk: null,
    where: true,
  },
  { name: 'WAL + NORMAL + 64 MB cache, one INSERT ... SELECT', wal: true, sync: 'NORMAL', cacheKiB: 65536, chunk: null },
  { name: "ferry's way: WAL + NORMAL + 64 MB, 50k-rowid chunks, a progress row per chunk", wal: true, sync: 'NORMAL', cacheKiB: 65536, chunk: 50_000 },
  { name: 'rollback journal + NORMAL + 64 MB, 50k-rowid chunks, a progress row per chunk', wal: false, sync: 'NORMAL', cacheKiB: 65536, chunk: 50_000 },
  {
    name: 'WAL + NORMAL + 64 MB, 50k chunks, wal_autocheckpoint=0, one checkpoint at the end',
    wal: true,
    sync: 'NORMAL',
    cacheKiB: 65536,
    chunk: 50_000,
    autocheckpoint: 0,
  },
];

/** Copies `tables` of `source` into a new file `dest` in one mode; returns ms and bytes written. */
function copyOnce(source: string, tables: { name: string; sql: string }[], dest: string, mode: CopyMode): { ms: number; wchar: number } {
  for (const s of ['', '-wal', '-shm', '-journal']) fs.rmSync(dest + s, { force: true });
  spawnSync('sync');
  const io0 = procIo();
  const t0 = performance.now();
  const db = new Database(dest);
  db.pragma(`journal_mode = ${mode.wal ? 'WAL' : 'DELETE'}`);
  db.pragma(`synchronous = ${mode.sync}`);
  if (mode.cacheKiB) db.pragma(`cache_size = -${mode.cacheKiB}`);
  if (mode.autocheckpoint !== undefined) db.pragma(`wal_autocheckpoint = ${mode.autocheckpoint}`);
  db.exec(`CREATE TABLE _progress (step TEXT PRIMARY KEY, last_rowid INTEGER, rows INTEGER)`);
  for (const t of tables) db.exec(t.sql);
  db.prepare(`ATTACH DATABASE ? AS src`).run(source);
  for (const t of tables) {
    if (!mode.chunk) {
      db.exec(`INSERT INTO main.${qi(t.name)} SELECT * FROM src.${qi(t.name)}${mode.where ? ' WHERE rowid IS NOT NULL' : ''}`);
      continue;
    }
    const span = db.prepare(`SELECT min(rowid) AS lo, max(rowid) AS hi FROM src.${qi(t.name)}`).get() as { lo: number; hi: number };
    const ins = db.prepare(`INSERT INTO main.${qi(t.name)} SELECT * FROM (SELECT * FROM src.${qi(t.name)} WHERE rowid > ? AND rowid <= ?)`);
    const prog = db.prepare(`INSERT OR REPLACE INTO _progress (step, last_rowid, rows) VALUES (?, ?, ?)`);
    const chunk = db.transaction((lo: number, hi: number) => {
      const n = ins.run(lo, hi).changes;
      prog.run(t.name, hi, n);
    });
    for (let lo = span.lo - 1; lo < span.hi; lo += mode.chunk) chunk(lo, Math.min(lo + mode.chunk, span.hi));
  }
  db.exec('DETACH DATABASE src');
  if (mode.wal) db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  const fd = fs.openSync(dest, 'r');
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  return { ms: performance.now() - t0, wchar: procIo().wchar - io0.wchar };
}

/** Child: open every source read-only, count every table, keep the connections open; print VmHWM. */
function planMemoryChild(sourceDir: string, cacheKiB: number): void {
  const before = memKb();
  const open: Database.Database[] = [];
  for (const f of fs.readdirSync(sourceDir).filter((x) => x.endsWith('.db'))) {
    const db = new Database(path.join(sourceDir, f), { readonly: true });
    if (cacheKiB > 0) db.pragma(`cache_size = -${cacheKiB}`);
    for (const t of db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).pluck().all() as string[])
      db.prepare(`SELECT count(*) FROM ${qi(t)}`).get();
    open.push(db);
  }
  process.stdout.write(JSON.stringify({ before: before.hwm, after: memKb().hwm, files: open.length }) + '\n');
}

/** Child: checksum-like full scans of every source table, connections kept open or closed per file. */
function scanMemoryChild(sourceDir: string, keepOpen: boolean): void {
  const before = memKb();
  const open: Database.Database[] = [];
  let rows = 0;
  for (const f of fs.readdirSync(sourceDir).filter((x) => x.endsWith('.db'))) {
    const db = new Database(path.join(sourceDir, f), { readonly: true });
    for (const t of db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).pluck().all() as string[]) {
      // Reads every column of every row, as a checksum does (length() touches the whole value).
      const cols = (db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(t) as string[]).map((c) => `sum(length(${qi(c)}))`).join(' + ');
      db.prepare(`SELECT ${cols}, count(*) FROM ${qi(t)}`).get();
      rows++;
    }
    if (keepOpen) open.push(db);
    else db.close();
  }
  process.stdout.write(JSON.stringify({ before: before.hwm, after: memKb().hwm, tables: rows }) + '\n');
}

function child(args: string[]): { before: number; after: number } {
  const r = spawnSync(process.execPath, [HERE, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { before: number; after: number };
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child-plan') return planMemoryChild(process.argv[3]!, Number(process.argv[4]));
  if (process.argv[2] === '--child-scan') return scanMemoryChild(process.argv[3]!, process.argv[4] === 'keep');
  const estate = await ensureEstate({ rows: arg('--rows', 2_000_000), files: arg('--files', 22) });
  const out: string[] = [];
  out.push(`Estate: ${estate.files.length} files, ${estate.rows.toLocaleString('en-US')} rows.`);
  out.push('');

  // 1. copy modes, per source file (its tables; indexes are left out: both sides build them afterwards).
  const tries = arg('--tries', 3);
  const i = process.argv.indexOf('--sources');
  const sources = i >= 0 ? process.argv[i + 1]!.split(',') : ['debates.db', 'continuum.db'];
  const dir = path.join(WORK_DIR, 'diagnose');
  for (const file of sources) {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    // A private copy: attaching the estate's own WAL file read-write would checkpoint it on detach.
    const source = path.join(dir, file);
    for (const s of ['', '-wal']) if (fs.existsSync(path.join(estate.sourceDir, file + s))) fs.copyFileSync(path.join(estate.sourceDir, file + s), source + s);
    const probe = new Database(source, { readonly: true });
    const tables = probe.prepare(`SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).all() as {
      name: string;
      sql: string;
    }[];
    const rows = tables.reduce(
      (s, t) =>
        s +
        (probe
          .prepare(`SELECT count(*) FROM ${qi(t.name)}`)
          .pluck()
          .get() as number),
      0,
    );
    probe.close();
    out.push(
      `Copy of ${file} (${tables.map((t) => t.name).join(', ')}: ${rows.toLocaleString('en-US')} rows, ${(fs.statSync(source).size / 2 ** 20).toFixed(0)} MB), best of ${tries}:`,
    );
    out.push('');
    out.push('| mode | time | written (wchar) |');
    out.push('|---|---|---|');
    for (const mode of MODES) {
      const runs = Array.from({ length: tries }, () => copyOnce(source, tables, path.join(dir, 'copy.db'), mode));
      const best = runs.reduce((a, b) => (b.ms < a.ms ? b : a));
      out.push(`| ${mode.name} | ${(best.ms / 1000).toFixed(2)} s | ${(best.wchar / 2 ** 20).toFixed(0)} MB |`);
      process.stderr.write(`  ${file}: ${mode.name}: ${(best.ms / 1000).toFixed(2)} s\n`);
    }
    out.push('');
  }
  fs.rmSync(dir, { recursive: true, force: true });

  // 2. planning memory.
  const d = child(['--child-plan', estate.sourceDir, '0']);
  const small = child(['--child-plan', estate.sourceDir, '2000']);
  out.push(
    `All ${estate.files.length} sources open at once, every table counted (the planner's pattern): peak RSS ${(d.before / 1024).toFixed(0)} MB -> ${(d.after / 1024).toFixed(0)} MB with the default 16 MB cache per connection; ${(small.before / 1024).toFixed(0)} MB -> ${(small.after / 1024).toFixed(0)} MB with cache_size = -2000.`,
  );

  // 3. verify-like scans.
  const keep = child(['--child-scan', estate.sourceDir, 'keep']);
  const close = child(['--child-scan', estate.sourceDir, 'close']);
  out.push(
    `Every source table read in full, one connection per file (the verify workers' pattern): peak RSS ${(keep.before / 1024).toFixed(0)} MB -> ${(keep.after / 1024).toFixed(0)} MB when connections stay open; ${(close.before / 1024).toFixed(0)} MB -> ${(close.after / 1024).toFixed(0)} MB when each is closed after its file.`,
  );

  // 4. the backup step, split: ferry's backupSqliteFile() does VACUUM INTO from a read-only
  //    connection, a full PRAGMA integrity_check of the copy, a count(*) per table and an fsync;
  //    createBackup() then hashes the copy (SHA-256).
  const file = sources[0]!;
  fs.mkdirSync(dir, { recursive: true });
  const copy = path.join(dir, 'backup.db');
  const steps: [string, () => void][] = [
    [
      'VACUUM INTO',
      () => {
        const db = new Database(path.join(estate.sourceDir, file), { readonly: true });
        db.prepare('VACUUM INTO ?').run(copy);
        db.close();
      },
    ],
    [
      'integrity_check',
      () => {
        const db = new Database(copy, { readonly: true });
        db.prepare('PRAGMA integrity_check').all();
        db.close();
      },
    ],
    [
      'count(*) per table',
      () => {
        const db = new Database(copy, { readonly: true });
        for (const t of db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).pluck().all() as string[])
          db.prepare(`SELECT count(*) FROM ${qi(t)}`).get();
        db.close();
      },
    ],
    [
      'fsync',
      () => {
        const fd = fs.openSync(copy, 'r');
        fs.fsyncSync(fd);
        fs.closeSync(fd);
      },
    ],
    [
      'sha256',
      () => {
        spawnSync('sha256sum', [copy]);
      },
    ],
  ];
  const timings = steps.map(([name, fn]) => {
    const t0 = performance.now();
    fn();
    return `${name} ${((performance.now() - t0) / 1000).toFixed(2)} s`;
  });
  out.push(`Backup of ${file} (${(fs.statSync(copy).size / 2 ** 20).toFixed(0)} MB), step by step: ${timings.join(', ')}.`);
  fs.rmSync(dir, { recursive: true, force: true });
  process.stdout.write(out.join('\n') + '\n');
}

await main();
