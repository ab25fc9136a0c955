import fs from 'node:fs';
import path from 'node:path';
import { fileRoleOf } from '../backup/file-database.js';
import type { ConsolidationRole, PieceEvent, TargetBuild } from '../engine/consolidation-role.js';
import { FerryError } from '../errors.js';
import { fsyncDir, fsyncFile, removeSqliteFiles } from '../util/fs-atomic.js';
import type { ConsolidateEvent } from './events.js';
import type { BuildTargetInput, PlannedPiece, PlannedTable, PlannedTarget } from './plan-types.js';
import type { TargetReport } from './report-types.js';
import { stateDir } from './run-state.js';
import { finalizeFile, readReport, targetReport } from './target-report.js';
import { transformRow } from './transform-stage.js';

/** The temporary file a target is built in before it is renamed into place. */
export function partialPath(targetDir: string, file: string): string {
  return path.join(stateDir(targetDir), `${file}.partial`);
}

/**
 * Builds one target file. Rows are read from the backup copies (one consistent snapshot per
 * source, and the sources themselves are never opened for writing). The file is built under
 * `.ferry/` by its engine, which records its progress in the same transactions as the rows, so a
 * killed run resumes chunk by chunk without duplicating a row; it is renamed into place only when
 * complete.
 */
export async function buildTarget(input: BuildTargetInput): Promise<TargetReport> {
  const { target, targetDir } = input;
  const started = Date.now();
  const role = fileRoleOf(target.path, 'consolidation');
  const tmp = partialPath(targetDir, target.file);
  fs.mkdirSync(path.dirname(tmp), { recursive: true });
  const state = fs.existsSync(tmp) ? await role.partialState(tmp, input.fingerprint) : 'none';
  input.onEvent({ type: 'target-start', target: target.file, resumed: state === 'resume' });
  if (state === 'finalized') return finishRename(input, tmp, started, readReport(targetDir, target.file));
  if (state === 'discard') removeSqliteFiles(tmp);

  const build = await role.openTargetBuild(tmp, { busyTimeoutMs: input.busyTimeoutMs });
  try {
    await build.start(state === 'resume' ? null : { fingerprint: input.fingerprint, targetFile: target.file, tables: target.tables });
    for (const table of target.tables) await buildTable(build, input, table);
    const postFailures = await build.finishObjects(target.postSql, sequencesOf(input, target));
    const report = targetReport(input, await build.summary(target.tables), postFailures);
    await finalizeFile(build, input, report);
    return finishRename(input, tmp, started, report);
  } catch (e) {
    throw explained(role, e, target.path);
  } finally {
    await build.close();
  }
}

/**
 * Fills one table: its pieces in order, then its indexes, built once over all rows as a bulk
 * sort. Only the unique ones are needed earlier, to find conflicts when more sources are merged.
 */
async function buildTable(build: TargetBuild, input: BuildTargetInput, table: PlannedTable): Promise<void> {
  const where = `${input.target.file}:${table.name}`;
  const merged = table.pieces.length > 1;
  for (let i = 0; i < table.pieces.length; i++) {
    await copyPiece(build, input, table, table.pieces[i]!);
    if (i === 0 && merged)
      await build.createIndexes(
        `unique-indexes:${table.name}`,
        table.indexes.filter((x) => x.unique),
        where,
      );
  }
  await build.createIndexes(
    `indexes:${table.name}`,
    table.indexes.filter((x) => !merged || !x.unique),
    where,
  );
}

/** Copies one piece from its source's backup copy, reporting progress as the run's events. */
async function copyPiece(build: TargetBuild, input: BuildTargetInput, table: PlannedTable, piece: PlannedPiece): Promise<void> {
  const backupFile = input.backupFiles.get(piece.source);
  if (!backupFile) throw new FerryError('INTERNAL', `No backup copy recorded for ${piece.source}.`);
  const base = { target: input.target.file, table: table.name, source: piece.source, sourceTable: piece.sourceTable };
  await build.copyPiece(table, piece, {
    backupFile,
    targetFile: input.target.file,
    transform: piece.rowFn ? (raw) => transformRow(piece, raw) : undefined,
    onEvent: (e: PieceEvent) => {
      const { type, ...rest } = e;
      input.onEvent({ type, ...base, ...rest } as ConsolidateEvent);
    },
  });
}

/** The AUTOINCREMENT tables and the backup copies whose sequences they carry on. */
function sequencesOf(input: BuildTargetInput, target: PlannedTarget) {
  return target.tables
    .filter((t) => t.autoincrement)
    .map((t) => ({ table: t.name, sources: t.pieces.map((p) => ({ file: input.backupFiles.get(p.source)!, table: p.sourceTable })) }));
}

/** An error while building, as the engine explains it (a FerryError stays as it is). */
function explained(role: ConsolidationRole, e: unknown, subject: string): FerryError {
  return role.explainError(e, subject, 'building');
}

function finishRename(input: BuildTargetInput, tmp: string, started: number, report: TargetReport | null): TargetReport {
  if (!report) throw new FerryError('STALE_STATE', `Found a finished ${tmp} without its report.`, { subject: tmp, hint: `Delete ${tmp} and run again.` });
  fsyncFile(tmp);
  for (const s of ['-wal', '-shm']) fs.rmSync(input.target.path + s, { force: true });
  fs.renameSync(tmp, input.target.path);
  for (const s of ['-wal', '-shm']) fs.rmSync(tmp + s, { force: true });
  fsyncDir(input.targetDir);
  input.onEvent({ type: 'target-done', target: input.target.file, path: input.target.path, ms: Date.now() - started });
  return report;
}
