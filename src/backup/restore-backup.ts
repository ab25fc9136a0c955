import fs from 'node:fs';
import path from 'node:path';
import type { BackupRole } from '../engine/backup-role.js';
import { FerryError } from '../errors.js';
import { removeSqliteFiles, timestampName } from '../util/fs-atomic.js';
import { checkBackup, findBackup } from './backup-catalog.js';
import { createBackup } from './create-backup.js';
import { fileRoleOf, openFile } from './file-database.js';
import type { BackupFileEntry } from './manifest.js';
import { digestProblems, isServerDatabase } from './server-dumps.js';
import { maskPassword } from '../engine/secrets.js';
import { parseUrl, roleOf } from '../engines/registry.js';

/** Options of `ferry restore` / `restoreBackup()`. */
export interface RestoreOptions {
  /** Folder holding backup sets. */
  dir: string;
  /** Set id, set path or 'latest' (default). */
  from?: string;
  /** Only these files of the set (by name in the set). */
  files?: string[];
  /** Restore a single file to this path instead of its original place (a dump: the database URL it goes to). */
  to?: string;
  /** A dump over a database that holds tables: replace them (after backing it up), in one transaction. */
  replace?: boolean;
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
  /** The backup set holding what the restored files held before (`ferry restore <it>` undoes the restore). */
  before: string | null;
}

/** One file a restore would put back, and what it would replace. */
export interface PlannedRestore {
  name: string;
  /** Where it goes. */
  path: string;
  /** Rows per table in the set. */
  tables: Record<string, number>;
  /** What is there now (null: nothing; the restore creates it), rows per table. */
  current: Record<string, number> | null;
}

/** What `ferry restore --dry-run` reports: the set (checked) and each file it would replace. Reads only. */
export async function planRestore(options: RestoreOptions): Promise<{ set: string; files: PlannedRestore[] }> {
  const { set, wanted } = await chosenFiles(options);
  const files: PlannedRestore[] = [];
  for (const f of wanted) {
    if (f.method === 'dump') {
      const to = options.to ?? f.source;
      const now = await roleOf(parseUrl(to).dialect, 'serverBackup').state(to);
      files.push({ name: f.name, path: maskPassword(to), tables: f.tables, current: now === 'has-tables' ? {} : null });
      continue;
    }
    const dest = path.resolve(options.to ?? f.source);
    files.push({ name: f.name, path: dest, tables: f.tables, current: fs.existsSync(dest) ? await currentRows(dest) : null });
  }
  return { set: set.id, files };
}

/** Rows per table of what is at `dest` now ({} when it cannot be read as a database). */
async function currentRows(dest: string): Promise<Record<string, number>> {
  try {
    return await fileRoleOf(dest, 'backup').tableRowCounts(dest);
  } catch {
    return {};
  }
}

/** The set and the files of it a restore is about, checked (hashes and integrity) before anything else. */
async function chosenFiles(
  options: RestoreOptions,
): Promise<{ set: ReturnType<typeof findBackup>; wanted: ReturnType<typeof findBackup>['manifest']['files'] }> {
  const set = findBackup(options.dir, options.from);
  const wanted = set.manifest.files.filter((f) => !options.files || options.files.includes(f.name));
  if (options.files) {
    const unknown = options.files.filter((n) => !set.manifest.files.some((f) => f.name === n));
    if (unknown.length)
      throw new FerryError('USAGE', `The backup set ${set.id} has no file ${unknown.join(', ')}.`, {
        hint: `It holds: ${set.manifest.files.map((f) => f.name).join(', ')}`,
      });
  }
  if (options.to && wanted.length !== 1)
    throw new FerryError('USAGE', '--to needs exactly one file (use --file NAME).', { hint: `The set holds: ${wanted.map((f) => f.name).join(', ')}` });
  const problems = await checkBackup(
    set.path,
    wanted.map((f) => f.name),
  );
  if (problems.length) {
    throw new FerryError(
      'BACKUP_INVALID',
      `The backup set ${set.id} is damaged: ${problems.map((p) => `${p.file}: ${p.problem}`).join('; ')}. Nothing was restored.`,
      { subject: set.path, hint: 'Restore from another set (ferry backups lists them).', data: { problems } },
    );
  }
  return { set, wanted };
}

