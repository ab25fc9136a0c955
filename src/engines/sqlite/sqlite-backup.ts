import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { FileStat } from '../../engine/backup-role.js';
import { fsyncDir, fsyncFile, removeSqliteFiles } from '../../util/fs-atomic.js';
import { sqliteError } from './sqlite-errors.js';
import { openSqlite } from './sqlite-engine.js';
import { digestSqliteTable } from './sqlite-digest.js';
import { quoteSqliteIdent } from './sqlite-tokens.js';

/**
 * SQLite backups and restores (the `backup` role's work). A backup is `VACUUM INTO` from a
 * read-only connection: it reads a consistent snapshot that includes pages still in the -wal file
 * (a file copy would miss them) and never writes the source. A restore goes through SQLite's
 * backup API into the destination, so the destination's own WAL and locks are honoured and the
 * switch is one transaction.
 */

/** Rows per table of a database, read from an open connection. */
function tableRowCounts(db: Database.Database): Record<string, number> {
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

/** Rows per table of a database file. */
export function fileRowCounts(file: string): Record<string, number> {
  return readingFile(file, tableRowCounts);
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
 * Rows and content digest (ferry's order-independent checksum of the values as stored) per table
 * of a database file, in one scan each: what a backup records so that a later run can tell whether
 * the source changed.
 */
export function fileDigests(file: string): Record<string, string> {
  return readingFile(file, tableContents);
}

function tableContents(db: Database.Database): Record<string, string> {
  const out: Record<string, string> = {};
  for (const table of userTables(db)) {
    const columns = db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(table) as string[];
    out[table] = digestSqliteTable(db, { table, columns, logicals: columns.map(() => null) }).digest();
  }
  return out;
}

/** Runs `read` on a read-only connection to `file` (integers as bigint), then closes it. */
function readingFile<T>(file: string, read: (db: Database.Database) => T): T {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.defaultSafeIntegers(true);
  try {
    return read(db);
  } finally {
    db.close();
  }
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

/** The file's stat fingerprint, its -wal's too (null when it does not exist). */
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

/** Writes a consistent copy of `source` to `dest` with VACUUM INTO from a read-only connection. */
export function snapshotSqliteFile(source: string, dest: string, busyTimeoutMs?: number, doing = 'backing up'): void {
  const src = openSqlite(source, { readonly: true, busyTimeoutMs });
  try {
    src.run(doing, () => src.db.prepare('VACUUM INTO ?').run(dest));
  } finally {
    src.db.close();
  }
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
