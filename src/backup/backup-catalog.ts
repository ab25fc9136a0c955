import fs from 'node:fs';
import path from 'node:path';
import { FerryError } from '../errors.js';
import { sha256File } from '../util/fs-atomic.js';
import { fileRoleOf } from './file-database.js';
import { MANIFEST_NAME, SET_NAME_PATTERN, type BackupManifest } from './manifest.js';

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
    out.push({
      id: name,
      path: p,
      createdAt: manifest.createdAt,
      reason: manifest.reason,
      files: manifest.files.length,
      bytes: manifest.files.reduce((s, f) => s + f.size, 0),
      manifest,
    });
  }
  return out.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : b.id.localeCompare(a.id)));
}

/** Finds a set by id or path; `latest` (or nothing) means the newest. */
export function findBackup(dir: string, which?: string): BackupSetInfo {
  if (which && which !== 'latest' && fs.existsSync(path.join(which, MANIFEST_NAME))) {
    const manifest = readManifest(which);
    return {
      id: path.basename(path.resolve(which)),
      path: path.resolve(which),
      createdAt: manifest.createdAt,
      reason: manifest.reason,
      files: manifest.files.length,
      bytes: manifest.files.reduce((s, f) => s + f.size, 0),
      manifest,
    };
  }
  const sets = listBackups(dir).filter((s) => !s.damaged);
  if (sets.length === 0)
    throw new FerryError('BACKUP_MISSING', `No backup sets in ${dir}.`, {
      subject: dir,
      hint: 'Make one with `ferry backup FILE`, or point --dir / --from at the folder that holds them.',
    });
  // "latest" is the newest set someone made to go back to, not what a restore kept of the files it replaced.
  if (!which || which === 'latest') return sets.find((s) => s.reason !== 'before-restore') ?? sets[0]!;
  const found = sets.find((s) => s.id === which);
  if (!found)
    throw new FerryError('BACKUP_MISSING', `No backup set "${which}" in ${dir}.`, { subject: which, hint: `Known sets: ${sets.map((s) => s.id).join(', ')}` });
  return found;
}

/** One problem found when checking a set. */
export interface BackupProblem {
  file: string;
  problem: string;
}

/** Checks every file of a set: present, same SHA-256 as recorded, and passing integrity_check. */
export async function checkBackup(setDir: string, only?: string[]): Promise<BackupProblem[]> {
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
