import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { FerryError } from '../errors.js';
import { ChunkCopier, PROGRESS_DDL, rowidSpan } from '../engines/sqlite/sqlite-attach-copy.js';
import { sqliteError } from '../engines/sqlite/sqlite-errors.js';
import { quoteSqliteIdent as q } from '../engines/sqlite/sqlite-tokens.js';
import { ChecksumAccumulator } from '../values/checksum.js';
import { fsyncDir, fsyncFile, removeSqliteFiles } from '../util/fs-atomic.js';
import type { BuildTargetInput, PlannedPiece, PlannedTable, PlannedTarget } from './plan-types.js';
import type { TargetReport } from './report-types.js';
import { collectReport, finalizeFile, readReport } from './target-report.js';
import { createStage, Stager } from './transform-stage.js';
import { stateDir } from './run-state.js';

/**
 * Rows per chunk (one transaction each) when rows move inside SQLite, and when they pass through
 * a JS transform. Large SQL chunks because each commit rewrites the index pages it touched.
 */
const SQL_CHUNK_ROWS = 250_000n;
const JS_CHUNK_ROWS = 5_000n;

/** The temporary file a target is built in before it is renamed into place. */
export function partialPath(targetDir: string, file: string): string {
  return path.join(stateDir(targetDir), `${file}.partial`);
}

/**
 * Builds one target file. Rows are read from the backup copies (one consistent snapshot per
 * source, and the sources themselves are never opened for writing). The file is built under
 * `.ferry/` with its progress recorded in the same transactions as the rows, so a killed run
 * resumes chunk by chunk without duplicating a row; it is renamed into place only when complete.
 */
export async function buildTarget(input: BuildTargetInput): Promise<TargetReport> {
  const { target, targetDir } = input;
  const started = Date.now();
  const tmp = partialPath(targetDir, target.file);
  fs.mkdirSync(path.dirname(tmp), { recursive: true });
  const state = inspectPartial(tmp, input.fingerprint);
  input.onEvent({ type: 'target-start', target: target.file, resumed: state === 'resume' });
  if (state === 'finalized') return finishRename(input, tmp, started, readReport(targetDir, target.file));
  if (state === 'discard') removeSqliteFiles(tmp);

  const db = new Database(tmp, { timeout: input.busyTimeoutMs ?? 5000 });
  db.defaultSafeIntegers(true);
  try {
    // A rollback journal, not WAL: pages of a growing file are written once (WAL writes each page
    // twice), and a killed run's open transaction is rolled back from the journal on reopen.
    db.pragma('journal_mode = TRUNCATE');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = OFF');
    db.pragma('cache_size = -16384');
    if (state !== 'resume') {
      db.transaction(() => {
        db.exec(PROGRESS_DDL);
        db.prepare(`INSERT INTO _ferry_meta (key, value) VALUES ('fingerprint', ?)`).run(input.fingerprint);
        for (const t of target.tables) run(db, t.createSql, `creating table ${t.name} in ${target.file}`);
      })();
    }
    const createIndexes = (table: PlannedTable, which: (unique: boolean) => boolean, id: string) =>
      step(db, `${id}:${table.name}`, () =>
        table.indexes.filter((i) => which(i.unique)).forEach((i) => run(db, i.sql, `creating index ${i.name} on ${target.file}:${table.name}`)),
      );
    for (const table of target.tables) {
      const merged = table.pieces.length > 1;
      for (let i = 0; i < table.pieces.length; i++) {
        copyPiece(db, input, table, table.pieces[i]!);
        // Indexes are built once over all rows, as a bulk sort; only the unique ones are needed
        // earlier, to find conflicts when more sources are merged into the table.
        if (i === 0 && merged) createIndexes(table, (u) => u, 'unique-indexes');
      }
      createIndexes(table, (u) => !merged || !u, 'indexes');
    }
    const postFailures: string[] = [];
    step(db, 'post', () => {
      for (const p of target.postSql) {
        try {
          db.exec(`SAVEPOINT post; ${p.sql}; RELEASE post`);
        } catch (e) {
          db.exec('ROLLBACK TO post; RELEASE post');
          postFailures.push(`${p.name}: ${(e as Error).message}`);
        }
      }
      carrySequences(db, input, target);
    });
    const report = collectReport(db, input, postFailures);
    finalizeFile(db, input, report);
    return finishRename(input, tmp, started, report);
  } catch (e) {
    throw sqliteError(e, target.path, 'building');
  } finally {
    if (db.open) db.close();
  }
}

type PartialState = 'none' | 'resume' | 'finalized' | 'discard';

/** Decides what an existing temporary file means: resumable, finished-but-not-renamed, or stale. */
function inspectPartial(tmp: string, fingerprint: string): PartialState {
  if (!fs.existsSync(tmp)) return 'none';
  try {
    const db = new Database(tmp);
    try {
      const tables = db.prepare(`SELECT name FROM sqlite_schema WHERE type='table'`).pluck().all() as string[];
      if (!tables.includes('_ferry_meta')) return tables.length > 0 ? 'finalized' : 'discard';
      const fp = db.prepare(`SELECT value FROM _ferry_meta WHERE key='fingerprint'`).pluck().get();
      return fp === fingerprint ? 'resume' : 'discard';
    } finally {
      db.close();
    }
  } catch {
    return 'discard';
  }
}

function run(db: Database.Database, sql: string, doing: string): void {
  try {
    db.exec(sql);
  } catch (e) {
    throw new FerryError('QUERY', `Failed ${doing}: ${(e as Error).message}`, { subject: sql.slice(0, 200), cause: e });
  }
}

