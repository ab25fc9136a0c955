/**
 * A backfill: one UPDATE run over a table in primary-key order, a key range per transaction, so no
 * row lock is held longer than one batch and a killed run resumes at the next range. Engine-neutral:
 * row-value comparisons, LIMIT/OFFSET and the engine's placeholders are the same on SQLite and
 * PostgreSQL. Each batch walks `size` keys whatever `where` matches (as GitLab's batched background
 * migrations do), so a sparse condition still moves at the key walk's pace and the cursor always
 * advances.
 */
import type { BackfillStep } from '../engine/revision-roles.js';
import type { Engine } from '../engine/types.js';
import { FerryError } from '../errors.js';
import { stopIfAsked } from './stop-signal.js';

/** Batch sizes stay within these bounds while they adapt to the target batch time. */
const MIN_BATCH = 100;
const MAX_BATCH = 50_000;

/** Where a backfill stands, and how the caller keeps it. */
export interface BackfillRun {
  engine: Engine;
  step: BackfillStep;
  /** The last finished key, or null at the start. */
  cursor: unknown[] | null;
  rowsDone: number;
  rowsTotal: number | null;
  /** Runs one batch in its own transaction (with the caller's lock limits and retries); `body` runs inside it. */
  inTransaction: (body: () => Promise<void>) => Promise<void>;
  /** Inside the batch's transaction: records the new cursor (and with the last batch, `done`), so the batch and its progress commit together. */
  saveCursor: (cursor: unknown[], rowsDone: number, rowsTotal: number | null, done: boolean) => Promise<void>;
  onProgress?: (p: { rowsDone: number; rowsTotal: number; batchSize: number }) => void;
  /** Told the batch statement once, for `--sql`. */
  onStatement?: (sql: string) => void;
  /** Asked to stop: the backfill ends after the batch in hand, which has committed with its cursor. */
  signal?: AbortSignal;
  /** Which revision it belongs to, for the message when it stops. */
  where?: string;
}

/** The statements of one batch: the key that ends the range, and the UPDATE of the range. */
export interface BackfillStatements {
  /** The last key of the next `size` keys after the cursor (parameters: cursor values..., size - 1). */
  rangeEnd: (afterCursor: boolean) => string;
  /** The UPDATE of keys after the cursor up to the range end (parameters: cursor values..., end values...). */
  update: (afterCursor: boolean, toEnd: boolean) => string;
}

/** Runs the backfill to its end; returns the rows walked. */
export async function runBackfill(run: BackfillRun): Promise<number> {
  const { engine, step } = run;
  const keys = await primaryKeyOf(engine, step.table);
  const sql = backfillStatements(engine, step, keys);
  run.onStatement?.(sql.update(true, true));
  const total = run.rowsTotal ?? (await engine.countRows(step.table));
  let { cursor, rowsDone } = run;
  let size = Math.min(MAX_BATCH, Math.max(MIN_BATCH, step.batchSize));
  for (;;) {
    const t0 = performance.now();
    let finished = false;
    await run.inTransaction(async () => {
      for (const s of step.setup ?? []) await engine.exec(s);
      const after = cursor ?? [];
      const [end] = await engine.query<Record<string, unknown>>(sql.rangeEnd(cursor !== null), [...after, size - 1]);
      const endKey = end ? keys.map((k) => end[k]) : null;
      await engine.query(sql.update(cursor !== null, endKey !== null), [...after, ...(endKey ?? [])]);
      if (endKey === null) {
        finished = true;
        rowsDone = Math.max(rowsDone, total);
        await run.saveCursor(cursor ?? [], rowsDone, total, true);
        return;
      }
      rowsDone += size;
      await run.saveCursor(endKey, rowsDone, total, false);
      cursor = endKey;
    });
    run.onProgress?.({ rowsDone, rowsTotal: Math.max(total, rowsDone), batchSize: size });
    if (finished) return rowsDone;
    stopIfAsked(
      run.signal,
      `during the backfill "${step.label}"${run.where ? ` of ${run.where}` : ''}, after ${rowsDone.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} rows`,
    );
    size = nextBatchSize(size, performance.now() - t0, step.batchMs);
    if (step.pauseMs > 0) await new Promise((r) => setTimeout(r, step.pauseMs));
  }
}

/** The next batch size: toward the target batch time, at most doubling or halving per batch. */
export function nextBatchSize(size: number, tookMs: number, targetMs: number): number {
  const wanted = size * (targetMs / Math.max(1, tookMs));
  return Math.round(Math.min(MAX_BATCH, Math.max(MIN_BATCH, size / 2, Math.min(size * 2, wanted))));
}

/** The batch statements of a backfill over `keys`; placeholders are numbered cursor first. */
export function backfillStatements(engine: Engine, step: BackfillStep, keys: string[]): BackfillStatements {
  const table = engine.quoteTable(step.table);
  const cols = keys.map((k) => engine.quoteIdent(k));
  const tuple = (names: string[]) => (names.length === 1 ? names[0]! : `(${names.join(', ')})`);
  const params = (from: number) => tuple(keys.map((_, i) => engine.placeholder(from + i)));
  const afterCursor = `${tuple(cols)} > ${params(1)}`;
  const set = Object.entries(step.set)
    .map(([column, expression]) => `${engine.quoteIdent(column)} = ${expression}`)
    .join(', ');
  return {
    rangeEnd: (after) =>
      `SELECT ${cols.join(', ')} FROM ${table}${after ? ` WHERE ${afterCursor}` : ''} ORDER BY ${cols.join(', ')} LIMIT 1 OFFSET ${engine.placeholder(after ? keys.length + 1 : 1)}`,
    update: (after, toEnd) => {
      const conditions = [
        after ? afterCursor : '',
        toEnd ? `${tuple(cols)} <= ${params(after ? keys.length + 1 : 1)}` : '',
        step.where ? `(${step.where})` : '',
      ];
      return `UPDATE ${table} SET ${set}${conditions.some(Boolean) ? ` WHERE ${conditions.filter(Boolean).join(' AND ')}` : ''}`;
    },
  };
}

async function primaryKeyOf(engine: Engine, table: string): Promise<string[]> {
  const found = (await engine.introspect()).tables.find((t) => t.name === table);
  if (!found) throw new FerryError('TABLE_MISSING', `backfill: there is no table ${table}.`, { subject: table });
  const columns = found.primaryKey?.columns ?? [];
  if (columns.length === 0)
    throw new FerryError('SCHEMA_FAILED', `backfill: ${table} has no primary key, which a backfill walks in order.`, {
      subject: table,
      hint: 'Give the table a primary key first, or update it with ctx.sql.',
    });
  return columns;
}
