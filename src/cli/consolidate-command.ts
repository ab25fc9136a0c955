import type { Command } from 'commander';
import type { LoadedConfig } from '../config/types.js';
import type { ConsolidateResult } from '../consolidate/run-consolidate.js';
import type { VerifyConsolidationResult } from '../consolidate/verify-consolidate.js';
import type { ConsolidatePlan } from '../consolidate/plan-types.js';
import { EXIT, FerryError } from '../errors.js';
import { formatBytes } from '../util/disk-space.js';
import { commonOptions, loadCommandConfig, lockTimeoutOf, outputOf, type CommonFlags } from './common-options.js';
import { mark, paint, printJson, printRowDifferences, reportError, type Output } from './output.js';
import { progressRenderer } from './progress.js';

interface ConsolidateFlags extends CommonFlags {
  dryRun?: boolean;
  verify?: boolean;
  rollback?: boolean;
  from?: string;
  force?: boolean;
  restart?: boolean;
}

/** `ferry consolidate`: parses flags, calls the library function for the mode, prints. */
export function registerConsolidate(program: Command): void {
  commonOptions(
    program.command('consolidate').description('Consolidate many SQLite files into a few, as the config file maps them (backed up, verified, resumable)'),
  )
    .option('--dry-run', 'show the plan (sources, tables, row counts, problems, disk space) and write nothing')
    .option('--verify', 'compare every mapped table in the sources and the targets by content')
    .option('--rollback', 'restore the sources from the latest consolidation backup and remove the consolidated files')
    .option('--from <dir>', 'with --rollback: the backup set to restore (id or folder)')
    .option(
      '--force',
      'replace target files that already exist (they are backed up first); with --rollback: roll back even though sources changed since the backup (they are kept first)',
    )
    .option('--restart', 'start over when an interrupted run is found whose sources changed since its backup')
    .action(async (flags: ConsolidateFlags) => {
      const o = outputOf(flags);
      process.exitCode = await runConsolidateCommand(flags, o).catch((e) => reportError(o, e));
    });
}

async function runConsolidateCommand(flags: ConsolidateFlags, o: Output): Promise<number> {
  const modes = [flags.dryRun, flags.verify, flags.rollback].filter(Boolean).length;
  if (modes > 1)
    throw new FerryError('USAGE', 'Choose one of --dry-run, --verify and --rollback.', {
      hint: 'Run them one after another: ferry consolidate --dry-run, ferry consolidate, ferry consolidate --verify.',
    });
  if (flags.from && !flags.rollback)
    throw new FerryError('USAGE', '--from only goes with --rollback.', { hint: 'ferry consolidate --rollback --from <backup set>' });
  const busyTimeoutMs = lockTimeoutOf(flags);
  const loaded = await loadCommandConfig(flags, o, { required: true });
  const config = consolidateSection(loaded);
  const common = { config, baseDir: loaded.dir, configFile: loaded.file, busyTimeoutMs };
  // Loaded when used, so other commands start without the consolidation machinery.
  const [{ buildPlan }, { verifyConsolidation }, { rollbackConsolidation }, { consolidate }] = await Promise.all([
    import('../consolidate/build-plan.js'),
    import('../consolidate/verify-consolidate.js'),
    import('../consolidate/rollback-consolidate.js'),
    import('../consolidate/run-consolidate.js'),
  ]);

  if (flags.dryRun) {
    const plan = await buildPlan({ ...common, inspect: true, force: flags.force });
    const failed = plan.problems.some((p) => p.severity === 'error');
    if (o.json) printJson(o, { ok: !failed, plan: planJson(plan) });
    else printPlan(o, plan);
    return failed ? EXIT.error : EXIT.ok;
  }
  if (flags.verify) {
    const result = await verifyConsolidation(common);
    if (o.json) printJson(o, result);
    else printVerify(o, result);
    return result.ok ? EXIT.ok : EXIT.differences;
  }
  if (flags.rollback) {
    const r = await rollbackConsolidation({ ...common, from: flags.from, force: flags.force });
    if (o.json) printJson(o, { ok: true, ...r });
    else {
      o.out(`Rolled back from ${r.set}`);
      for (const f of r.restored)
        o.out(
          `  restored ${f.path} (${Object.values(f.tables)
            .reduce((s, n) => s + n, 0)
            .toLocaleString('en-US')} rows) ${mark(o, true)}`,
        );
      for (const t of r.removedTargets) o.out(`  removed ${t.file} (a copy is kept at ${t.keptAt})`);
      if (r.sourcesKept) o.out(`The sources as they were before the rollback are kept in the backup set ${r.sourcesKept} (ferry backups lists it).`);
    }
    return EXIT.ok;
  }
  if (flags.restart && (flags.dryRun || flags.verify || flags.rollback))
    throw new FerryError('USAGE', '--restart only goes with a run (ferry consolidate --restart).');
  const result = await consolidate({ ...common, force: flags.force, restart: flags.restart, onEvent: progressRenderer(o) });
  if (o.json) printJson(o, { ok: true, ...resultJson(result) });
  else printSummary(o, result);
  return result.skippedRows + result.replacedRows > 0 ? EXIT.rejects : EXIT.ok;
}

