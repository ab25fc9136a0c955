import type Database from 'better-sqlite3';
import type { ConsolidationPiece, ConsolidationTable, PieceCopyOptions } from '../../engine/consolidation-role.js';
import { ChecksumAccumulator } from '../../values/checksum.js';
import { ChunkCopier, rowidSpan } from './sqlite-attach-copy.js';
import { createStage, Stager } from './sqlite-consolidate-stage.js';
import { quoteSqliteIdent as q } from './sqlite-tokens.js';

/**
 * Rows per chunk (one transaction each) when rows move inside SQLite, and when they pass through
 * a JS transform. Large SQL chunks because each commit rewrites the index pages it touched.
 */
const SQL_CHUNK_ROWS = 250_000n;
const JS_CHUNK_ROWS = 5_000n;

interface ProgressRow {
  last_rowid: bigint | null;
  rows: bigint;
  skipped: bigint;
  replaced: bigint;
  done: bigint;
}

/** The progress step of one piece of one table. */
export function copyStepId(table: ConsolidationTable, piece: ConsolidationPiece): string {
  return `copy:${table.name}:${piece.id}`;
}

/**
 * Copies one piece into the target on `db`: the backup copy is ATTACHed as `src` and rows move
 * with INSERT ... SELECT in rowid-range chunks (through a staging table when a JS transform
 * applies), each chunk committed with its progress so a killed run resumes where it stopped.
 */
export function copyPiece(db: Database.Database, table: ConsolidationTable, piece: ConsolidationPiece, options: PieceCopyOptions): void {
  const stepId = copyStepId(table, piece);
  const prog = db.prepare(`SELECT last_rowid, rows, skipped, replaced, done FROM _ferry_progress WHERE step = ?`).get(stepId) as ProgressRow | undefined;
  if (prog?.done === 1n) {
    options.onEvent({
      type: 'piece-done',
      inserted: Number(prog.rows),
      skipped: Number(prog.skipped),
      replaced: Number(prog.replaced),
      ms: 0,
      alreadyDone: true,
    });
    return;
  }
  const started = Date.now();
  db.prepare(`ATTACH DATABASE ? AS src`).run(options.backupFile);
  try {
    if (piece.wholeTable && table.pieces[0] === piece && db.prepare(`SELECT 1 FROM main.${q(table.name)} LIMIT 1`).get() === undefined) {
      copyWholeTable(db, table, piece, stepId, options, started);
      return;
    }
    const totals = copyInChunks(db, table, piece, prog, stepId, options);
    options.onEvent({ type: 'piece-done', inserted: totals.rows, skipped: totals.skipped, replaced: totals.replaced, ms: Date.now() - started });
  } finally {
    if (db.inTransaction) db.exec('ROLLBACK');
    db.exec('DETACH DATABASE src');
  }
}

/**
 * Same columns into an empty table: SQLite's transfer optimisation copies records and index
 * entries in order, several times faster than row inserts for tables with random keys. One
 * transaction, so a kill leaves the table empty and a re-run copies it again.
 */
function copyWholeTable(
  db: Database.Database,
  table: ConsolidationTable,
  piece: ConsolidationPiece,
  stepId: string,
  options: PieceCopyOptions,
  started: number,
): void {
  options.onEvent({ type: 'piece-start', rows: piece.rows, done: 0 });
  let inserted = 0;
  db.transaction(() => {
    inserted = db.prepare(`INSERT INTO main.${q(table.name)} SELECT * FROM src.${q(piece.sourceTable)}`).run().changes;
    db.prepare(`INSERT OR REPLACE INTO _ferry_progress (step, rows, done) VALUES (?, ?, 1)`).run(stepId, inserted);
  })();
  options.onEvent({ type: 'piece-done', inserted, skipped: 0, replaced: 0, ms: Date.now() - started });
}

interface Totals {
  rows: number;
  skipped: number;
  replaced: number;
}

