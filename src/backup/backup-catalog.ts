import fs from 'node:fs';
import path from 'node:path';
import { FerryError } from '../errors.js';
import { roleOf } from '../engines/registry.js';
import { sha256File, writeFileAtomic } from '../util/fs-atomic.js';
import { fileRoleOf } from './file-database.js';
import { MANIFEST_NAME, SET_NAME_PATTERN, type BackupFileEntry, type BackupManifest } from './manifest.js';
import { checkDump } from './server-dumps.js';

/** A backup set found on disk. */
export interface BackupSetInfo {
  id: string;
  path: string;
  createdAt: string;
  reason: string;
  files: number;
  bytes: number;
  manifest: BackupManifest;
  /** Why the set cannot be used, when its manifest is missing or damaged. */
  damaged?: string;
}

/** Reads a set's manifest, with a clear error when it is missing or unreadable. */
export function readManifest(setDir: string): BackupManifest {
  const file = path.join(setDir, MANIFEST_NAME);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new FerryError('BACKUP_MISSING', `${setDir} is not a ferry backup set (no ${MANIFEST_NAME}).`, {
      subject: setDir,
      hint: 'List the sets with `ferry backups`.',
    });
  }
  try {
    const m = JSON.parse(text) as BackupManifest;
    if (m.format !== 'ferry-backup/1' || !Array.isArray(m.files)) throw new Error('unknown format');
    return m;
  } catch (e) {
    throw new FerryError('BACKUP_INVALID', `The manifest of ${setDir} is damaged (${(e as Error).message}).`, {
      subject: file,
      hint: 'Use another backup set.',
    });
  }
}

/** Lists complete backup sets in a folder, newest first. */
export function listBackups(dir: string): BackupSetInfo[] {
  if (!fs.existsSync(dir)) return [];
  const out: BackupSetInfo[] = [];
  for (const name of fs.readdirSync(dir)) {
    if (!SET_NAME_PATTERN.test(name)) continue;
    const p = path.join(dir, name);
    if (!fs.existsSync(path.join(p, MANIFEST_NAME))) continue;
    let manifest: BackupManifest;
    try {
      manifest = readManifest(p);
    } catch (e) {
      // One damaged set must not hide the others; it is listed as damaged and never chosen as latest.
      const when = fs.statSync(p).mtime.toISOString();
      out.push({
        id: name,
        path: p,
        createdAt: when,
        reason: 'damaged',
        files: 0,
        bytes: 0,
        manifest: { format: 'ferry-backup/1', createdAt: when, reason: 'damaged', files: [] },
        damaged: (e as Error).message,
      });
      continue;
    }
    const failed = failedCheck(p);
    out.push({
      id: name,
      path: p,
      createdAt: manifest.createdAt,
      reason: manifest.reason,
      files: manifest.files.length,
      bytes: manifest.files.reduce((s, f) => s + f.size, 0),
      manifest,
      ...(failed ? { damaged: failed } : {}),
    });
  }
  return out.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : b.id.localeCompare(a.id)));
}

/** Why the set's last deep check failed, or undefined (never checked, or passed). */
function failedCheck(setDir: string): string | undefined {
  try {
    const check = JSON.parse(fs.readFileSync(path.join(setDir, CHECK_NAME), 'utf8')) as { ok: boolean; problems: BackupProblem[]; checkedAt: string };
    return check.ok ? undefined : `failed its check at ${check.checkedAt}: ${check.problems.map((p) => `${p.file}: ${p.problem}`).join('; ')}`;
  } catch {
    return undefined;
  }
}

/**
 * Finds a set by id or path; `latest` (or nothing) means the newest usable one. A set named by id
 * or path that failed its check (or whose manifest is damaged) is refused with the reason: a restore
 * from it would bring back what the check found wrong.
 */