function consolidateSection(loaded: LoadedConfig) {
  const c = loaded.config.consolidate;
  if (!c)
    throw new FerryError('CONFIG_INVALID', `${loaded.file ?? 'The config'} has no "consolidate" section.`, {
      subject: loaded.file ?? undefined,
      hint: 'Add "consolidate": { "sourceDir", "targetDir", "sources": { ... } }.',
    });
  return c;
}

/** The plan without functions, for --json. */
function planJson(plan: ConsolidatePlan) {
  return {
    ...plan,
    targets: plan.targets.map((t) => ({
      ...t,
      tables: t.tables.map((tb) => ({ ...tb, pieces: tb.pieces.map(({ rowFn, ...p }) => ({ ...p, transform: rowFn ? 'function' : undefined })) })),
    })),
  };
}

function resultJson(r: ConsolidateResult) {
  const { plan, ...rest } = r;
  return { ...rest, plan: planJson(plan) };
}

function printPlan(o: Output, plan: ConsolidatePlan): void {
  o.out(paint(o, 'bold', `Consolidation plan${plan.configFile ? ` (${plan.configFile})` : ''}`));
  o.out(`Sources in ${plan.sourceDir}: ${plan.sources.length} found, ${plan.missing.length} missing, ${plan.unmapped.length} unmapped`);
  for (const s of plan.sources)
    o.out(
      `  ${s.name.padEnd(28)} ${formatBytes(s.bytes).padStart(9)}  ${s.tables.length} table(s)  check ${s.check === 'ok' ? mark(o, true) : paint(o, 'red', s.check ?? '?')}`,
    );
  for (const m of plan.missing) o.out(`  ${m.padEnd(28)} ${paint(o, 'red', 'missing')}`);
  for (const u of plan.unmapped) o.out(`  ${u.padEnd(28)} ${paint(o, 'yellow', 'unmapped (not moved)')}`);
  for (const s of plan.sources) if (s.tablesLeft.length) o.out(`  ${s.name}: tables not mapped, left behind: ${s.tablesLeft.join(', ')}`);
  o.out(`Targets in ${plan.targetDir}:`);
  for (const t of plan.targets) {
    o.out(`  ${paint(o, 'bold', t.file)}`);
    for (const tb of t.tables) {
      for (const p of tb.pieces)
        o.out(
          `    ${tb.name.padEnd(26)} ← ${`${p.source}:${p.sourceTable}`.padEnd(36)} ${p.rows.toLocaleString('en-US').padStart(11)} rows${tb.pieces.length > 1 ? `  onConflict ${p.onConflict}` : ''}${p.rowFn ? '  transform fn' : ''}`,
        );
      for (const n of tb.notes) o.out(`      ${paint(o, 'dim', n)}`);
    }
  }
  o.out(`Total: ${plan.totalRows.toLocaleString('en-US')} rows in ${plan.targets.reduce((s, t) => s + t.tables.length, 0)} table(s)`);
  if (plan.duplicates.length) {
    o.out('Keys found in more than one source:');
    for (const d of plan.duplicates)
      o.out(`  ${d.target}:${d.table}: ${d.count} in both ${d.sources[0]} and ${d.sources[1]} (e.g. ${d.examples.join(', ')}); onConflict ${d.policy}`);
  }
  o.out(`Disk: needs ${formatBytes(plan.space.neededBytes)} (backup and targets), ${formatBytes(plan.space.freeBytes)} free in ${plan.space.dir}`);
  o.out(`Backup would go to ${plan.backupDir}/<YYYYMMDD_HHMMSS>/`);
  if (plan.problems.length) {
    o.out('Problems:');
    for (const p of plan.problems)
      o.out(`  ${p.severity === 'error' ? paint(o, 'red', 'error') : paint(o, 'yellow', 'warning')}: ${p.message}${p.hint ? ` (${p.hint})` : ''}`);
  } else o.out(`No problems ${mark(o, true)}`);
}

