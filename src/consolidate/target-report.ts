import fs from 'node:fs';
import path from 'node:path';
import type { BuildSummary, TargetBuild } from '../engine/consolidation-role.js';
import { writeFileAtomic } from '../util/fs-atomic.js';
import type { BuildTargetInput } from './plan-types.js';
import type { TableReport, TargetReport } from './report-types.js';
import { stateDir } from './run-state.js';

/** The report of a finished build, from what the engine read of its progress records. */
export function targetReport(input: BuildTargetInput, summary: BuildSummary, postFailures: string[]): TargetReport {
  const tables: TableReport[] = input.target.tables.map((t, i) => {
    const s = summary.tables[i]!;
    const pieces = t.pieces.map((p, j) => ({ source: p.source, sourceTable: p.sourceTable, ...s.pieces[j]! }));
    return {
      target: input.target.file,
      table: t.name,
      rows: s.rows,
      skipped: pieces.reduce((sum, p) => sum + p.skipped, 0),
      replaced: pieces.reduce((sum, p) => sum + p.replaced, 0),
      removedDigest: s.removedDigest,
      pieces,
      notes: t.notes,
    };
  });
  const anyRejects = tables.some((t) => t.skipped + t.replaced > 0);
  return {
    target: input.target.file,
    path: input.target.path,
    fingerprint: input.fingerprint,
    backupSet: input.backupSet,
    finishedAt: new Date().toISOString(),
    tables,
    rejectsFile: anyRejects ? rejectsPath(input.targetDir, input.target.file) : null,
    foreignKeyProblems: summary.foreignKeyProblems,
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

/**
 * Writes the rejects and the report, then has the engine seal the file (ferry's progress records
 * dropped): a file without them is finished, so its report must already be on disk.
 */
export async function finalizeFile(build: TargetBuild, input: BuildTargetInput, report: TargetReport): Promise<void> {
  const rp = rejectsPath(input.targetDir, input.target.file);
  if (report.rejectsFile) {
    const lines = (await build.rejects()).map((r) =>
      JSON.stringify({
        target: input.target.file,
        table: r.table,
        source: r.source,
        sourceTable: r.sourceTable,
        action: r.action,
        key: r.key,
        reason:
          r.action === 'skipped'
            ? 'a row with the same key was already in the target (onConflict: skip)'
            : `replaced by the row from ${r.source}:${r.sourceTable} (onConflict: replace)`,
      }),
    );
    writeFileAtomic(rp, lines.join('\n') + '\n');
  } else fs.rmSync(rp, { force: true });
  writeFileAtomic(reportPath(input.targetDir, input.target.file), JSON.stringify(report, null, 2) + '\n');
  await build.seal({ wal: input.target.wal });
}
