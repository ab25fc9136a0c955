/**
 * Views and triggers in a schema change: which to drop before the table changes and which to
 * create after them, as ops carrying the engine's own CREATE text. A pure function over two schema
 * models and the table ops already planned.
 *
 * A view is dropped and created again when its text changed, and also when it names a table the
 * plan touches or a view that is itself made again: PostgreSQL refuses to drop or retype a column a
 * view uses, and a view's text names tables as they were. Views are dropped dependents first and
 * created dependencies first. A trigger is made again when its text changed or it sits on a view
 * made again (dropping a view drops its triggers); one on a dropped table goes with the table.
 */
import { norm } from './diff-schemas.js';
import type { SchemaOp } from './operations.js';
import type { Schema, Trigger, View } from './model.js';

export interface PlannedViews {
  /** Ops to run before the table changes (drops). */
  before: SchemaOp[];
  /** Ops to run after them (creates). */
  after: SchemaOp[];
  warnings: string[];
}

export function planViewsAndTriggers(from: Schema, to: Schema, tableOps: SchemaOp[]): PlannedViews {
  const touched = touchedTables(tableOps);
  const toViews = new Map(to.views.map((v) => [v.name, v]));
  const fromViews = new Map(from.views.map((v) => [v.name, v]));

  // Views to drop (present before, and gone, changed or depending on something that changes).
  const remake = new Set<string>();
  for (const v of from.views) {
    const w = toViews.get(v.name);
    if (!w || norm(w.sql) !== norm(v.sql) || [...touched].some((t) => mentions(v.sql, t))) remake.add(v.name);
  }
  // ... and views that name one of those, until nothing more is added.
  for (let grew = true; grew;) {
    grew = false;
    for (const v of from.views) {
      if (!remake.has(v.name) && [...remake].some((r) => mentions(v.sql, r))) {
        remake.add(v.name);
        grew = true;
      }
    }
  }
  const dropViews = order(from.views.filter((v) => remake.has(v.name))).reverse();
  const createViews = order(to.views.filter((v) => !fromViews.has(v.name) || remake.has(v.name)));

  const toTriggers = new Map(to.triggers.map((t) => [t.name, t]));
  const fromTriggers = new Map(from.triggers.map((t) => [t.name, t]));
  const droppedTables = new Set(tableOps.flatMap((o) => (o.kind === 'dropTable' ? [o.table] : [])));
  const gone = (t: Trigger) => droppedTables.has(t.table) || remake.has(t.table);
  const dropTriggers = from.triggers.filter((t) => {
    const u = toTriggers.get(t.name);
    return !gone(t) && (!u || norm(u.sql) !== norm(t.sql));
  });
  const createTriggers = to.triggers.filter((t) => {
    const was = fromTriggers.get(t.name);
    return !was || norm(was.sql) !== norm(t.sql) || gone(was);
  });

  const warnings: string[] = [];
  // A trigger that calls a function (PostgreSQL's EXECUTE FUNCTION; engines whose triggers carry
  // their body inline have none) needs that function, which the schema model does not hold.
  for (const t of createTriggers) {
    const fn = /EXECUTE\s+(?:FUNCTION|PROCEDURE)\s+([^\s(]+)\s*\(/i.exec(t.sql)?.[1];
    if (fn)
      warnings.push(
        `trigger ${t.name} on ${t.table} executes ${fn}(), and ferry does not generate functions: make sure it exists before this revision runs (or add its CREATE FUNCTION above the trigger).`,
      );
  }
  return {
    before: [
      ...dropTriggers.map((t): SchemaOp => ({ kind: 'dropTrigger', name: t.name, table: t.table })),
      ...dropViews.map((v): SchemaOp => ({ kind: 'dropView', name: v.name, materialized: MATERIALIZED.test(v.sql) })),
    ],
    after: [
      ...createViews.map((v): SchemaOp => ({ kind: 'createView', name: v.name, sql: v.sql })),
      ...createTriggers.map((t): SchemaOp => ({ kind: 'createTrigger', name: t.name, table: t.table, sql: t.sql })),
    ],
    warnings,
  };
}

const MATERIALIZED = /^\s*CREATE\s+MATERIALIZED\s/i;

/** Tables the plan creates, drops, renames or changes (old and new names). */
function touchedTables(ops: SchemaOp[]): Set<string> {
  const out = new Set<string>();
  for (const op of ops) {
    if ('table' in op && op.table) out.add(op.table);
    if (op.kind === 'renameTable') out.add(op.to);
  }
  return out;
}

/** Views with the ones they name first; otherwise in the order given. */
function order(views: View[]): View[] {
  const pending = [...views];
  const out: View[] = [];
  while (pending.length) {
    const k = pending.findIndex((v) => !pending.some((w) => w !== v && mentions(v.sql, w.name)));
    // A cycle cannot exist among views; should the text fool the word match, keep the given order.
    out.push(...pending.splice(k < 0 ? 0 : k, 1));
  }
  return out;
}

/** Whether SQL text names `name` as a word (quoted or not). */
function mentions(sql: string, name: string): boolean {
  const n = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^A-Za-z0-9_$])["\`\\[]?${n}["\`\\]]?($|[^A-Za-z0-9_$])`, 'i').test(sql);
}
