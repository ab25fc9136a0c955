import fs from 'node:fs';
import path from 'node:path';
import type { FileStat } from '../engine/backup-role.js';
import { FerryError } from '../errors.js';
import { fsyncDir, fsyncFile, makeDirs, removeSqliteFiles, sha256File, timestampName, writeFileAtomic } from '../util/fs-atomic.js';
import { fileRoleOf } from './file-database.js';
import { MANIFEST_NAME, type BackupFileEntry, type BackupManifest } from './manifest.js';
import { dumpInto, isServerDatabase } from './server-dumps.js';

/** Options of `ferry backup` / `createBackup()`. */
export interface CreateBackupOptions {
  /** SQLite files, and URLs of server databases (dumped), to back up. */
  files: string[];
  /** Folder that holds backup sets; a new `YYYYMMDD_HHMMSS` folder is made inside. */
  dir: string;
  /** Recorded in the manifest. */
  reason?: string;
  busyTimeoutMs?: number;
  /** Called after each file. */
  onFile?: (entry: BackupFileEntry) => void;
}

/** What `createBackup()` made. */
export interface BackupSet {
  id: string;
  path: string;
  manifest: BackupManifest;
}

/**
 * Backs up SQLite files into a new timestamped set. The set is assembled in a hidden `.partial`
 * folder and renamed when every file is copied, checked and hashed, so a set folder with a
 * manifest is always complete.
 */
export async function createBackup(options: CreateBackupOptions): Promise<BackupSet> {
  if (options.files.length === 0) throw new FerryError('USAGE', 'Nothing to back up: no files given.', { hint: 'ferry backup path/to/app.db [more.db ...]' });
  // Asked first, of each file as named: a database whose engine cannot be backed up (a plug-in's
  // URL, say) is one NOT_SUPPORTED error naming the engine, before any path or folder is touched.
  const local = options.files.filter((f) => !isServerDatabase(f));
  for (const f of local) fileRoleOf(f, 'backup');
  for (const f of local) {
    if (!fs.existsSync(f)) throw new FerryError('SOURCE_MISSING', `${f} does not exist.`, { subject: f, hint: 'Check the path.' });
  }
  prepareBackupDir(options.dir);
  const id = newSetId(options.dir);
  // The writer's pid is in the name, so a later run can tell a set being written from one whose
  // writer was killed.
  const partial = path.join(options.dir, `.${id}.${process.pid}.partial`);
  fs.rmSync(partial, { recursive: true, force: true });
  fs.mkdirSync(partial);
  try {
    const entries = await backupFiles(options, partial);
    const manifest: BackupManifest = { format: 'ferry-backup/1', createdAt: new Date().toISOString(), reason: options.reason ?? 'manual', files: entries };
    writeFileAtomic(path.join(partial, MANIFEST_NAME), JSON.stringify(manifest, null, 2) + '\n');
    const final = path.join(options.dir, id);
    fs.renameSync(partial, final);
    fsyncDir(options.dir);
    return { id, path: final, manifest };
  } catch (e) {
    fs.rmSync(partial, { recursive: true, force: true });
    throw e;
  }
}

/** Creates the backup folder, proves it is writable, and clears the half-written sets of dead runs. */
function prepareBackupDir(dir: string): void {
  try {
    makeDirs(dir);
    // Proves the folder takes a new entry: a read-only folder says so now, not as a confusing ENOENT later.
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'it is read-only' : (e as Error).message;
    throw new FerryError('UNWRITABLE', `Cannot write backup sets to ${dir}: ${why}.`, {
      subject: dir,
      hint: 'Choose a writable backup folder (backupDir in the config, or --dir).',
    });
  }
  removeDeadPartials(dir);
}

/** A `YYYYMMDD_HHMMSS` name not yet taken in `dir` (with a `_2`, `_3`... suffix on a clash). */
function newSetId(dir: string): string {
  let id = timestampName();
  for (let n = 2; fs.existsSync(path.join(dir, id)); n++) id = `${timestampName()}_${n}`;
  return id;
}

