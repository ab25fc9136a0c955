/**
 * The pre-flight of a copy into a SQLite file: its folder exists and has room for what is left to
 * write. A dry run opens the file read-only, and not at all when it does not exist, so it creates
 * nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Preflight, PreflightOptions } from '../../engine/copy-roles.js';
import type { CopyPlan } from '../../engine/copy-plan.js';
import { FerryError } from '../../errors.js';
import { formatBytes, freeBytes, nearestExisting } from '../../util/disk-space.js';
import { removeSqliteFiles, sqliteDiskSize } from '../../util/fs-atomic.js';
import { openSqlite } from './sqlite-engine.js';

/** Checks the target file's folder and free space, then opens it (creating it unless a dry run). */
export function preflightSqliteTarget(file: string, displayUrl: string, plan: CopyPlan, options: PreflightOptions): Preflight {
  const checks: string[] = [];
  const dir = path.dirname(file);
  if (!fs.existsSync(dir))
    throw new FerryError('UNWRITABLE', `The folder ${dir} for ${displayUrl} does not exist.`, {
      subject: dir,
      hint: 'Create the folder first, or pick another path.',
    });
  const free = freeBytes(nearestExisting(dir));
  // Rows take about as much room as in the source; indexes and the journal need some slack. What
  // an interrupted copy already wrote there counts, so a resume asks only for what is left.
  const need = remainingBytes(options.sourceBytes, file, plan);
  if (free < need) {
    throw new FerryError('DISK_FULL', `${dir} has ${formatBytes(free)} free; the copy needs about ${formatBytes(need)} more.`, {
      subject: dir,
      hint: `Free at least ${formatBytes(need - free)} or copy to another disk.`,
    });
  }
  checks.push(`${dir} has ${formatBytes(free)} free; the copy needs about ${formatBytes(need)}`);
  const exists = fs.existsSync(file);
  if (options.dryRun) {
    if (!exists) return { engine: null, checks };
    return { engine: openSqlite(file, { readonly: true, busyTimeoutMs: options.busyTimeoutMs }), checks };
  }
  const engine = openSqlite(file, { mustExist: false, busyTimeoutMs: options.busyTimeoutMs });
  // better-sqlite3 turns foreign key enforcement on; tables load in any order (biggest first), so
  // a child row may arrive before its parent. The check runs once everything is in (post-load).
  engine.db.pragma('foreign_keys = OFF');
  // A file this run created goes again if the run fails before its schema is committed: bad input
  // leaves nothing behind.
  return exists ? { engine, checks } : { engine, checks, discard: () => removeSqliteFiles(file) };
}

/**
 * Bytes a copy still needs on a SQLite target. Before anything is written: about 1.2 times the
 * source. Once rows are in the file, what they took per row says more than the source's size
 * (UUIDs and date-times take more room as SQLite text than in PostgreSQL), so the rows left are
 * priced at that rate; the larger of the two estimates wins.
 */
export function remainingBytes(sourceBytes: number, file: string, plan: CopyPlan): number {
  if (!fs.existsSync(file)) return Math.ceil(sourceBytes * 1.2);
  const size = sqliteDiskSize(file);
  const bySource = Math.ceil(sourceBytes * 1.2) - size;
  const written = rowsWritten(file, plan);
  const total = plan.tables.reduce((n, t) => n + t.rowEstimate, 0);
  const byRate = written > 0 ? Math.ceil((size / written) * Math.max(0, total - written) * 1.1) : 0;
  return Math.max(0, bySource, byRate);
}

/** Rows already in the planned tables of a SQLite target (0 where a table is not there yet). */
function rowsWritten(file: string, plan: CopyPlan): number {
  let engine;
  try {
    engine = openSqlite(file, { readonly: true });
  } catch {
    return 0;
  }
  try {
    const present = new Set((engine.db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
    let n = 0;
    for (const t of plan.tables) {
      if (present.has(t.target)) n += Number((engine.db.prepare(`SELECT count(*) AS n FROM ${engine.quoteIdent(t.target)}`).get() as { n: number }).n);
    }
    return n;
  } catch {
    return 0;
  } finally {
    void engine.close();
  }
}
