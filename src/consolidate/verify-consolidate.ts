import fs from 'node:fs';
import os from 'node:os';
import type { ConsolidateConfig } from '../config/types.js';
import type { Engine } from '../engine/types.js';
import type { DigestPool } from '../engine/verify-roles.js';
import { fileRoleOf, openFile } from '../backup/file-database.js';
import { FerryError } from '../errors.js';
import { ChecksumAccumulator } from '../values/checksum.js';
import { firstDifferences, keyedRows, mergedInKeyOrder, type RowDifference } from '../verify/row-differences.js';
import { buildPlan } from './build-plan.js';
import { readReport } from './target-report.js';
import { transformRow } from './transform-stage.js';
import type { PlannedPiece, PlannedTable, PlannedTarget } from './plan-types.js';

/** Options of `ferry consolidate --verify` / `verifyConsolidation()`. */
export interface VerifyConsolidationOptions {
  config: ConsolidateConfig;
  baseDir: string;
  configFile?: string | null;
  busyTimeoutMs?: number;
  /** Look up the first differing rows of a table whose checksums disagree (default true). */
  detailed?: boolean;
  /** Worker threads reading in parallel (default: cores, at most 4). */
  workers?: number;
}

/** The verdict for one target table. */
export interface TableVerification {
  target: string;
  table: string;
  ok: boolean;
  /** Rows expected from the sources (after rows the run skipped or replaced on purpose). */
  sourceRows: number;
  targetRows: number;
  sourceChecksum: string;
  targetChecksum: string;
  /** Rows the run left out on purpose (listed in the rejects file). */
  removedRows: number;
  pieces: { source: string; sourceTable: string; rows: number }[];
  problem?: string;
  differences: RowDifference[];
}

/** All tables' verdicts. */
export interface VerifyConsolidationResult {
  ok: boolean;
  tables: TableVerification[];
  durationMs: number;
}

/**
 * Compares every mapped table's source rows (mapped columns, transforms applied) with the target
 * rows: counts and an order-independent checksum of the values as stored, by the files' engine's
 * digester, on worker threads in parallel. Every file is opened read-only.
 */
export async function verifyConsolidation(options: VerifyConsolidationOptions): Promise<VerifyConsolidationResult> {
  const started = Date.now();
  const plan = await buildPlan({
    config: options.config,
    baseDir: options.baseDir,
    configFile: options.configFile,
    busyTimeoutMs: options.busyTimeoutMs,
    freeBytes: () => Number.MAX_SAFE_INTEGER,
  });
  const errors = plan.problems.filter((p) => p.severity === 'error');
  if (errors.length) {
    const first = errors[0]!;
    throw new FerryError(first.code, first.message, { subject: first.subject, hint: first.hint, data: { problems: errors } });
  }
  const files = new OpenFiles(options.busyTimeoutMs);
  const digester = plan.targets.length ? fileRoleOf(plan.targets[0]!.path, 'digester') : null;
  const pool = digester?.pool(options.workers ?? defaultWorkers(), { busyTimeoutMs: options.busyTimeoutMs });
  try {
    const jobs: Promise<TableVerification>[] = [];
    for (const target of plan.targets) {
      const present = await tablesIn(target, files);
      for (const table of target.tables) jobs.push(verifyTable(pool!, files, target, table, present, plan.targetDir, options));
    }
    const tables = await Promise.all(jobs);
    return { ok: tables.every((t) => t.ok), tables, durationMs: Date.now() - started };
  } finally {
    await pool?.close();
    await files.close();
  }
}

/** Cores, at most 4: more workers than cores only compete. */
function defaultWorkers(): number {
  return Math.max(1, Math.min(4, os.availableParallelism?.() ?? os.cpus().length));
}

/** Read-only connections to the files being compared, opened once each and closed together. */
class OpenFiles {
  private readonly open = new Map<string, Promise<Engine>>();
  constructor(private readonly busyTimeoutMs?: number) {}

  get(file: string): Promise<Engine> {
    let e = this.open.get(file);
    if (!e) {
      e = openFile(file, { readonly: true, mustExist: true, busyTimeoutMs: this.busyTimeoutMs });
      this.open.set(file, e);
    }
    return e;
  }

  async close(): Promise<void> {
    await Promise.all([...this.open.values()].map(async (e) => (await e.catch(() => null))?.close()));
  }
}

