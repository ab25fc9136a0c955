import type { Command } from 'commander';
import { EXIT, FerryError } from '../errors.js';
import type { CutoverReport, RollbackReport, SyncOptions, SyncReport } from '../sync/run-sync.js';
import { INTEGER_POLICIES, VIRTUAL_TABLE_MODES } from '../config/types.js';
import { choiceOption, commonOptions, listOption, loadCommandConfig, lockTimeoutOf, outputOf, wholeNumberOption, type CommonFlags } from './common-options.js';
import { printJson, reportError, type Output } from './output.js';
import { untilStopped } from './stop-signals.js';

interface SyncFlags extends CommonFlags {
  tables?: string;
  exclude?: string;
  batchSize?: string;
  untilCaughtUp?: boolean;
  rejectFile?: string;
  integers?: string;
  jsonb?: boolean;
  virtualTables?: string;
  parallel?: string;
}

type SyncStep = 'start' | 'status' | 'cutover' | 'rollback' | 'stop';

const STEPS: Record<SyncStep, string> = {
  start: 'Capture changes on the SQLite source, copy a snapshot, then apply the changes as the app writes (until Ctrl-C, SIGTERM or --until-caught-up)',
  status: 'Where a sync stands: its phase, the changes pending and the apply rate',
  cutover: 'Switch: fence the source, drain, check both sides are identical, capture changes on PostgreSQL for the way back',
  rollback: 'After a cutover: fence PostgreSQL, bring the rows written there back to SQLite, check both sides, lift the SQLite fence',
  stop: "Remove the sync's triggers and log from the source and its state from the target",
};

/**
 * `ferry sync <step> <sqlite> <postgres-url>`: one command whose first argument is the step, so
 * `ferry sync --help` shows every step and the options every command takes.
 */
export function registerSyncCommands(program: Command): void {
  const steps = (Object.keys(STEPS) as SyncStep[]).map((s) => `  ${s.padEnd(9)}${STEPS[s]}`).join('\n');
  commonOptions(program.command('sync').description('Copy a SQLite database into PostgreSQL while the app keeps writing, switch, and roll back'))
    .argument('<step>', 'start, status, cutover, rollback or stop')
    .argument('[from]', 'the SQLite source (default: copy.from in the config)')
    .argument('[to]', 'the PostgreSQL target (default: copy.to in the config, then DATABASE_URL)')
    .option('--tables <list>', 'start: follow only these tables (comma-separated)')
    .option('--exclude <list>', 'start: leave these tables out (comma-separated)')
    .option('--batch-size <n>', 'changes per applied batch (default 5000)')
    .option('--until-caught-up', 'start: stop once no change is pending, instead of running until Ctrl-C or SIGTERM')
    .option('--integers <policy>', 'start: integer columns as ferry copy makes them: fit (default) or bigint (room for values the snapshot never saw)')
    .option('--reject-file <path>', "start: where refused rows are written (JSON lines; later runs of the sync keep the first run's)")
    .option('--jsonb', 'start: JSON columns become jsonb (when every value parses) instead of json, as ferry copy --jsonb')
    .option('--virtual-tables <mode>', 'start: SQLite FTS/R*Tree virtual tables: fail (default: stop before writing) or skip (neither copied nor followed)')
    .option('--parallel <n>', "start: tables the snapshot's copy loads at once (default 2)")
    .addHelpText('after', `\nSteps:\n${steps}`)
    .action(async (step: string, from: string | undefined, to: string | undefined, flags: SyncFlags) => {
      const o = outputOf(flags);
      process.exitCode = await syncCommand(step, from, to, flags, o).catch((e) => reportError(o, e));
    });
}

function stepOf(step: string): SyncStep {
  if (step in STEPS) return step as SyncStep;
  throw new FerryError('USAGE', `ferry sync has no step "${step}".`, { hint: `Use one of: ${Object.keys(STEPS).join(', ')}.` });
}

async function syncCommand(stepArg: string, fromArg: string | undefined, toArg: string | undefined, flags: SyncFlags, o: Output): Promise<number> {
  const step = stepOf(stepArg);
  const config = (await loadCommandConfig(flags, o)).config.copy ?? {};
  const from = fromArg ?? config.from;
  const to = toArg ?? config.to ?? process.env.DATABASE_URL;
  if (!from || !to)
    throw new FerryError('USAGE', `Say which database to sync ${!from ? 'from' : 'to'}.`, { hint: `ferry sync ${step} app.db postgres://user@host/db` });
  const options: SyncOptions = {
    from,
    to,
    config,
    include: listOption(flags.tables),
    exclude: listOption(flags.exclude),
    lockTimeoutMs: lockTimeoutOf(flags),
    untilCaughtUp: !!flags.untilCaughtUp,
    ...(flags.rejectFile ? { rejectFile: flags.rejectFile } : {}),
    integers: choiceOption(flags.integers, '--integers', INTEGER_POLICIES),
    jsonb: flags.jsonb,
    virtualTables: choiceOption(flags.virtualTables, '--virtual-tables', VIRTUAL_TABLE_MODES),
    parallel: wholeNumberOption(flags.parallel, '--parallel', 1),
    onEvent: (e) => {
      if (e.type === 'warning') o.err(`warning: ${e.message}`);
      else o.log(e.type === 'phase' ? `${e.phase}: ${e.message}` : `applied ${e.changes} change(s), ${e.pending} pending, ${e.rate}/s`);
    },
  };
  if (flags.batchSize !== undefined) options.batchSize = wholeNumberOption(flags.batchSize, '--batch-size', 1);
  // Ctrl-C, or a service manager's stop: the batch in hand commits, then the run ends and reports.
  return untilStopped(async (signal) => {
    const lib = await import('../sync/run-sync.js');
    const run = { start: lib.syncStart, status: lib.syncStatus, cutover: lib.syncCutover, rollback: lib.syncRollback, stop: lib.syncStop }[step];
    const report = await run({ ...options, signal });
    if (o.json) printJson(o, { ok: true, step, ...report });
    else printReport(o, step, report);
    // Only the steps that apply changes say by their exit code that this run refused rows; status and stop report the sync's count.
    return report.rejected > 0 && (step === 'start' || step === 'cutover') ? EXIT.rejects : EXIT.ok;
  });
}

function printReport(o: Output, step: SyncStep, r: SyncReport | CutoverReport | RollbackReport): void {
  if ('broughtBack' in r) {
    o.out(`Rolled back: ${r.broughtBack} change(s) written on ${r.target} are in ${r.source}; both sides are identical.`);
    o.out(`Switch the app back to ${r.source}; ${r.target} now refuses writes (ferry sync stop lifts that).`);
    return;
  }
  if ('pauseMs' in r) {
    o.out(`Cut over: writes to ${r.source} were paused for ${r.pauseMs} ms; both sides are identical.`);
    o.out(`Switch the app to: DATABASE_URL=${r.databaseUrl}`);
    o.out('Changes written there are captured: ferry sync rollback brings them back to SQLite.');
    return;
  }
  if (step === 'stop') {
    o.out(`Sync of ${r.source} into ${r.target} stopped: its triggers, log and state are removed.`);
    return;
  }
  const age = r.oldestPendingMs === null ? '' : `, the oldest ${(r.oldestPendingMs / 1000).toFixed(1)} s old`;
  o.out(`${r.source} → ${r.target}: ${r.phase}, ${r.applied} change(s) applied, ${r.pending} pending${age}${r.rate ? `, last batch ${r.rate}/s` : ''}`);
  if (r.rejected) o.err(`${r.rejected} changed row(s) could not be converted for the target and were left out; they are listed in ${r.rejectFile}.`);
}
