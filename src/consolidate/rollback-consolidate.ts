import fs from 'node:fs';
import path from 'node:path';
import { checkBackup, findBackup, listBackups, type BackupSetInfo } from '../backup/backup-catalog.js';
import { fileRoleOf } from '../backup/file-database.js';
import { restoreBackup, type RestoredFile } from '../backup/restore-backup.js';
import { describeChanges, sourceChanges } from '../backup/source-changes.js';
import type { ConsolidateConfig } from '../config/types.js';
import { FerryError } from '../errors.js';
import { removeSqliteFiles, timestampName } from '../util/fs-atomic.js';
import { rejectsPath, reportPath } from './target-report.js';
import { stateDir } from './run-state.js';

/** Options of `ferry consolidate --rollback` / `rollbackConsolidation()`. */
export interface RollbackOptions {
  config: ConsolidateConfig;
  baseDir: string;
  /** A backup set id or folder; default: the newest set made by a consolidation. */
  from?: string;
  /** Roll back even though sources changed since the backup (they are kept as a set first anyway). */
  force?: boolean;
  busyTimeoutMs?: number;
}

/** What a rollback did. */
export interface RollbackResult {
  set: string;
  restored: RestoredFile[];
  /** The backup set that keeps the sources as they were just before the rollback. */
  sourcesKept: string | null;
  /** Consolidated files taken out of targetDir, and where a copy of each was kept. */
  removedTargets: { file: string; keptAt: string }[];
}

/**
 * Undoes a consolidation: checks the backup set is intact and that no source changed since it
 * (nothing is touched if either fails), keeps the current sources as a set of their own, restores
 * every source from the backup, then takes the consolidated files out of targetDir. Rows may
 * have been written to the consolidated files after the switch, so a copy of each is kept inside
 * the backup set (`rolled-back-<time>/`) rather than deleted outright.
 */
export async function rollbackConsolidation(options: RollbackOptions): Promise<RollbackResult> {
  const cfg = options.config;
  const targetDir = path.resolve(options.baseDir, cfg.targetDir);
  const backupDir = path.resolve(options.baseDir, cfg.backupDir ?? path.join(cfg.sourceDir, 'backup'));
  const set = consolidationBackup(backupDir, options.from);
  await refuseDamaged(set);
  await refuseChangedSources(set, options.force);
  const restored = await restoreBackup({ dir: backupDir, from: set.path, busyTimeoutMs: options.busyTimeoutMs });
  const targets = [...new Set(Object.values(cfg.sources).map((s) => s.target))];
  const removedTargets = await removeTargets(targets, targetDir, path.join(set.path, `rolled-back-${timestampName()}`), options.busyTimeoutMs);
  fs.rmSync(stateDir(targetDir), { recursive: true, force: true });
  return { set: set.path, restored: restored.restored, sourcesKept: restored.before, removedTargets };
}

/** The set to roll back from: the one named, else the newest a consolidation made. */
function consolidationBackup(backupDir: string, from: string | undefined): BackupSetInfo {
  if (from) return findBackup(backupDir, from);
  const set = listBackups(backupDir).find((s) => s.reason === 'consolidate' && !s.damaged);
  if (!set)
    throw new FerryError('BACKUP_MISSING', `No consolidation backup in ${backupDir}.`, {
      subject: backupDir,
      hint: 'Name one with --from DIR (ferry backups lists them).',
    });
  return set;
}

/** A set with a missing, altered or damaged file is refused before anything changes. */
async function refuseDamaged(set: BackupSetInfo): Promise<void> {
  const problems = await checkBackup(set.path);
  if (problems.length) {
    throw new FerryError(
      'BACKUP_INVALID',
      `The backup set ${set.path} is damaged: ${problems.map((p) => `${p.file}: ${p.problem}`).join('; ')}. Nothing was changed.`,
      { subject: set.path, hint: 'Roll back from another set with --from DIR.', data: { problems } },
    );
  }
}

/**
 * Writes made to a source after the backup would be thrown away by restoring it: stop and say
 * which, unless told to go on (the current sources are kept as a set by the restore anyway).
 */
async function refuseChangedSources(set: BackupSetInfo, force: boolean | undefined): Promise<void> {
  const changed = await sourceChanges(set.manifest.files.filter((f) => fs.existsSync(f.source)));
  if (changed.length && !force) {
    throw new FerryError(
      'SOURCES_CHANGED',
      `Sources changed since the backup ${set.path}: ${describeChanges(changed)}. Rolling back would discard those writes; nothing was changed.`,
      {
        subject: changed[0]!.source,
        hint: 'Move those rows yourself, or roll back anyway with --force (the current sources are kept as a backup set first, listed by ferry backups).',
        data: { changed },
      },
    );
  }
}

/** Takes the consolidated files (and their rejects and reports) out of targetDir, a copy of each kept in `keepDir`. */
async function removeTargets(targets: string[], targetDir: string, keepDir: string, busyTimeoutMs?: number): Promise<RollbackResult['removedTargets']> {
  const removed: RollbackResult['removedTargets'] = [];
  for (const file of targets) {
    const p = path.join(targetDir, file);
    if (!fs.existsSync(p)) continue;
    fs.mkdirSync(keepDir, { recursive: true });
    const kept = path.join(keepDir, file);
    await fileRoleOf(p, 'backup').snapshot(p, kept, { busyTimeoutMs, doing: 'keeping a copy of' });
    removeSqliteFiles(p);
    fs.rmSync(rejectsPath(targetDir, file), { force: true });
    fs.rmSync(reportPath(targetDir, file), { force: true });
    removed.push({ file, keptAt: kept });
  }
  return removed;
}