export function findBackup(dir: string, which?: string): BackupSetInfo {
  if (which && which !== 'latest' && fs.existsSync(path.join(which, MANIFEST_NAME))) {
    const manifest = readManifest(which);
    const setPath = path.resolve(which);
    const failed = failedCheck(setPath);
    return usable({
      id: path.basename(setPath),
      path: setPath,
      createdAt: manifest.createdAt,
      reason: manifest.reason,
      files: manifest.files.length,
      bytes: manifest.files.reduce((s, f) => s + f.size, 0),
      manifest,
      ...(failed ? { damaged: failed } : {}),
    });
  }
  const all = listBackups(dir);
  const named = which && which !== 'latest' ? all.find((s) => s.id === which) : undefined;
  if (named) return usable(named);
  const sets = all.filter((s) => !s.damaged);
  if (sets.length === 0)
    throw new FerryError('BACKUP_MISSING', all.length ? `No usable backup sets in ${dir}: every set there is damaged.` : `No backup sets in ${dir}.`, {
      subject: dir,
      hint: all.length
        ? '`ferry backups` says why each is damaged; `ferry backups --check` again clears a set whose check failed for another reason.'
        : 'Make one with `ferry backup FILE`, or point --dir / --from at the folder that holds them.',
    });
  // "latest" is the newest set someone made to go back to, not what a restore kept of the files it replaced.
  if (!which || which === 'latest') return sets.find((s) => s.reason !== 'before-restore') ?? sets[0]!;
  throw new FerryError('BACKUP_MISSING', `No backup set "${which}" in ${dir}.`, { subject: which, hint: `Known sets: ${sets.map((s) => s.id).join(', ')}` });
}

/** The set itself, or BACKUP_INVALID naming why it is damaged. */
function usable(set: BackupSetInfo): BackupSetInfo {
  if (!set.damaged) return set;
  throw new FerryError('BACKUP_INVALID', `The backup set ${set.id} is damaged (${set.damaged}). Nothing was restored.`, {
    subject: set.path,
    hint: 'Restore from another set (`ferry backups` lists them, and why this one is damaged). A set that passes `ferry backups --check` again is no longer marked.',
  });
}

/** One problem found when checking a set. */
export interface BackupProblem {
  file: string;
  problem: string;
}

/** How deep a check goes. */
export interface CheckOptions {
  /** Dumps are restored into a scratch database and their digests compared with the manifest's (`ferry backups --check`). */
  deep?: boolean;
  /** The server the scratch databases go on (default: DATABASE_URL, else the dump's recorded source). */
  url?: string;
}

/**
 * Checks every file of a set: present, same SHA-256 as recorded, and passing integrity_check (a
 * dump: its table of contents reads; `deep`: it restores to exactly the rows the manifest lists).
 */
export async function checkBackup(setDir: string, only?: string[], options: CheckOptions = {}): Promise<BackupProblem[]> {
  const manifest = readManifest(setDir);
  const problems: BackupProblem[] = [];
  for (const f of manifest.files) {
    if (only && !only.includes(f.name)) continue;
    const p = path.join(setDir, f.name);
    if (!fs.existsSync(p)) {
      problems.push({ file: f.name, problem: 'missing from the set' });
      continue;
    }
    const sha = await sha256File(p);
    if (sha !== f.sha256) {
      problems.push({ file: f.name, problem: `SHA-256 differs from the manifest (${sha.slice(0, 12)}… vs ${f.sha256.slice(0, 12)}…)` });
      continue;
    }
    if (f.method === 'dump') {
      problems.push(...(await checkDumpFile(p, f, options)));
      continue;
    }
    let integrity: string;
    try {
      integrity = await fileRoleOf(p, 'backup').integrityCheck(p);
    } catch (e) {
      integrity = (e as Error).message;
    }
    if (integrity !== 'ok') problems.push({ file: f.name, problem: `integrity_check: ${integrity}` });
  }
  return problems;
}

/** A dump's check: its table of contents reads, and (deep) a test restore holds the manifest's rows. */
async function checkDumpFile(file: string, entry: BackupFileEntry, options: CheckOptions): Promise<BackupProblem[]> {
  const role = roleOf(entry.dialect ?? 'postgres', 'serverBackup');
  const readable = await role.readable(file);
  if (readable !== 'ok') return [{ file: entry.name, problem: `its table of contents does not read: ${readable}` }];
  if (!options.deep) return [];
  try {
    return (await checkDump(file, entry, options.url ?? process.env.DATABASE_URL)).map((problem) => ({ file: entry.name, problem }));
  } catch (e) {
    if (e instanceof FerryError && (e.code === 'USAGE' || e.code === 'CONNECT' || e.code === 'AUTH' || e.code === 'PRIVILEGE')) throw e;
    return [{ file: entry.name, problem: `the test restore failed: ${(e as Error).message}` }];
  }
}

/** What a deep check found, kept in the set (`check.json`): a set that failed is damaged, never "latest". */
export const CHECK_NAME = 'check.json';

export function recordCheck(setDir: string, problems: BackupProblem[]): void {
  writeFileAtomic(path.join(setDir, CHECK_NAME), JSON.stringify({ checkedAt: new Date().toISOString(), ok: problems.length === 0, problems }, null, 2) + '\n');
}