function printSummary(o: Output, r: ConsolidateResult): void {
  const leftOut = r.skippedRows + r.replacedRows;
  // A run that left rows out on purpose exits 3: it does not claim to be complete.
  if (leftOut)
    o.out(
      paint(
        o,
        'yellow',
        `Migration finished${r.resumed ? ' (resumed)' : ''}, but ${leftOut.toLocaleString('en-US')} row(s) were skipped or replaced (exit 3; listed in the rejects file).`,
      ),
    );
  else o.out(paint(o, 'bold', r.resumed ? 'Migration completed (resumed)!' : 'Migration completed!'));
  o.out(`Tables migrated: ${r.tablesMigrated}`);
  o.out(`Total rows: ${r.totalRows.toLocaleString('en-US')}`);
  o.out(`Duration: ${(r.durationMs / 1000).toFixed(2)}s`);
  for (const t of r.targets.flatMap((x) => x.tables)) {
    const extra = [t.skipped ? `${t.skipped} skipped` : '', t.replaced ? `${t.replaced} replaced` : ''].filter(Boolean).join(', ');
    o.out(
      `  ${`${t.target}:${t.table}`.padEnd(40)} ${t.rows.toLocaleString('en-US').padStart(11)} rows  from ${t.pieces.map((p) => `${p.source}:${p.sourceTable}`).join(' + ')}${extra ? paint(o, 'yellow', `  (${extra})`) : ''}`,
    );
  }
  for (const t of r.targets) {
    if (t.rejectsFile) o.out(paint(o, 'yellow', `Rows not written to ${t.target} are listed in ${t.rejectsFile}`));
    for (const f of t.foreignKeyProblems)
      o.out(paint(o, 'yellow', `warning: ${t.target}:${f.table} has ${f.count} row(s) whose foreign key points nowhere (as in the source; rows kept)`));
    for (const f of t.postFailures) o.out(paint(o, 'yellow', `warning: ${t.target}: could not recreate ${f}`));
  }
  o.out(`Backup: ${r.backupSet}`);
  o.out(`Next: ferry consolidate --verify   (undo: ferry consolidate --rollback)`);
}

function printVerify(o: Output, r: VerifyConsolidationResult): void {
  for (const t of r.tables) {
    const name = `${t.target}:${t.table}`;
    if (t.problem) {
      o.out(`${name}: ${paint(o, 'red', t.problem)} ${mark(o, false)}`);
      continue;
    }
    const removed = t.removedRows ? ` (${t.removedRows} left out on purpose, see rejects file)` : '';
    o.out(
      `${name}: sources=${t.sourceRows.toLocaleString('en-US')}${removed}, target=${t.targetRows.toLocaleString('en-US')}, checksum ${t.targetChecksum.split(':')[1]} ${t.ok ? '=' : '≠'} ${t.sourceChecksum.split(':')[1]} ${mark(o, t.ok)}`,
    );
    printRowDifferences(o, t.differences, { source: 'source', target: 'target' });
  }
  const bad = r.tables.filter((t) => !t.ok).length;
  o.out(
    bad
      ? paint(o, 'red', `${bad} of ${r.tables.length} table(s) differ`)
      : paint(o, 'green', `All ${r.tables.length} table(s) match (${(r.durationMs / 1000).toFixed(2)}s)`),
  );
}
