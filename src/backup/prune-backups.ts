/**
 * `ferry backups prune`: retention for backup sets of every engine. Which sets stay is a pure
 * function of the sets and the policy (the newest N, the newest of each of the last N days and
 * weeks), so `--dry-run` shows exactly what a run would remove. One rule overrides the policy: the
 * newest set that passes its check always stays, so pruning can never leave nothing to restore.
 */
import fs from 'node:fs';
import { FerryError } from '../errors.js';
import { checkBackup, listBackups, type BackupSetInfo } from './backup-catalog.js';

export interface RetentionPolicy {
  keepLast?: number;
  keepDaily?: number;
  keepWeekly?: number;
}

export interface PruneOptions extends RetentionPolicy {
  dir: string;
  dryRun?: boolean;
}

export interface PruneDecision {
  id: string;
  createdAt: string;
  /** Why it stays (`last 3`, `daily 2026-12-05`, `weekly 2026-W49`, `the newest set that passes its check`); empty: removed. */
  keptFor: string[];
}

export interface PruneResult {
  dir: string;
  sets: PruneDecision[];
  removed: string[];
  dryRun: boolean;
}

/** Which sets a policy keeps, newest first; `passing` names the sets whose files check out. */
export function choosePrune(sets: Pick<BackupSetInfo, 'id' | 'createdAt'>[], policy: RetentionPolicy, passing: Set<string>): PruneDecision[] {
  const newestFirst = [...sets].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : b.id.localeCompare(a.id)));
  const decisions = newestFirst.map((s) => ({ id: s.id, createdAt: s.createdAt, keptFor: [] as string[] }));
  const usable = decisions.filter((d) => passing.has(d.id));
  usable.slice(0, policy.keepLast ?? 0).forEach((d, i) => d.keptFor.push(`last ${i + 1}`));
  const byPeriod = (count: number | undefined, period: (iso: string) => string, label: string) => {
    const seen = new Set<string>();
    for (const d of usable) {
      if (seen.size >= (count ?? 0)) break;
      const p = period(d.createdAt);
      if (seen.has(p)) continue;
      seen.add(p);
      d.keptFor.push(`${label} ${p}`);
    }
  };
  byPeriod(policy.keepDaily, (iso) => iso.slice(0, 10), 'daily');
  byPeriod(policy.keepWeekly, isoWeek, 'weekly');
  // Never prune down to nothing restorable.
  if (usable.length && !usable.some((d) => d.keptFor.length)) usable[0]!.keptFor.push('the newest set that passes its check');
  return decisions;
}

/** Applies the policy to the sets in `dir` (or, with dryRun, only says what it would remove). */
export async function pruneBackups(options: PruneOptions): Promise<PruneResult> {
  const counts = [options.keepLast, options.keepDaily, options.keepWeekly];
  if (counts.every((n) => n === undefined))
    throw new FerryError('USAGE', 'Say what to keep: --keep-last N, --keep-daily N and/or --keep-weekly N.', {
      hint: 'For example: ferry backups prune --keep-last 3 --keep-daily 7 --keep-weekly 4 --dry-run',
    });
  if (counts.some((n) => n !== undefined && !(Number.isInteger(n) && n >= 0)))
    throw new FerryError('USAGE', 'The --keep-* counts must be whole numbers, 0 or more.');
  const sets = listBackups(options.dir);
  const passing = new Set<string>();
  // The quick check (hashes, integrity, a dump's table of contents): a damaged set never counts as kept.
  for (const s of sets) if (!s.damaged && (await checkBackup(s.path)).length === 0) passing.add(s.id);
  const decisions = choosePrune(sets, options, passing);
  const removed = decisions.filter((d) => d.keptFor.length === 0).map((d) => d.id);
  if (!options.dryRun) for (const id of removed) fs.rmSync(sets.find((s) => s.id === id)!.path, { recursive: true, force: true });
  return { dir: options.dir, sets: decisions, removed, dryRun: options.dryRun === true };
}

/** `2026-W49`: the ISO 8601 week of a date (weeks start on Monday; week 1 holds the year's first Thursday). */
export function isoWeek(iso: string): string {
  const d = new Date(iso.slice(0, 10) + 'T00:00:00Z');
  // The Thursday of this week decides the week's year.
  d.setUTCDate(d.getUTCDate() + 4 - (d.getUTCDay() || 7));
  const yearStart = Date.UTC(d.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((d.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${d.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}