/**
 * Checks a backup set, then puts its files back. The current files are first kept as a backup set
 * of their own (VACUUM INTO, so rows still in a -wal file are kept), which stays: the restore can
 * be undone by restoring that set. Each restored file must pass integrity_check and match the
 * manifest's row counts; if it does not, the previous content is put back.
 */
export async function restoreBackup(options: RestoreOptions): Promise<RestoreResult> {
  const { set, wanted } = await chosenFiles(options);
  if (wanted.some((f) => f.method === 'dump')) return restoreDumpOf(set, wanted, options);
  // What is about to be replaced is kept first, as a set of its own: a restore can be undone.
  const destinations = wanted.map((f) => path.resolve(options.to ?? f.source));
  const before = await keepBeforeRestore(
    destinations.filter((d) => fs.existsSync(d)),
    options.dir,
    options.busyTimeoutMs,
  );
  const restored: RestoredFile[] = [];
  for (const [i, f] of wanted.entries()) restored.push(await restoreFile(path.join(set.path, f.name), destinations[i]!, f, before, options.busyTimeoutMs));
  return { set: set.id, restored, before: before?.set ?? null };
}

/**
 * Restores a dump (`--to URL`): into a missing or empty database as it is; over one that holds
 * tables only with `replace`, after backing that database up as a set of its own (the restore's
 * undo), and in one transaction. The result's digests must equal the manifest's; when they do not,
 * a replaced database gets its previous content back from that set.
 */
async function restoreDumpOf(set: ReturnType<typeof findBackup>, wanted: BackupFileEntry[], options: RestoreOptions): Promise<RestoreResult> {
  const [entry] = wanted;
  if (wanted.length !== 1 || !options.to || !isServerDatabase(options.to))
    throw new FerryError('USAGE', `${set.id} holds the dump ${wanted.find((f) => f.method === 'dump')!.name}: restore it alone, into a database you name.`, {
      hint: `ferry restore ${set.id} --file ${wanted.find((f) => f.method === 'dump')!.name} --to postgres://user@host/db`,
    });
  const to = options.to;
  const role = roleOf(parseUrl(to).dialect, 'serverBackup');
  const now = await role.state(to);
  if (now === 'has-tables' && !options.replace)
    throw new FerryError('TARGET_NOT_EMPTY', `${maskPassword(to)} already holds tables; nothing was restored.`, {
      subject: maskPassword(to),
      hint: 'Restore into an empty or new database, or pass --replace: ferry then backs that database up first (the undo) and replaces it in one transaction.',
    });
  const before = now === 'has-tables' ? await createBackup({ files: [to], dir: options.dir, reason: 'before-restore' }) : null;
  const digests = await role.restore(path.join(set.path, entry!.name), to, { replace: now === 'has-tables' }).catch((e: unknown) => {
    if (!before || !(e instanceof FerryError)) throw e;
    // The replace is one transaction, so the database is as it was; the set taken first stays, named.
    throw new FerryError(e.code, e.message, { subject: e.subject, hint: `The set ${before.id} holds what was there before this restore.`, cause: e });
  });
  const problems = digestProblems(entry!.digests ?? {}, digests);
  if (problems.length) {
    const wrong = `${maskPassword(to)} does not hold what the manifest of ${set.id} lists after the restore: ${problems.join('; ')}.`;
    if (!before)
      throw new FerryError('VERIFY_FAILED', `${wrong} The database held no tables before; it is left as restored.`, {
        subject: maskPassword(to),
        hint: 'Drop it and restore from another set (`ferry backups --check` finds which sets restore to what they list).',
      });
    // As for a file: what was there is put back from the set taken first, so a bad restore changes nothing.
    const kept = before.manifest.files[0]!;
    const putBack = await role.restore(path.join(before.path, kept.name), to, { replace: true }).then(
      (d) => {
        const differ = digestProblems(kept.digests ?? {}, d);
        return differ.length ? `it then differs from that set: ${differ.join('; ')}` : null;
      },
      (e: unknown) => (e as Error).message,
    );
    throw new FerryError(
      'VERIFY_FAILED',
      putBack === null
        ? `${wrong} The previous content was put back; the set ${before.id} holds it.`
        : `${wrong} Putting the previous content back failed too (${putBack}).`,
      { subject: maskPassword(to), hint: `The set ${before.id} holds what was there: ferry restore ${before.id} --to <the same URL> --replace` },
    );
  }
  const tables = Object.fromEntries(Object.entries(digests).map(([t, d]) => [t, Number(d.split(':')[0])]));
  return { set: set.id, restored: [{ name: entry!.name, path: maskPassword(to), tables }], before: before?.id ?? null };
}

