import type { BackfillStep } from '../engine/revision-roles.js';
import { FerryError } from '../errors.js';
import { durationMs } from '../util/duration.js';
import type { BackfillOptions } from './revision-types.js';

/** The time one batch should take by default: short enough that a row lock never stalls the app for long. */
const DEFAULT_BATCH_MS = 50;

/** `ctx.backfill`'s options, checked, as the step the migrator runs after the revision's transaction. */
export function backfillStep(o: BackfillOptions): BackfillStep {
  const bad = (what: string): never => {
    throw new FerryError('USAGE', `ctx.backfill: ${what}`, { subject: 'ctx.backfill' });
  };
  if (!o || typeof o.table !== 'string' || o.table === '') bad('give the table, as { table: "orders", set: { ... } }.');
  const set = Object.entries(o.set ?? {});
  if (set.length === 0 || !set.every(([, v]) => typeof v === 'string' && v.trim() !== ''))
    bad('set must map each column to an SQL expression, as { total_cents: "round(total * 100)" }.');
  if (o.batchSize !== undefined && !(Number.isInteger(o.batchSize) && o.batchSize > 0)) bad('batchSize must be a positive whole number of rows.');
  return {
    kind: 'backfill',
    label: `backfill ${o.table} (${set.map(([k]) => k).join(', ')})`,
    table: o.table,
    set: Object.fromEntries(set),
    ...(o.where ? { where: o.where } : {}),
    batchSize: o.batchSize ?? 1000,
    batchMs: msOf(o.batchTime, 'batchTime', DEFAULT_BATCH_MS, bad),
    pauseMs: msOf(o.pause, 'pause', 0, bad),
  };
}

function msOf(value: string | number | undefined, name: string, fallback: number, bad: (what: string) => never): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && value >= 0) return value;
  if (value === 0 || value === '0') return 0;
  const ms = typeof value === 'string' ? durationMs(value) : undefined;
  return ms ?? bad(`${name} must be a duration such as '100ms' or '1s' (a number is milliseconds).`);
}
