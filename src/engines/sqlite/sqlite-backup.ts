import fs from 'node:fs';
import Database from 'better-sqlite3';
import { FerryError } from '../../errors.js';
import { fsyncDir, fsyncFile, removeSqliteFiles } from '../../util/fs-atomic.js';
import { sqliteError } from './sqlite-errors.js';
import { openSqlite } from './sqlite-engine.js';
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
  const names = db.prepare(`SELECT name FROM sqlite_schema WHERE type='table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name`).pluck().all() as string[];
  const out: Record<string, number> = {};
  for (const n of names) out[n] = Number(db.prepare(`SELECT count(*) FROM ${quoteSqliteIdent(n)}`).pluck().safeIntegers(true).get() as bigint);
  return out;
}

/** Runs PRAGMA integrity_check and returns 'ok' or the problems SQLite reports. */
export function integrityCheck(file: string, quick = false): string {
  const db = openSqlite(file, { readonly: true });
  try {
    const rows = db.run('checking', () => db.db.prepare(quick ? 'PRAGMA quick_check' : 'PRAGMA integrity_check').pluck().all() as string[]);
    return rows.length === 1 && rows[0] === 'ok' ? 'ok' : rows.slice(0, 10).join('; ');
  } finally {
    db.db.close();
  }
}

export interface SqliteBackupResult {
  size: number;
  tables: Record<string, number>;
  integrity: string;
}

/**
 * Backs up `source` into `dest` with VACUUM INTO (via a temporary name, renamed when complete),
 * checks the copy's integrity and counts its rows.
 */
export function backupSqliteFile(source: string, dest: string, busyTimeoutMs = 5000): SqliteBackupResult {
  const tmp = `${dest}.partial`;
  removeSqliteFiles(tmp);
  const src = openSqlite(source, { readonly: true, busyTimeoutMs });
  try {
    src.run('backing up', () => src.db.prepare('VACUUM INTO ?').run(tmp));
  } finally {
    src.db.close();
  }
  const integrity = integrityCheck(tmp);
  if (integrity !== 'ok') {
    removeSqliteFiles(tmp);
    throw new FerryError('BACKUP_INVALID', `The backup of ${source} failed its integrity check: ${integrity}`, { subject: source, hint: 'The source itself may be damaged; run `PRAGMA integrity_check` on it.' });
  }
  const copy = new Database(tmp, { readonly: true });
  let tables: Record<string, number>;
  try {
    tables = tableRowCounts(copy);
  } finally {
    copy.close();
  }
  fsyncFile(tmp);
  fs.renameSync(tmp, dest);
  fsyncDir(path.dirname(dest));
  return { size: fs.statSync(dest).size, tables, integrity };
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
