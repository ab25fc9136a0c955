import fs from 'node:fs';
import path from 'node:path';
import { deviceOf, freeBytes, nearestExisting } from '../util/disk-space.js';
import type { ConsolidatePlan, DuplicateKeys, PlannedSource, PlannedTarget, Problem } from './plan-types.js';
import { readRunState } from './run-state.js';

/**
 * What the run would refuse on, told by the dry-run too: a target that already exists (unless a
 * resumable run of this same plan made it) and a target folder that cannot be created.
 */
export function targetProblems(targets: PlannedTarget[], targetDir: string, force: boolean | undefined): Problem[] {
  const out: Problem[] = [];
  const existing = nearestExisting(targetDir);
  if (!fs.statSync(existing).isDirectory()) {
    out.push({
      severity: 'error',
      code: 'UNWRITABLE',
      message: `Cannot create the target folder ${targetDir}: ${existing} is a file.`,
      subject: targetDir,
      hint: 'Check consolidate.targetDir.',
    });
  }
  const state = readRunState(targetDir);
  for (const t of targets) {
    if (!fs.existsSync(t.path) || state?.completed.includes(t.file)) continue;
    out.push({
      severity: force ? 'warning' : 'error',
      code: 'TARGET_EXISTS',
      message: `Target ${t.path} already exists${force ? ' and will be replaced (backed up first)' : ''}.`,
      subject: t.path,
      hint: 'Run with --force to replace it (it is backed up first), or choose another targetDir.',
    });
  }
  return out;
}

/** A target at a source's own path would be written over the source: refused, with or without --force. */
export function samePathProblems(targets: PlannedTarget[], sources: PlannedSource[]): Problem[] {
  const real = (p: string) => {
    try {
      return fs.realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  const out: Problem[] = [];
  for (const t of targets) {
    const clash = sources.find((s) => real(s.path) === real(t.path));
    if (clash) {
      out.push({
        severity: 'error',
        code: 'TARGET_IS_SOURCE',
        message: `The target ${t.path} is the source ${clash.name} itself; consolidating would overwrite the source.`,
        subject: t.path,
        hint: 'Choose a targetDir other than sourceDir, or another target file name.',
      });
    }
  }
  return out;
}

/**
 * Tables without a key merged from several sources: nothing can collide, so rows found in two
 * sources would be kept twice. Their whole row becomes their key (for onConflict skip/replace),
 * and a note, or a warning when every row is simply appended.
 */
export function keylessMergeProblems(targets: PlannedTarget[]): Problem[] {
  const out: Problem[] = [];
  for (const t of targets) {
    for (const tb of t.tables) {
      if (tb.pieces.length < 2 || tb.keys.length) continue;
      tb.wholeRowKey = tb.pieces[0]!.columns;
      const dedupe = tb.pieces.slice(1).some((p) => p.onConflict !== 'error');
      tb.notes.push(
        dedupe ? 'no key: rows equal in every column to a row of an earlier source are dropped (onConflict)' : 'no key: rows from every source are appended',
      );
      if (!dedupe) {
        out.push({
          severity: 'warning',
          code: 'KEYLESS_MERGE',
          message: `${t.file}:${tb.name} has no primary key or unique constraint and is merged from ${tb.pieces.map((p) => p.source).join(', ')}: every row is appended, so a row found in two sources appears twice.`,
          subject: `${t.file}:${tb.name}`,
          hint: 'Set "onConflict": "skip" for this table to drop rows equal in every column to one already written (listed in the rejects file), or give the table a key.',
        });
      }
    }
  }
  return out;
}

/** Shared keys the run would stop on (policy error), and whole rows it would keep twice. */
export function duplicateProblems(duplicates: DuplicateKeys[]): Problem[] {
  const out: Problem[] = [];
  for (const d of duplicates) {
    if (d.wholeRow) {
      if (d.policy === 'error')
        out.push({
          severity: 'warning',
          code: 'KEYLESS_MERGE',
          message: `${d.count} row(s) of ${d.target}:${d.table} are in both ${d.sources[0]} and ${d.sources[1]} (e.g. ${d.examples.join(', ')}) and will appear twice.`,
          subject: `${d.target}:${d.table}`,
          hint: 'Set "onConflict": "skip" for this table to drop the whole-row duplicates.',
        });
    } else if (d.policy === 'error') {
      out.push({
        severity: 'error',
        code: 'CONFLICT',
        message: `${d.count} key(s) of ${d.target}:${d.table} appear in both ${d.sources[0]} and ${d.sources[1]} (e.g. ${d.examples.join(', ')}).`,
        subject: `${d.target}:${d.table}`,
        hint: 'Set "onConflict": "skip" or "replace" for this table, or fix the data.',
      });
    }
  }
  return out;
}

/**
 * The disk the run needs: the backup and the targets each take about the sources' size, on one
 * disk or two.
 */
export function spaceCheck(
  sources: PlannedSource[],
  targetDir: string,
  backupDir: string,
  probe: (dir: string) => number = freeBytes,
): { space: ConsolidatePlan['space']; problems: Problem[] } {
  const problems: Problem[] = [];
  const sourceBytes = sources.reduce((s, x) => s + x.bytes, 0);
  const sameDevice = safeDevice(targetDir) === safeDevice(backupDir);
  const neededBytes = sameDevice ? 2 * sourceBytes : sourceBytes;
  const free = probe(targetDir);
  if (free < neededBytes)
    problems.push({
      severity: 'error',
      code: 'DISK_FULL',
      message: `Not enough free disk in ${targetDir}: ${free} bytes free, ${neededBytes} needed (backup and targets, twice the ${sourceBytes} bytes of sources).`,
      subject: targetDir,
      hint: 'Free disk space, or put targetDir/backupDir on a larger disk.',
    });
  if (!sameDevice && probe(backupDir) < sourceBytes)
    problems.push({
      severity: 'error',
      code: 'DISK_FULL',
      message: `Not enough free disk in ${backupDir} for the backup (${sourceBytes} bytes needed).`,
      subject: backupDir,
      hint: 'Free disk space or choose another backupDir.',
    });
  return { space: { sourceBytes, neededBytes, freeBytes: free, dir: targetDir }, problems };
}

function safeDevice(p: string): number {
  try {
    return deviceOf(p);
  } catch {
    return -1;
  }
}