/** Backs up each file into the set folder `partial`, one manifest entry each. */
async function backupFiles(options: CreateBackupOptions, partial: string): Promise<BackupFileEntry[]> {
  const entries: BackupFileEntry[] = [];
  const used = new Set<string>();
  for (const file of options.files) {
    if (isServerDatabase(file)) {
      const entry = await dumpInto(file, partial, used);
      entries.push(entry);
      options.onFile?.(entry);
      continue;
    }
    const abs = path.resolve(file);
    let name = path.basename(abs);
    // Two sources with one base name from different folders keep distinct copies.
    for (let n = 2; used.has(name); n++) name = `${path.parse(abs).name}_${n}${path.extname(abs)}`;
    used.add(name);
    const dest = path.join(partial, name);
    const result = await backupFile(abs, dest, options.busyTimeoutMs);
    const entry: BackupFileEntry = {
      name,
      source: abs,
      size: result.size,
      sha256: await sha256File(dest),
      tables: result.tables,
      integrity: result.integrity,
      method: 'vacuum-into',
      digests: result.digests,
    };
    if (result.sourceStat) entry.sourceStat = result.sourceStat;
    entries.push(entry);
    options.onFile?.(entry);
  }
  return entries;
}

/** What backing up one file gave. */
interface FileBackup {
  size: number;
  tables: Record<string, number>;
  /** Rows and content digest per table ("rows:hex"). */
  digests: Record<string, string>;
  /** The source's stat fingerprint just before it was read. */
  sourceStat: FileStat | null;
  integrity: string;
}

/**
 * Backs up `source` into `dest` with its engine's consistent copy (via a temporary name, renamed
 * when complete), checks the copy's integrity and records its rows and digests per table.
 */
async function backupFile(source: string, dest: string, busyTimeoutMs?: number): Promise<FileBackup> {
  const role = fileRoleOf(source, 'backup');
  const tmp = `${dest}.partial`;
  removeSqliteFiles(tmp);
  // Taken before the read: a write after it makes the fingerprint differ, never match wrongly.
  const sourceStat = await role.fileStat(source);
  await role.snapshot(source, tmp, { busyTimeoutMs });
  const integrity = await role.integrityCheck(tmp);
  if (integrity !== 'ok') {
    removeSqliteFiles(tmp);
    throw new FerryError('BACKUP_INVALID', `The backup of ${source} failed its integrity check: ${integrity}`, {
      subject: source,
      hint: 'The source itself may be damaged; run `PRAGMA integrity_check` on it.',
    });
  }
  const digests = await role.tableDigests(tmp);
  const tables = Object.fromEntries(Object.entries(digests).map(([t, d]) => [t, Number(d.split(':')[0])]));
  fsyncFile(tmp);
  fs.renameSync(tmp, dest);
  fsyncDir(path.dirname(dest));
  return { size: fs.statSync(dest).size, tables, digests, sourceStat, integrity };
}

/**
 * Removes the half-written sets of backups whose process no longer runs (killed mid-backup), so
 * repeated interruptions cannot fill the disk. A set still being written by a live process stays.
 */
export function removeDeadPartials(dir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = /^\.(.+?)(?:\.(\d+))?\.partial$/.exec(name);
    if (!m) continue;
    const pid = m[2] ? Number(m[2]) : null;
    if (pid !== null && alive(pid)) continue;
    fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it runs, as another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Backs up files unless the newest set made for the same reason holds exactly these files and none
 * changed since: then that set is reused. A revision run that fails is rolled back, so running it
 * again would otherwise leave one more identical set per attempt.
 */
export async function backupUnlessUnchanged(options: CreateBackupOptions): Promise<BackupSet & { reused: boolean }> {
  const files = options.files.map((f) => path.resolve(f)).sort();
  const { listBackups } = await import('./backup-catalog.js');
  const last = listBackups(options.dir).find((s) => !s.damaged && s.reason === (options.reason ?? 'manual'));
  const same =
    last &&
    last.manifest.files
      .map((f) => f.source)
      .sort()
      .join('\u0000') === files.join('\u0000');
  if (last && same) {
    const { sourceChanges } = await import('./source-changes.js');
    if ((await sourceChanges(last.manifest.files)).length === 0) return { id: last.id, path: last.path, manifest: last.manifest, reused: true };
  }
  return { ...(await createBackup(options)), reused: false };
}