/** The chunked copy, continuing from `prog`; returns what the piece wrote in all. */
function copyInChunks(
  db: Database.Database,
  table: ConsolidationTable,
  piece: ConsolidationPiece,
  prog: ProgressRow | undefined,
  stepId: string,
  options: PieceCopyOptions,
): Totals {
  const span = piece.hasRowid ? rowidSpan(db, 'src', piece.sourceTable) : null;
  // Chunk by rowid value when rowids are dense enough; sparse rowids would make empty chunks.
  const chunkRows = options.transform ? JS_CHUNK_ROWS : SQL_CHUNK_ROWS;
  const ranged = !!span && span.count > 0n && span.max - span.min < span.count * 4n + chunkRows;
  const useStage = !!options.transform;
  if (useStage) createStage(db, table, piece);
  const copier = new ChunkCopier(db, {
    alias: useStage ? 'temp' : 'src',
    sourceTable: useStage ? '_ferry_stage' : piece.sourceTable,
    targetTable: table.name,
    columns: piece.columns,
    exprs: useStage ? piece.columns.map(q) : piece.exprs,
    // A table without a key dedupes on the whole row, NULL-safely, when its policy asks to.
    keys: table.keys.length ? table.keys : table.wholeRowKey && piece.onConflict !== 'error' ? [table.wholeRowKey] : [],
    nullSafeKeys: table.keys.length === 0,
    policy: piece.onConflict,
    sourceName: piece.source,
    sourceTableName: piece.sourceTable,
    targetFile: options.targetFile,
    ranged: ranged && !useStage,
    rowRef: table.withoutRowid ? (table.keys[0] ?? piece.columns) : ['rowid'],
    sourceHasRowid: useStage || piece.hasRowid,
  });
  const stager = options.transform ? new Stager(db, options.backupFile, piece, options.transform) : null;
  let totals: Totals = { rows: Number(prog?.rows ?? 0n), skipped: Number(prog?.skipped ?? 0n), replaced: Number(prog?.replaced ?? 0n) };
  options.onEvent({ type: 'piece-start', rows: piece.rows, done: totals.rows + totals.skipped });
  const saveProgress = db.prepare(
    `INSERT OR REPLACE INTO _ferry_progress (step, last_rowid, rows, skipped, replaced, done) VALUES (@step, @last, @rows, @skipped, @replaced, @done)`,
  );
  const saveRemoved = db.prepare(`INSERT OR REPLACE INTO _ferry_removed (target_table, digest) VALUES (?, ?)`);
  const readRemoved = db.prepare(`SELECT digest FROM _ferry_removed WHERE target_table = ?`).pluck();
  const chunk = db.transaction((lo: bigint, hi: bigint, last: boolean) => {
    if (stager) stager.stage(ranged ? lo : null, hi);
    const r = copier.copy(lo, hi);
    totals = { rows: totals.rows + r.inserted, skipped: totals.skipped + r.skipped, replaced: totals.replaced + r.replaced };
    if (r.removed.rows !== 0) {
      const prev = readRemoved.get(table.name) as string | undefined;
      const acc = prev ? ChecksumAccumulator.fromDigest(prev) : new ChecksumAccumulator();
      acc.merge(r.removed);
      saveRemoved.run(table.name, acc.digest());
    }
    saveProgress.run({ step: stepId, last: hi, rows: totals.rows, skipped: totals.skipped, replaced: totals.replaced, done: last ? 1 : 0 });
  });
  if (ranged && span) {
    let lo = prog?.last_rowid ?? span.min - 1n;
    if (lo >= span.max) chunk(lo, lo, true);
    while (lo < span.max) {
      const hi = lo + chunkRows < span.max ? lo + chunkRows : span.max;
      chunk(lo, hi, hi >= span.max);
      lo = hi;
      options.onEvent({ type: 'piece-progress', done: totals.rows + totals.skipped, rows: piece.rows });
    }
  } else {
    chunk(0n, 0n, true);
  }
  stager?.close();
  return totals;
}
