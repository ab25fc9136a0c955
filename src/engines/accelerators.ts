/**
 * Fast paths for particular pairs of engines, in one place. A copy asks for the accelerator of its
 * source and target engines; where there is none, or it declines a table, rows go the generic way
 * (the source's table reader into the target's table sink), which is always correct.
 */
import type { CopyAccelerator } from '../engine/table-reader.js';
import type { Dialect } from '../engine/types.js';
import { sqliteToPostgresAccelerator } from './sqlite/sqlite-postgres-accelerator.js';

const accelerators: { from: Dialect; to: Dialect; accelerator: CopyAccelerator }[] = [
  { from: 'sqlite', to: 'postgres', accelerator: sqliteToPostgresAccelerator },
];

/** Adds (or replaces) the accelerator of a pair of engines. */
export function registerAccelerator(from: Dialect, to: Dialect, accelerator: CopyAccelerator): void {
  const at = accelerators.findIndex((a) => a.from === from && a.to === to);
  if (at >= 0) accelerators.splice(at, 1);
  accelerators.push({ from, to, accelerator });
}

/** The accelerator of copies from `from` to `to`, or null when the pair has none. */
export function acceleratorFor(from: Dialect, to: Dialect): CopyAccelerator | null {
  return accelerators.find((a) => a.from === from && a.to === to)?.accelerator ?? null;
}
