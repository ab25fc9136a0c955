import fs from 'node:fs';
import Database from 'better-sqlite3';
import type { ConsolidateConfig } from '../config/types.js';
import { FerryError } from '../errors.js';
import { SqliteChecksumPool } from '../engines/sqlite/sqlite-checksum-pool.js';
import { checksumOnConnection } from '../engines/sqlite/sqlite-checksum.js';
import { quoteSqliteIdent as q } from '../engines/sqlite/sqlite-tokens.js';
import { ChecksumAccumulator } from '../values/checksum.js';
import { buildPlan } from './build-plan.js';
import { readReport } from './target-report.js';
import { createStage } from '../engines/sqlite/sqlite-consolidate-stage.js';
import { transformRow } from './transform-stage.js';
import type { PlannedPiece, PlannedTable, PlannedTarget } from './plan-types.js';
import { findRowDifferences, type RowDifference } from './row-differences.js';

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
 * rows: counts and an order-independent checksum of the values. Both sides are read read-only, on
 * worker threads in parallel.
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
  const pool = new SqliteChecksumPool(options.workers, options.busyTimeoutMs);
  try {
    const jobs: Promise<TableVerification>[] = [];
    for (const target of plan.targets) for (const table of target.tables) jobs.push(verifyTable(pool, target, table, plan.targetDir, options));
    const tables = await Promise.all(jobs);
    return { ok: tables.every((t) => t.ok), tables, durationMs: Date.now() - started };
  } finally {
    await pool.close();
  }
}

async function verifyTable(
  pool: SqliteChecksumPool,
  target: PlannedTarget,
  table: PlannedTable,
  targetDir: string,
  options: VerifyConsolidationOptions,
): Promise<TableVerification> {
  const cols = table.pieces[0]!.columns;
  const base = {
    target: target.file,
    table: table.name,
    pieces: table.pieces.map((p) => ({ source: p.source, sourceTable: p.sourceTable, rows: p.rows })),
    differences: [] as RowDifference[],
  };
  if (!fs.existsSync(target.path)) {
    return {
      ...base,
      ok: false,
      sourceRows: 0,
      targetRows: 0,
      sourceChecksum: '',
      targetChecksum: '',
      removedRows: 0,
      problem: `${target.path} does not exist (run ferry consolidate first)`,
    };
  }
  const hasTable = (() => {
    const db = new Database(target.path, { readonly: true });
    try {
      return db.prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?`).get(table.name) !== undefined;
    } finally {
      db.close();
    }
  })();
  if (!hasTable)
    return {
      ...base,
      ok: false,
      sourceRows: 0,
      targetRows: 0,
      sourceChecksum: '',
      targetChecksum: '',
      removedRows: 0,
      problem: `table ${table.name} is missing from ${target.file}`,
    };

  const targetSum = pool.checksum(target.path, { exprs: cols.map(q), from: q(table.name) });
  const pieceSums = table.pieces.map((p) =>
    p.rowFn
      ? Promise.resolve(checksumThroughRowFn(p, table))
      : pool.checksum(p.sourcePath, { exprs: cols.map((c) => p.exprs[p.columns.indexOf(c)]!), from: q(p.sourceTable) }),
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
  if (!ok && options.detailed !== false) result.differences = findRowDifferences(table, target.path);
  return result;
}

/** Source rows that go through a TS/JS transform are staged the way the run staged them, then summed. */
function checksumThroughRowFn(piece: PlannedPiece, table: PlannedTable): ChecksumAccumulator {
  const src = new Database(piece.sourcePath, { readonly: true });
  src.defaultSafeIntegers(true);
  const mem = new Database(':memory:');
  mem.defaultSafeIntegers(true);
  try {
    // Staged exactly as the run staged them: the target's column types decide each value's class.
    createStage(mem, table, piece);
    const ins = mem.prepare(`INSERT INTO temp._ferry_stage (${piece.columns.map(q).join(', ')}) VALUES (${piece.columns.map(() => '?').join(', ')})`);
    const total = new ChecksumAccumulator();
    const cols = piece.fnInputColumns!;
    let n = 0;
    const flush = () => {
      total.merge(checksumOnConnection(mem, { exprs: table.pieces[0]!.columns.map(q), from: 'temp._ferry_stage' }));
      mem.exec('DELETE FROM temp._ferry_stage');
      n = 0;
    };
    for (const raw of src
      .prepare(`SELECT ${cols.map(q).join(', ')} FROM ${q(piece.sourceTable)}`)
      .raw(true)
      .iterate() as IterableIterator<unknown[]>) {
      ins.run(transformRow(piece, raw));
      if (++n >= 5000) flush();
    }
    flush();
    return total;
  } finally {
    src.close();
    mem.close();
  }
}