/**
 * Puts one file of the set back at `dest`. If it fails, what `dest` held before the restore (kept
 * by keepBeforeRestore) is put back and the error says where its copy stays.
 */
async function restoreFile(
  copy: string,
  dest: string,
  entry: BackupFileEntry,
  before: { copies: Map<string, string> } | null,
  busyTimeoutMs?: number,
): Promise<RestoredFile> {
  const role = fileRoleOf(copy, 'backup');
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  try {
    return await putBack(role, copy, dest, entry, busyTimeoutMs);
  } catch (e) {
    const kept = before?.copies.get(dest);
    if (!kept) throw e;
    await role.restore(kept, dest, { busyTimeoutMs }).catch(() => undefined);
    throw new FerryError(e instanceof FerryError ? e.code : 'INTERNAL', `${(e as Error).message} The previous content was put back; a copy stays in ${kept}.`, {
      subject: dest,
      hint: (e as FerryError).hint,
      cause: e,
    });
  }
}

/** Restores one copy, then checks the result: integrity, and the manifest's row counts. */
async function putBack(role: BackupRole, copy: string, dest: string, entry: BackupFileEntry, busyTimeoutMs?: number): Promise<RestoredFile> {
  await role.restore(copy, dest, { busyTimeoutMs });
  const integrity = await role.integrityCheck(dest);
  if (integrity !== 'ok') throw new FerryError('BACKUP_INVALID', `${dest} failed integrity_check after restore: ${integrity}`, { subject: dest });
  const tables = await role.tableRowCounts(dest);
  if (!sameCounts(tables, entry.tables)) {
    throw new FerryError('BACKUP_INVALID', `${dest} does not hold the rows the manifest lists after restore.`, {
      subject: dest,
      data: { expected: entry.tables, found: tables },
    });
  }
  return { name: entry.name, path: dest, tables };
}

/**
 * Keeps the databases a restore is about to replace as a backup set of their own (reason
 * `before-restore`, listed by `ferry backups`, never picked as "latest"). A file that is not SQLite
 * (or is corrupt) cannot be copied that way; it is renamed aside instead.
 */
async function keepBeforeRestore(files: string[], dir: string, busyTimeoutMs?: number): Promise<{ set: string; copies: Map<string, string> } | null> {
  const copies = new Map<string, string>();
  const databases: string[] = [];
  for (const f of files) {
    const aside = (await notADatabase(f)) ? keepAside(f) : null;
    if (aside) copies.set(f, aside);
    else databases.push(f);
  }
  if (!databases.length) return copies.size ? { set: '', copies } : null;
  const made = await createBackup({ files: databases, dir, reason: 'before-restore', busyTimeoutMs });
  for (const entry of made.manifest.files) copies.set(entry.source, path.join(made.path, entry.name));
  return { set: made.id, copies };
}

/** True when the file cannot be opened as a database (so it is kept by renaming). */
async function notADatabase(file: string): Promise<boolean> {
  try {
    await (await openFile(file, { readonly: true })).close();
    return false;
  } catch (e) {
    if (e instanceof FerryError && (e.code === 'NOT_SQLITE' || e.code === 'CORRUPT')) return true;
    throw e;
  }
}

/** Renames a file that is not a usable database aside (with its -wal and -shm). */
function keepAside(dest: string): string {
  const aside = `${dest}.before-restore-${timestampName()}`;
  removeSqliteFiles(aside);
  for (const s of ['', '-wal', '-shm']) if (fs.existsSync(dest + s)) fs.renameSync(dest + s, aside + s);
  return aside;
}

function sameCounts(a: Record<string, number>, b: Record<string, number>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}
