import type { Dialect } from './types.js';
import type { PlanWarning, TablePlan } from './table-plan.js';
import type { RecordedOrigin } from './table-origin.js';

/** The whole plan of `ferry copy`, plain data: dry runs, `--json` and progress all read it. */
export interface CopyPlan {
  from: { dialect: Dialect; displayUrl: string };
  to: { dialect: Dialect; displayUrl: string };
  tables: TablePlan[];
  warnings: PlanWarning[];
  /** What the copy records about where its tables came from (sources with an `originRecord` role). */
  origin?: RecordedOrigin;
  /** The original database's CREATE VIEW statements, run last (a copy back to the engine they came from). */
  views?: string[];
  /** Extensions the schema needs that the copy creates (PostgreSQL's citext), as the target's pre-flight settled them. */
  extensions?: string[];
}
