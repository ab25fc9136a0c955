import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { PROGRESS_TABLES } from '../engines/sqlite/sqlite-attach-copy.js';
import { quoteSqliteIdent as q } from '../engines/sqlite/sqlite-tokens.js';
import { writeFileAtomic } from '../util/fs-atomic.js';
import type { BuildTargetInput } from './plan-types.js';
import type { TableReport, TargetReport } from './report-types.js';
import { stateDir } from './run-state.js';

interface ProgressCounts {
  rows: bigint;
  skipped: bigint;
  replaced: bigint;
}

/** Reads what a finished build did from its progress tables (before they are dropped). */
export function collectReport(db: Database.Database, input: BuildTargetInput, postFailures: string[]): TargetReport {
  const tables: TableReport[] = input.target.tables.map((t) => {
    const pieces = t.pieces.map((p) => {
      const r = db.prepare(`SELECT rows, skipped, replaced FROM _ferry_progress WHERE step = ?`).get(`copy:${t.name}:${p.id}`) as ProgressCounts;
      return { source: p.source, sourceTable: p.sourceTable, inserted: Number(r.rows), skipped: Number(r.skipped), replaced: Number(r.replaced) };
    });
    const removed = db.prepare(`SELECT digest FROM _ferry_removed WHERE target_table = ?`).pluck().get(t.name) as string | undefined;
    return {
      target: input.target.file,
      table: t.name,
      rows: Number(
        db
          .prepare(`SELECT count(*) FROM ${q(t.name)}`)
          .pluck()
          .get() as bigint,
      ),
      skipped: pieces.reduce((s, p) => s + p.skipped, 0),
      replaced: pieces.reduce((s, p) => s + p.replaced, 0),
      removedDigest: removed ?? null,
      pieces,
      notes: t.notes,
    };
  });
  const fk = db.prepare(`PRAGMA foreign_key_check`).all() as { table: string }[];
  const fkCounts = new Map<string, number>();
  for (const r of fk) fkCounts.set(r.table, (fkCounts.get(r.table) ?? 0) + 1);
  const anyRejects = tables.some((t) => t.skipped + t.replaced > 0);
  return {
    target: input.target.file,
    path: input.target.path,
    fingerprint: input.fingerprint,
    backupSet: input.backupSet,
    finishedAt: new Date().toISOString(),
    tables,
    rejectsFile: anyRejects ? rejectsPath(input.targetDir, input.target.file) : null,
    foreignKeyProblems: [...fkCounts].map(([table, count]) => ({ table, count })),
    postFailures,
  };
}

/** Where the skipped/replaced rows of a target are listed. */
export function rejectsPath(targetDir: string, file: string): string {
  return path.join(targetDir, `${file}.rejects.jsonl`);
}

/** Where a target's run report is kept (read by --verify). */
export function reportPath(targetDir: string, file: string): string {
  return path.join(stateDir(targetDir), `${file}.report.json`);
}

/** Reads a target's run report, or null when there is none. */
export function readReport(targetDir: string, file: string): TargetReport | null {
  try {
    return JSON.parse(fs.readFileSync(reportPath(targetDir, file), 'utf8')) as TargetReport;
  } catch {
    return null;
  }
}

/** Writes the rejects and the report, then strips ferry's own tables from the finished file. */
export function finalizeFile(db: Database.Database, input: BuildTargetInput, report: TargetReport): void {
  const rp = rejectsPath(input.targetDir, input.target.file);
  if (report.rejectsFile) {
    const lines = (
      db.prepare(`SELECT target_table, source, source_table, action, key FROM _ferry_rejects ORDER BY id`).all() as {
        target_table: string;
        source: string;
        source_table: string;
        action: string;
        key: string;
      }[]
    ).map((r) =>
      JSON.stringify({
        target: input.target.file,
        table: r.target_table,
        source: r.source,
        sourceTable: r.source_table,
        action: r.action,
        key: JSON.parse(r.key) as unknown,
        reason:
          r.action === 'skipped'
            ? 'a row with the same key was already in the target (onConflict: skip)'
            : `replaced by the row from ${r.source}:${r.source_table} (onConflict: replace)`,
      }),
    );
    writeFileAtomic(rp, lines.join('\n') + '\n');
  } else fs.rmSync(rp, { force: true });
  writeFileAtomic(reportPath(input.targetDir, input.target.file), JSON.stringify(report, null, 2) + '\n');
  db.transaction(() => {
    for (const t of PROGRESS_TABLES) db.exec(`DROP TABLE ${t}`);
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.pragma('journal_mode = DELETE');
  if (input.target.wal) db.pragma('journal_mode = WAL');
  db.close();
}