/** The tables a target file holds, or null when the file does not exist. */
async function tablesIn(target: PlannedTarget, files: OpenFiles): Promise<Set<string> | null> {
  if (!fs.existsSync(target.path)) return null;
  const schema = await (await files.get(target.path)).introspect();
  return new Set(schema.tables.map((t) => t.name));
}

async function verifyTable(
  pool: DigestPool,
  files: OpenFiles,
  target: PlannedTarget,
  table: PlannedTable,
  present: Set<string> | null,
  targetDir: string,
  options: VerifyConsolidationOptions,
): Promise<TableVerification> {
  const base = {
    target: target.file,
    table: table.name,
    pieces: table.pieces.map((p) => ({ source: p.source, sourceTable: p.sourceTable, rows: p.rows })),
    differences: [] as RowDifference[],
  };
  const unchecked = { ...base, ok: false, sourceRows: 0, targetRows: 0, sourceChecksum: '', targetChecksum: '', removedRows: 0 };
  if (!present) return { ...unchecked, problem: `${target.path} does not exist (run ferry consolidate first)` };
  if (!present.has(table.name)) return { ...unchecked, problem: `table ${table.name} is missing from ${target.file}` };

  const cols = table.pieces[0]!.columns;
  const asStored = cols.map(() => null);
  const targetSum = pool.digest(await files.get(target.path), { table: table.name, columns: cols, logicals: asStored });
  const pieceSums = table.pieces.map(async (p) =>
    p.rowFn
      ? fileRoleOf(p.sourcePath, 'consolidation').digestTransformed(p.sourcePath, table, p, (raw) => transformRow(p, raw))
      : pool.digest(await files.get(p.sourcePath), { table: p.sourceTable, columns: cols, expressions: piecesExpressions(p, cols), logicals: asStored }),
  );
  const expected = new ChecksumAccumulator();
  for (const s of await Promise.all(pieceSums)) expected.merge(s);
  const removedDigest = readReport(targetDir, target.file)?.tables.find((t) => t.table === table.name)?.removedDigest;
  const removed = removedDigest ? ChecksumAccumulator.fromDigest(removedDigest) : new ChecksumAccumulator();
  expected.subtract(removed);
  const actual = await targetSum;
  const ok = expected.equals(actual);
  const result: TableVerification = {
    ...base,
    ok,
    sourceRows: expected.rows,
    targetRows: actual.rows,
    sourceChecksum: expected.digest(),
    targetChecksum: actual.digest(),
    removedRows: removed.rows,
  };
  if (!ok && options.detailed !== false) result.differences = await rowDifferences(files, target, table);
  return result;
}

/** A piece's SQL expressions over its source row, in the table's column order. */
function piecesExpressions(piece: PlannedPiece, columns: string[]): string[] {
  return columns.map((c) => piece.exprs[piece.columns.indexOf(c)]!);
}

/**
 * The first rows that differ, by the table's first unique key: the sources' rows merged in key
 * order (a later source's row wins a shared key only where it replaces), against the target's.
 * Rows from row transforms are not lined up (they exist only after the transform runs).
 */
async function rowDifferences(files: OpenFiles, target: PlannedTarget, table: PlannedTable, limit = 5): Promise<RowDifference[]> {
  const key = table.keys[0];
  if (!key) return [];
  const cols = table.pieces[0]!.columns;
  const keyIdx = key.map((k) => cols.indexOf(k));
  const asStored = cols.map(() => null);
  const read = { columns: cols, key: keyIdx, keyLogicals: keyIdx.map(() => null) };
  const targetEngine = await files.get(target.path);
  const reader = fileRoleOf(target.path, 'rowReader');
  const sources = await Promise.all(
    table.pieces
      .filter((p) => !p.rowFn)
      .map(async (p) => {
        const rows = reader.rowsInKeyOrder(await files.get(p.sourcePath), { ...read, table: p.sourceTable, expressions: piecesExpressions(p, cols) });
        return { rows: keyedRows(rows, keyIdx, asStored, reader.valueForms, p.source), replaces: p.onConflict === 'replace' };
      }),
  );
  return firstDifferences(
    { rows: mergedInKeyOrder(sources), columns: cols },
    { rows: keyedRows(reader.rowsInKeyOrder(targetEngine, { ...read, table: table.name }), keyIdx, asStored, reader.valueForms), columns: cols },
    limit,
  );
}
