import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { FerryError } from '../errors.js';
import { integrityCheck, restoreSqliteFile, tableRowCounts } from '../engines/sqlite/sqlite-backup.js';
import { openSqlite } from '../engines/sqlite/sqlite-engine.js';
import { removeSqliteFiles, timestampName } from '../util/fs-atomic.js';
import { checkBackup, findBackup } from './backup-catalog.js';

/** Options of `ferry restore` / `restoreBackup()`. */
export interface RestoreOptions {
  /** Folder holding backup sets. */
  dir: string;
  /** Set id, set path or 'latest' (default). */
  from?: string;
  /** Only these files of the set (by name in the set). */
  files?: string[];
  /** Restore a single file to this path instead of its original place. */
  to?: string;
  busyTimeoutMs?: number;
}

/** One file put back. */
export interface RestoredFile {
  name: string;
  path: string;
  tables: Record<string, number>;
}

/** What a restore did. */
export interface RestoreResult {
  set: string;
  restored: RestoredFile[];
}

/**
 * Checks a backup set, then puts its files back. The current file is first copied aside with
 * VACUUM INTO (it may hold rows in its -wal file); the aside copy is removed only after the
 * restored file passes integrity_check and matches the manifest's row counts, and is put back if
 * anything fails.
 */
export async function restoreBackup(options: RestoreOptions): Promise<RestoreResult> {
  const set = findBackup(options.dir, options.from);
  const wanted = set.manifest.files.filter((f) => !options.files || options.files.includes(f.name));
  if (options.files) {
    const unknown = options.files.filter((n) => !set.manifest.files.some((f) => f.name === n));
    if (unknown.length) throw new FerryError('USAGE', `The backup set ${set.id} has no file ${unknown.join(', ')}.`, { hint: `It holds: ${set.manifest.files.map((f) => f.name).join(', ')}` });
  }
  if (options.to && wanted.length !== 1) throw new FerryError('USAGE', '--to needs exactly one file (use --file NAME).', { hint: `The set holds: ${wanted.map((f) => f.name).join(', ')}` });
  const problems = await checkBackup(set.path, wanted.map((f) => f.name));
  if (problems.length) {
    throw new FerryError('BACKUP_INVALID', `The backup set ${set.id} is damaged: ${problems.map((p) => `${p.file}: ${p.problem}`).join('; ')}. Nothing was restored.`, { subject: set.path, hint: 'Restore from another set (ferry backups lists them).', data: { problems } });
  }
  const restored: RestoredFile[] = [];
  for (const f of wanted) {
    const dest = path.resolve(options.to ?? f.source);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    const aside = fs.existsSync(dest) ? keepAside(dest) : null;
    try {
      await restoreSqliteFile(path.join(set.path, f.name), dest, options.busyTimeoutMs);
      const integrity = integrityCheck(dest);
      if (integrity !== 'ok') throw new FerryError('BACKUP_INVALID', `${dest} failed integrity_check after restore: ${integrity}`, { subject: dest });
      const db = new Database(dest, { readonly: true });
      db.defaultSafeIntegers(true);
      const tables = tableRowCounts(db);
      db.close();
      if (!sameCounts(tables, f.tables)) {
        throw new FerryError('BACKUP_INVALID', `${dest} does not hold the rows the manifest lists after restore.`, { subject: dest, data: { expected: f.tables, found: tables } });
      }
      if (aside) removeSqliteFiles(aside);
      restored.push({ name: f.name, path: dest, tables });
    } catch (e) {
      if (aside) {
        await restoreSqliteFile(aside, dest, options.busyTimeoutMs).catch(() => undefined);
        throw new FerryError(e instanceof FerryError ? e.code : 'INTERNAL', `${(e as Error).message} The previous content was kept in ${aside}.`, { subject: dest, hint: (e as FerryError).hint, cause: e });
      }
      throw e;
    }
  }
  return { set: set.id, restored };
}

/** Copies the current database beside itself; a file that is not SQLite is renamed aside instead. */
function keepAside(dest: string): string {
  const aside = `${dest}.before-restore-${timestampName()}`;
  removeSqliteFiles(aside);
  try {
    const db = openSqlite(dest, { readonly: true });
    try {
      db.run('copying aside', () => db.db.prepare('VACUUM INTO ?').run(aside));
    } finally {
      db.db.close();
    }
  } catch (e) {
    if (e instanceof FerryError && (e.code === 'NOT_SQLITE' || e.code === 'CORRUPT')) {
      for (const s of ['', '-wal', '-shm']) if (fs.existsSync(dest + s)) fs.renameSync(dest + s, aside + s);
    } else throw e;
  }
  return aside;
}

function sameCounts(a: Record<string, number>, b: Record<string, number>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}