/** Runs a one-off step once: its effect and its "done" mark commit together. */
function step(db: Database.Database, id: string, fn: () => void): void {
  const done = db.prepare(`SELECT done FROM _ferry_progress WHERE step = ?`).pluck().get(id);
  if (done === 1n) return;
  db.transaction(() => {
    fn();
    db.prepare(`INSERT OR REPLACE INTO _ferry_progress (step, done) VALUES (?, 1)`).run(id);
  })();
}

interface ProgressRow {
  last_rowid: bigint | null;
  rows: bigint;
  skipped: bigint;
  replaced: bigint;
  done: bigint;
}

function copyPiece(db: Database.Database, input: BuildTargetInput, table: PlannedTable, piece: PlannedPiece): void {
  const stepId = `copy:${table.name}:${piece.id}`;
  const prog = db.prepare(`SELECT last_rowid, rows, skipped, replaced, done FROM _ferry_progress WHERE step = ?`).get(stepId) as ProgressRow | undefined;
  const base = { target: input.target.file, table: table.name, source: piece.source, sourceTable: piece.sourceTable };
  if (prog?.done === 1n) {
    input.onEvent({
      type: 'piece-done',
      ...base,
      inserted: Number(prog.rows),
      skipped: Number(prog.skipped),
      replaced: Number(prog.replaced),
      ms: 0,
      alreadyDone: true,
    });
    return;
  }
  const started = Date.now();
  const backupFile = input.backupFiles.get(piece.source);
  if (!backupFile) throw new FerryError('INTERNAL', `No backup copy recorded for ${piece.source}.`);
  db.prepare(`ATTACH DATABASE ? AS src`).run(backupFile);
  try {
    if (piece.wholeTable && table.pieces[0] === piece && db.prepare(`SELECT 1 FROM main.${q(table.name)} LIMIT 1`).get() === undefined) {
      // Same columns into an empty table: SQLite's transfer optimisation copies records and index
      // entries in order, several times faster than row inserts for tables with random keys. One
      // transaction, so a kill leaves the table empty and a re-run copies it again.
      input.onEvent({ type: 'piece-start', ...base, rows: piece.rows, done: 0 });
      let inserted = 0;
      db.transaction(() => {
        inserted = db.prepare(`INSERT INTO main.${q(table.name)} SELECT * FROM src.${q(piece.sourceTable)}`).run().changes;
        db.prepare(`INSERT OR REPLACE INTO _ferry_progress (step, rows, done) VALUES (?, ?, 1)`).run(stepId, inserted);
      })();
      input.onEvent({ type: 'piece-done', ...base, inserted, skipped: 0, replaced: 0, ms: Date.now() - started });
      return;
    }
    const span = piece.hasRowid ? rowidSpan(db, 'src', piece.sourceTable) : null;
    // Chunk by rowid value when rowids are dense enough; sparse rowids would make empty chunks.
    const chunkRows = piece.rowFn ? JS_CHUNK_ROWS : SQL_CHUNK_ROWS;
    const ranged = !!span && span.count > 0n && span.max - span.min < span.count * 4n + chunkRows;
    const useStage = !!piece.rowFn;
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
      targetFile: input.target.file,
      ranged: ranged && !useStage,
      rowRef: table.withoutRowid ? (table.keys[0] ?? piece.columns) : ['rowid'],
      sourceHasRowid: useStage || piece.hasRowid,
    });
    const stager = useStage ? new Stager(db, backupFile, piece) : null;
    let totals = { rows: Number(prog?.rows ?? 0n), skipped: Number(prog?.skipped ?? 0n), replaced: Number(prog?.replaced ?? 0n) };
    input.onEvent({ type: 'piece-start', ...base, rows: piece.rows, done: totals.rows + totals.skipped });
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
        input.onEvent({ type: 'piece-progress', ...base, done: totals.rows + totals.skipped, rows: piece.rows });
      }
    } else {
      chunk(0n, 0n, true);
    }
    stager?.close();
    input.onEvent({ type: 'piece-done', ...base, inserted: totals.rows, skipped: totals.skipped, replaced: totals.replaced, ms: Date.now() - started });
  } finally {
    if (db.inTransaction) db.exec('ROLLBACK');
    db.exec('DETACH DATABASE src');
  }
}

/** AUTOINCREMENT tables keep the highest id their sources ever issued, so ids are not reused. */
function carrySequences(db: Database.Database, input: BuildTargetInput, target: PlannedTarget): void {
  for (const table of target.tables) {
    if (!table.autoincrement) continue;
    let max = 0n;
    for (const piece of table.pieces) {
      const file = input.backupFiles.get(piece.source)!;
      const src = new Database(file, { readonly: true });
      try {
        const has = src.prepare(`SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_sequence'`).get();
        const seq = has
          ? (src.prepare(`SELECT seq FROM sqlite_sequence WHERE name = ?`).safeIntegers(true).pluck().get(piece.sourceTable) as bigint | undefined)
          : undefined;
        if (seq !== undefined && seq > max) max = seq;
      } finally {
        src.close();
      }
    }
    const cur = db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = ?`).pluck().get(table.name) as bigint | undefined;
    if (cur === undefined) db.prepare(`INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)`).run(table.name, max);
    else if (max > cur) db.prepare(`UPDATE sqlite_sequence SET seq = ? WHERE name = ?`).run(max, table.name);
  }
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
