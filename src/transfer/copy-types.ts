export type { CopyPlan } from '../engine/copy-plan.js';

/** One refused row, as written (one JSON object per line) to the reject file. */
export interface RejectRecord {
  table: string;
  /** The row's key in the source (rowid or primary key values), as JSON-safe values. */
  key: unknown;
  column?: string;
  value?: unknown;
  reason: string;
}
