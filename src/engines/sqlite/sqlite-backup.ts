import fs from 'node:fs';
import Database from 'better-sqlite3';
import { FerryError } from '../../errors.js';
import { fsyncDir, fsyncFile, removeSqliteFiles } from '../../util/fs-atomic.js';
import { sqliteError } from './sqlite-errors.js';
import { openSqlite } from './sqlite-engine.js';
import { digestSqliteTable } from './sqlite-digest.js';
import { quoteSqliteIdent } from './sqlite-tokens.js';
import path from 'node:path';

/**
 * SQLite backups and restores. A backup is `VACUUM INTO` from a read-only connection: it reads a
 * consistent snapshot that includes pages still in the -wal file (a file copy would miss them)
 * and never writes the source. A restore goes through SQLite's backup API into the destination,
 * so the destination's own WAL and locks are honoured and the switch is one transaction.
 */

/** Rows per table of a database, read from an open connection. */
export function tableRowCounts(db: Database.Database): Record<string, number> {
  const names = db
    .prepare(`SELECT name FROM sqlite_schema WHERE type='table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name`)
    .pluck()
    .all() as string[];
  const out: Record<string, number> = {};
  for (const n of names)
    out[n] = Number(
      db
        .prepare(`SELECT count(*) FROM ${quoteSqliteIdent(n)}`)
        .pluck()
        .safeIntegers(true)
        .get() as bigint,
    );
  return out;
}

/** Runs PRAGMA integrity_check and returns 'ok' or the problems SQLite reports. */
export function integrityCheck(file: string, quick = false): string {
  const db = openSqlite(file, { readonly: true });
  try {
    const rows = db.run(
      'checking',
      () =>
        db.db
          .prepare(quick ? 'PRAGMA quick_check' : 'PRAGMA integrity_check')
          .pluck()
          .all() as string[],
    );
    return rows.length === 1 && rows[0] === 'ok' ? 'ok' : rows.slice(0, 10).join('; ');
  } finally {
    db.db.close();
  }
}

/**
 * Rows and content digest (ferry's order-independent checksum of the values as stored) per table,
 * in one scan each: what a backup records so that a later run can tell whether the source changed.
 */
export function tableContents(db: Database.Database): Record<string, string> {
  const out: Record<string, string> = {};
  for (const table of userTables(db)) {
    const columns = db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(table) as string[];
    out[table] = digestSqliteTable(db, { table, columns, logicals: columns.map(() => null) }).digest();
  }
  return out;
}

function userTables(db: Database.Database): string[] {
  // Shadow tables of virtual tables are their module's storage, read through the virtual table.
  const shadows = new Set(db.prepare(`SELECT name FROM pragma_table_list WHERE type = 'shadow'`).pluck().all() as string[]);
  return (
    db
      .prepare(`SELECT name FROM sqlite_schema WHERE type='table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name`)
      .pluck()
      .all() as string[]
  ).filter((n) => !shadows.has(n));
}

/** Size and modification time of a database file and its -wal, to tell cheaply that it has not changed. */
export interface FileStat {
  size: number;
  mtimeMs: number;
  wal?: { size: number; mtimeMs: number };
}

/** The file's stat fingerprint (null when it does not exist). */
export function sqliteFileStat(file: string): FileStat | null {
  if (!fs.existsSync(file)) return null;
  const st = fs.statSync(file);
  const out: FileStat = { size: st.size, mtimeMs: st.mtimeMs };
  if (fs.existsSync(`${file}-wal`)) {
    const w = fs.statSync(`${file}-wal`);
    if (w.size > 0) out.wal = { size: w.size, mtimeMs: w.mtimeMs };
  }
  return out;
}

export interface SqliteBackupResult {
  size: number;
  tables: Record<string, number>;
  /** Rows and content digest per table ("rows:hex"). */
  digests: Record<string, string>;
  /** The source's stat fingerprint just before it was read. */
  sourceStat: FileStat | null;
  integrity: string;
}

/**
 * Backs up `source` into `dest` with VACUUM INTO (via a temporary name, renamed when complete),
 * checks the copy's integrity and counts its rows.
 */
export function backupSqliteFile(source: string, dest: string, busyTimeoutMs = 5000): SqliteBackupResult {
  const tmp = `${dest}.partial`;
  removeSqliteFiles(tmp);
  // Taken before the read: a write after it makes the fingerprint differ, never match wrongly.
  const sourceStat = sqliteFileStat(source);
  const src = openSqlite(source, { readonly: true, busyTimeoutMs });
  try {
    src.run('backing up', () => src.db.prepare('VACUUM INTO ?').run(tmp));
  } finally {
    src.db.close();
  }
  const integrity = integrityCheck(tmp);
  if (integrity !== 'ok') {
    removeSqliteFiles(tmp);
    throw new FerryError('BACKUP_INVALID', `The backup of ${source} failed its integrity check: ${integrity}`, {
      subject: source,
      hint: 'The source itself may be damaged; run `PRAGMA integrity_check` on it.',
    });
  }
  const copy = new Database(tmp, { readonly: true });
  copy.defaultSafeIntegers(true);
  let digests: Record<string, string>;
  try {
    digests = tableContents(copy);
  } finally {
    copy.close();
  }
  const tables = Object.fromEntries(Object.entries(digests).map(([t, d]) => [t, Number(d.split(':')[0])]));
  fsyncFile(tmp);
  fs.renameSync(tmp, dest);
  fsyncDir(path.dirname(dest));
  return { size: fs.statSync(dest).size, tables, digests, sourceStat, integrity };
}

/**
 * Writes the content of `backupFile` into `dest` through SQLite's backup API in a single step, so
 * the destination changes in one transaction (a kill leaves the old content) and a -wal file of
 * the destination is handled by SQLite rather than left to contradict the new pages.
 */
export async function restoreSqliteFile(backupFile: string, dest: string, busyTimeoutMs = 5000): Promise<void> {
  const src = new Database(backupFile, { readonly: true, fileMustExist: true });
  try {
    if (!fs.existsSync(dest)) {
      // New file: build it beside the destination and rename, so no half file ever has the name.
      const tmp = `${dest}.ferry-restore`;
      removeSqliteFiles(tmp);
      await src.backup(tmp, { progress: () => 1 << 30 });
      fsyncFile(tmp);
      removeSqliteFiles(dest);
      fs.renameSync(tmp, dest);
      fsyncDir(path.dirname(dest));
      return;
    }
    // Make sure nobody holds the destination before we start (a clear LOCKED error otherwise).
    const probe = new Database(dest, { fileMustExist: true, timeout: busyTimeoutMs });
    try {
      probe.exec('BEGIN IMMEDIATE; ROLLBACK');
    } finally {
      probe.close();
    }
    await src.backup(dest, { progress: () => 1 << 30 });
  } catch (e) {
    throw sqliteError(e, dest, 'restoring');
  } finally {
    src.close();
  }
}
