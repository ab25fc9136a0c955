/** What `ferry copy` reports: the plan of a dry run, or what a finished copy did. */
import type { Preflight } from '../engine/copy-roles.js';
import type { PlanWarning } from '../engine/table-plan.js';
import type { CopyTableReport } from './copy-events.js';
import type { CopySettings } from './copy-settings.js';
import { STATE_TABLE } from './copy-state.js';
import { adoptExistingTables, checkTargetTables } from './copy-target-check.js';
import type { CopyPlan } from './copy-types.js';
import type { VerifyReport } from './verify-copy.js';

/** What a copy did. */
export interface CopyReport {
  from: string;
  to: string;
  resumed: boolean;
  tables: CopyTableReport[];
  totals: { rows: number; bytes: number; ms: number; rejects: number };
  warnings: PlanWarning[];
  /** The reject file, when any row was refused. */
  rejectFile: string | null;
  verify: VerifyReport | null;
  /** --dry-run: nothing was written; this is the plan, and what the pre-flight checked. */
  dryRun?: { plan: CopyPlan; checks: string[] };
}

/** What --dry-run reports: the plan and the pre-flight's checks, with the existing tables looked at read-only. */
export async function dryRunReport(pre: Preflight, plan: CopyPlan, run: CopySettings, started: number): Promise<CopyReport> {
  const checks = [...pre.checks];
  if (pre.engine) {
    try {
      checks.push(await whatTheRunWouldDo(pre, plan, run));
    } finally {
      await pre.engine.close();
    }
  } else checks.push(`${run.to.displayUrl} does not exist yet and would be created`);
  return {
    from: run.from.displayUrl,
    to: run.to.displayUrl,
    resumed: false,
    tables: plan.tables.map((t) => ({ table: t.source, target: t.target, rows: t.rowEstimate, bytes: 0, ms: 0, rejects: 0 })),
    totals: { rows: plan.tables.reduce((s, t) => s + t.rowEstimate, 0), bytes: 0, ms: Date.now() - started, rejects: 0 },
    warnings: plan.warnings,
    rejectFile: null,
    verify: null,
    dryRun: { plan, checks },
  };
}

/** The dry run's look at the target: an unfinished copy there, or the existing tables and what would happen to them. */
async function whatTheRunWouldDo(pre: Preflight, plan: CopyPlan, run: CopySettings): Promise<string> {
  const engine = pre.engine!;
  const existing = await engine.introspect();
  const partial = existing.tables.some((t) => t.name === STATE_TABLE);
  if (partial)
    return run.options.resume
      ? 'an unfinished copy is there: --resume would continue it'
      : 'an unfinished copy is there: the run would refuse without --resume or --if-exists truncate';
  const found = await checkTargetTables(engine, plan, existing, { ifExists: run.ifExists, dataOnly: !!run.options.dataOnly, partial });
  adoptExistingTables(plan, existing, run.to.dialect);
  return found.size
    ? `${found.size} target table(s) exist and would be ${run.ifExists === 'truncate' ? 'emptied first' : run.ifExists === 'append' ? 'added to' : 'written into'}`
    : 'no target table exists yet';
}

/** The report of a finished copy: per table, the totals, warnings, rejects and the verify. */
export function finishedReport(
  run: CopySettings,
  o: {
    plan: CopyPlan;
    reports: Map<string, CopyTableReport>;
    resumed: boolean;
    warnings: PlanWarning[];
    rejectFile: string | null;
    verify: VerifyReport | null;
    started: number;
  },
): CopyReport {
  const tables = o.plan.tables.map((t) => o.reports.get(t.target) ?? { table: t.source, target: t.target, rows: 0, bytes: 0, ms: 0, rejects: 0 });
  return {
    from: run.from.displayUrl,
    to: run.to.displayUrl,
    resumed: o.resumed,
    tables,
    totals: {
      rows: tables.reduce((s, t) => s + t.rows, 0),
      bytes: tables.reduce((s, t) => s + t.bytes, 0),
      ms: Date.now() - o.started,
      rejects: tables.reduce((s, t) => s + t.rejects, 0),
    },
    warnings: o.warnings,
    rejectFile: o.rejectFile,
    verify: o.verify,
  };
}
