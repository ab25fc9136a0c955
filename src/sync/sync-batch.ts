/**
 * One batch of logged changes as the receiving side applies it: for each changed key, the current
 * row of the side that logged it (written by key) or, where there is none, the key (deleted).
 * Values go through the copy plan's converters, as the snapshot's did. Used both ways: the sync's
 * catch-up onto PostgreSQL and the rollback's way back onto SQLite.
 */
import type { CapturedChange, CapturedTable, ChangeCapture, TableChanges } from '../engine/sync-roles.js';
import type { TablePlan } from '../engine/table-plan.js';
import type { Engine } from '../engine/types.js';
import { convertOptionsOf, converterFor, type Converter } from '../values/convert-value.js';
import type { Row, Value } from '../values/value.js';

/** A table a sync follows: how it is copied, and the key its changes are logged by. */
export interface SyncedTable {
  plan: TablePlan;
  captured: CapturedTable;
}

/** A refused row: its table, its key as logged, and why. */
export interface RefusedChange {
  table: string;
  key: string;
  reason: string;
}

export interface SyncBatch {
  tables: TableChanges[];
  refused: RefusedChange[];
}

/**
 * The value converters of a table's columns, in the plan's order. The snapshot's profile proved
 * only the values it read, so a change is held to the target's limits (integer width, numeric
 * scale, text length): one beyond them is refused (and listed) rather than failing its batch.
 */
export function convertersOf(plan: TablePlan, textForms: boolean): Converter[] {
  return plan.columns.map((c) => converterFor(c.logical, convertOptionsOf({ ...c, checkLimits: true }, textForms)));
}

/** A logged key as the receiving side's key values, in the plan's key order. */
export function receivingKey(capture: ChangeCapture, t: SyncedTable, convert: Converter[]): (token: string) => Value[] {
  const parts = t.plan.primaryKey!.columns.map((k) => {
    const column = t.plan.columns.findIndex((c) => c.target === k);
    return { at: t.captured.key.indexOf(t.plan.columns[column]!.source), convert: convert[column]! };
  });
  return (token) => {
    const values = capture.keyValues(token);
    return parts.map((p) => p.convert(values[p.at]!));
  };
}

/** Changed keys grouped by table, each key once (the row is read as it is now, so later changes subsume earlier ones). */
export function keysByTable(changes: CapturedChange[]): Map<string, Set<string>> {
  const byTable = new Map<string, Set<string>>();
  for (const c of changes) {
    if (!byTable.has(c.table)) byTable.set(c.table, new Set());
    byTable.get(c.table)!.add(c.key);
  }
  return byTable;
}

/** The batch for these changes; a row the converters refuse is listed in `refused` and left out. */
export async function batchOf(
  capture: ChangeCapture,
  from: Engine,
  tables: Map<string, SyncedTable>,
  changes: CapturedChange[],
  textForms = false,
): Promise<SyncBatch> {
  const out: TableChanges[] = [];
  const refused: RefusedChange[] = [];
  for (const [name, keySet] of keysByTable(changes)) {
    const t = tables.get(name);
    if (!t) continue;
    const keys = [...keySet];
    const rows = await capture.rowsByKey(
      from,
      t.captured,
      t.plan.columns.map((c) => c.source),
      keys,
    );
    const convert = convertersOf(t.plan, textForms);
    const keyOf = receivingKey(capture, t, convert);
    const upserts: Row[] = [];
    const deletes: Value[][] = [];
    for (const k of keys) {
      const row = rows.get(k);
      try {
        if (row) upserts.push(row.slice(t.captured.key.length).map((v, i) => convert[i]!(v)));
        else deletes.push(keyOf(k));
      } catch (err) {
        refused.push({ table: name, key: k, reason: (err as Error).message });
      }
    }
    out.push({ table: t.plan, upserts, deletes });
  }
  return { tables: out, refused };
}
