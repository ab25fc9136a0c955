import type { CopyPlan } from './copy-types.js';
import type { PlanWarning } from '../engine/table-plan.js';

/** What `ferry copy` reports as it goes; the CLI draws bars or log lines from these. */
export type CopyEvent =
  | { type: 'planned'; plan: CopyPlan; resumed: boolean }
  | { type: 'phase'; phase: 'schema' | 'load' | 'keys' | 'links' | 'analyze' | 'verify'; message: string }
  | { type: 'table-start'; table: string; rows: number; done: number }
  | { type: 'table-progress'; table: string; rows: number; done: number; bytes: number }
  | { type: 'table-done'; table: string; rows: number; bytes: number; ms: number; rejects: number; alreadyDone: boolean }
  | { type: 'warning'; warning: PlanWarning };

/** Per-table figures of the summary table (table, rows, bytes, time, rejects). */
export interface CopyTableReport {
  table: string;
  target: string;
  rows: number;
  bytes: number;
  ms: number;
  rejects: number;
}
