/**
 * The check inside a cutover's pause. Both sides were compared in full at one log position while the
 * app still wrote, so once the source is fenced and drained only the rows changed since that position
 * can differ: those rows are read from both sides by key and compared value by value, normalised as
 * the checksums normalise them, through the one row-difference mechanism `ferry verify --detailed`
 * uses. The pause then grows with the writes made during the check, not with the database.
 */
import type { ChangeCapture, ChangeSink } from '../engine/sync-roles.js';
import type { Engine } from '../engine/types.js';
import { roleOf } from '../engines/registry.js';
import type { ConvertOptions } from '../values/convert-value.js';
import type { Row, Value } from '../values/value.js';
import { compareKeys, firstDifferences, keyedRows, type KeyedRow, type RowDifference } from '../verify/row-differences.js';
import { convertersOf, receivingKey, type SyncedTable } from './sync-batch.js';

/** Keys read per statement. */
const KEYS_PER_READ = 5000;

/** A table whose changed rows differ, with the first of them. */
export interface ChangedRowsDiffer {
  table: string;
  differences: RowDifference[];
}

export interface ChangedRowsCheck {
  capture: ChangeCapture;
  from: Engine;
  sink: ChangeSink;
  to: Engine;
  tables: Map<string, SyncedTable>;
  /** The keys changed since both sides were last compared in full, by table, as the log holds them. */
  changed: Map<string, Set<string>>;
  /** Differing rows shown per table. */
  limit?: number;
  /** The logging side gives PostgreSQL's text forms (the rollback's way back). */
  textForms?: boolean;
}

/** The tables whose changed rows differ between the two sides (empty: identical). */
export async function changedRowsDiffer(check: ChangedRowsCheck): Promise<ChangedRowsDiffer[]> {
  const out: ChangedRowsDiffer[] = [];
  for (const [name, keys] of check.changed) {
    const t = check.tables.get(name);
    if (!t || !keys.size) continue;
    const tokens = [...keys];
    for (let i = 0; i < tokens.length; i += KEYS_PER_READ) {
      const differences = await differingRows(check, t, tokens.slice(i, i + KEYS_PER_READ), check.limit ?? 5);
      if (differences.length) {
        out.push({ table: name, differences });
        break;
      }
    }
  }
  return out;
}

async function differingRows(check: ChangedRowsCheck, t: SyncedTable, tokens: string[], limit: number): Promise<RowDifference[]> {
  const columns = t.plan.columns;
  const key = t.plan.primaryKey!.columns.map((k) => columns.findIndex((c) => c.target === k));
  const logicals = columns.map((c) => c.logical);
  // Each side's own value forms, with how the loosely typed side stores date-times, as the digests read them.
  const forms = (engine: Engine): ConvertOptions[] => {
    const base = roleOf(engine, 'rowReader').valueForms;
    return columns.map((c) => ({ ...base, ...(c.epoch ? { epoch: c.epoch } : {}), ...(c.zonelessUtc ? { zonelessUtc: true } : {}) }));
  };
  const fromRows = await check.capture.rowsByKey(
    check.from,
    t.captured,
    columns.map((c) => c.source),
    tokens,
  );
  const keyOf = receivingKey(check.capture, t, convertersOf(t.plan, check.textForms ?? false));
  // A key the target cannot hold was refused when its change was applied: that row is missing there.
  const keys: Value[][] = [];
  const refused: RowDifference[] = [];
  for (const token of tokens) {
    try {
      keys.push(keyOf(token));
    } catch {
      refused.push({ kind: 'missing-in-target', key: token });
    }
  }
  if (refused.length) return refused.slice(0, limit);
  const toRows = await check.sink.rowsByKey(check.to, t.plan, keys);
  const side = async (rows: Row[], engine: Engine, names: string[]) => ({
    rows: inKeyOrder(await collect(keyedRows(iterate(rows), key, logicals, forms(engine)))),
    columns: names,
  });
  return firstDifferences(
    await side(
      [...fromRows.values()],
      check.from,
      columns.map((c) => c.source),
    ),
    await side(
      toRows,
      check.to,
      columns.map((c) => c.target),
    ),
    limit,
  );
}

async function* iterate<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of items) out.push(x);
  return out;
}

function inKeyOrder(rows: KeyedRow[]): AsyncGenerator<KeyedRow> {
  return iterate(rows.sort((a, b) => compareKeys(a.key, b.key)));
}
