import type { Command } from 'commander';
import { INTEGER_POLICIES, VIRTUAL_TABLE_MODES, type CopyConfig } from '../config/types.js';
import { engineLabel } from '../engines/engine-names.js';
import { EXIT, FerryError } from '../errors.js';
import type { CopyReport } from '../transfer/run-copy.js';
import type { VerifyReport } from '../transfer/verify-copy.js';
import { formatBytes } from '../util/disk-space.js';
import { copyProgress } from './copy-progress.js';
import { choiceOption, commonOptions, listOption, loadCommandConfig, lockTimeoutOf, outputOf, wholeNumberOption, type CommonFlags } from './common-options.js';
import { mark, paint, printJson, printRowDifferences, reportError, type Output } from './output.js';

interface CopyFlags extends CommonFlags {
  dryRun?: boolean;
  tables?: string;
  exclude?: string;
  batchSize?: string;
  parallel?: string;
  schemaOnly?: boolean;
  dataOnly?: boolean;
  ifExists?: string;
  resume?: boolean;
  maxRejects?: string;
  verify?: boolean;
  jsonb?: boolean;
  integers?: string;
  virtualTables?: string;
  rejectFile?: string;
}

interface VerifyFlags extends CommonFlags {
  tables?: string;
  detailed?: string | boolean;
}

/** `ferry copy` and `ferry verify`: parse flags, call the library functions, print. */
export function registerCopyCommands(program: Command): void {
  commonOptions(program.command('copy').description('Copy a SQLite database into PostgreSQL (or back) with exact types, at COPY speed, resumable, verified'))
    .argument('[from]', 'source: a SQLite file or postgres:// URL (default: copy.from in the config)')
    .argument('[to]', 'target: a postgres:// URL or SQLite file (default: copy.to in the config, then DATABASE_URL)')
    .option('--tables <list>', 'copy only these tables (comma-separated)')
    .option('--exclude <list>', 'leave these tables out (comma-separated)')
    .option('--batch-size <n>', 'rows per committed chunk (default 50000)')
    .option('--parallel <n>', 'tables loaded at once (default 2; SQLite targets take 1)')
    .option('--schema-only', 'create tables, keys and indexes; copy no rows')
    .option('--data-only', 'copy rows into tables that already exist')
    .option('--if-exists <mode>', 'a target table that already has rows: fail (default), truncate or append')
    .option('--resume', 'continue an interrupted copy from its last committed chunk')
    .option('--max-rejects <n>', 'refused rows tolerated before the copy stops (default 0)')
    .option('--no-verify', 'skip the content verification at the end')
    .option('--jsonb', 'JSON columns become jsonb (when every value parses) instead of json')
    .option('--integers <policy>', 'integer columns: fit (default: INTEGER stays integer when every value fits) or bigint')
    .option('--virtual-tables <mode>', 'SQLite FTS/R*Tree virtual tables: fail (default: stop before writing) or skip')
    .option('--reject-file <path>', 'where refused rows are written (JSON lines)')
    .option('--dry-run', 'show the plan (types, keys, warnings, space) and run the pre-flight checks; write nothing')
    .action(async (from: string | undefined, to: string | undefined, flags: CopyFlags) => {
      const o = outputOf(flags);
      process.exitCode = await copyCommand(from, to, flags, o).catch((e) => reportError(o, e));
    });

  commonOptions(
    program.command('verify').description("Compare two databases table by table (row counts and checksums of normalised values), then their schemas' meaning"),
  )
    .argument('[from]', 'the original: a SQLite file or postgres:// URL (default: copy.from in the config)')
    .argument('[to]', 'the copy (default: copy.to in the config, then DATABASE_URL)')
    .option('--tables <list>', 'only these tables (comma-separated)')
    .option('--detailed [n]', 'show the first differing rows of each differing table, by primary key (default 5)')
    .action(async (from: string | undefined, to: string | undefined, flags: VerifyFlags) => {
      const o = outputOf(flags);
      process.exitCode = await verifyCommand(from, to, flags, o).catch((e) => reportError(o, e));
    });
}

async function copySection(flags: CommonFlags, o: Output): Promise<CopyConfig> {
  return (await loadCommandConfig(flags, o)).config.copy ?? {};
}

function endpoints(from: string | undefined, to: string | undefined, cfg: CopyConfig): { from: string; to: string } {
  const f = from ?? cfg.from;
  const t = to ?? cfg.to ?? process.env.DATABASE_URL;
  if (!f || !t) {
    throw new FerryError('USAGE', `Say where to copy ${!f ? 'from' : 'to'}.`, {
      hint: 'ferry copy <from> <to>, e.g. ferry copy app.db postgres://user@host/db (or set copy.from/copy.to in the config, or DATABASE_URL for the target).',
    });
  }
  return { from: f, to: t };
}

async function copyCommand(fromArg: string | undefined, toArg: string | undefined, flags: CopyFlags, o: Output): Promise<number> {
  const cfg = await copySection(flags, o);
  const { from, to } = endpoints(fromArg, toArg, cfg);
  const lockTimeoutMs = lockTimeoutOf(flags);
  const ifExists = choiceOption(flags.ifExists, '--if-exists', ['fail', 'truncate', 'append'] as const);
  const integers = choiceOption(flags.integers, '--integers', INTEGER_POLICIES);
  const virtualTables = choiceOption(flags.virtualTables, '--virtual-tables', VIRTUAL_TABLE_MODES);
  // Loaded when used: `ferry verify` and `--help` need none of the copy machinery.
  const { runCopy } = await import('../transfer/run-copy.js');
  const report = await runCopy({
    from,
    to,
    include: listOption(flags.tables),
    exclude: listOption(flags.exclude),
    batchSize: wholeNumberOption(flags.batchSize, '--batch-size'),
    parallel: wholeNumberOption(flags.parallel, '--parallel'),
    schemaOnly: flags.schemaOnly,
    dataOnly: flags.dataOnly,
    ifExists,
    integers,
    virtualTables,
    resume: flags.resume,
    maxRejects: wholeNumberOption(flags.maxRejects, '--max-rejects'),
    verify: flags.verify,
    jsonb: flags.jsonb,
    rejectFile: flags.rejectFile,
    config: cfg,
    dryRun: flags.dryRun,
    lockTimeoutMs,
    onEvent: copyProgress(o),
  });
  if (report.dryRun) {
    if (o.json)
      printJson(o, {
        ok: true,
        dryRun: true,
        from: report.from,
        to: report.to,
        plan: report.dryRun.plan,
        checks: report.dryRun.checks,
        warnings: report.warnings,
      });
    else printCopyPlan(o, report);
    return EXIT.ok;
  }
  const code = report.verify && !report.verify.ok ? EXIT.differences : report.totals.rejects > 0 ? EXIT.rejects : EXIT.ok;
  if (o.json) printJson(o, { ok: code === EXIT.ok, exitCode: code, ...report });
  else printCopy(o, report);
  return code;
}

async function verifyCommand(fromArg: string | undefined, toArg: string | undefined, flags: VerifyFlags, o: Output): Promise<number> {
  const cfg = await copySection(flags, o);
  const { from, to } = endpoints(fromArg, toArg, cfg);
  const detailed =
    flags.detailed === undefined || flags.detailed === false ? 0 : flags.detailed === true ? 5 : wholeNumberOption(flags.detailed, '--detailed')!;
  const { runVerify } = await import('../transfer/run-verify.js');
  const report = await runVerify({ from, to, include: listOption(flags.tables), detailed, config: cfg, lockTimeoutMs: lockTimeoutOf(flags) });
  if (o.json) printJson(o, report);
  else printVerify(o, report);
  return report.ok ? EXIT.ok : EXIT.differences;
}

/** --dry-run: the plan as it would run, and what the pre-flight checked. */
function printCopyPlan(o: Output, r: CopyReport): void {
  const { plan, checks } = r.dryRun!;
  o.out(paint(o, 'bold', `Copy plan: ${r.from} → ${r.to} (nothing was written)`));
  for (const t of plan.tables) {
    o.out(`  ${paint(o, 'bold', t.source === t.target ? t.target : `${t.source} → ${t.target}`)}  ~${t.rowEstimate.toLocaleString('en-US')} rows`);
    for (const c of t.columns) {
      const rename = c.source === c.target ? c.target : `${c.source} → ${c.target}`;
      o.out(
        `    ${rename.padEnd(28)} ${(c.sourceType || '(none)').padEnd(18)} → ${c.targetType}${c.identity ? ' identity' : ''}${c.nullable ? '' : ' NOT NULL'}${c.default !== null ? ` DEFAULT ${c.default}` : ''}${c.epoch ? ` (Unix ${c.epoch})` : ''}`,
      );
    }
    const keys = [
      t.primaryKey ? `primary key (${t.primaryKey.columns.join(', ')})` : 'no primary key',
      t.uniques.length ? `${t.uniques.length} unique` : '',
      t.indexes.length ? `${t.indexes.length} index(es)` : '',
      t.foreignKeys.length ? `${t.foreignKeys.length} foreign key(s)` : '',
      t.checks.length ? `${t.checks.length} check(s)` : '',
    ].filter(Boolean);
    o.out(paint(o, 'dim', `    ${keys.join(', ')}`));
  }
  for (const w of r.warnings) o.out(`${paint(o, 'yellow', 'warning:')} ${w.message}`);
  o.out('Pre-flight:');
  for (const c of checks) o.out(`  ${c} ${mark(o, true)}`);
  o.out(`Total: ~${r.totals.rows.toLocaleString('en-US')} rows in ${plan.tables.length} table(s). Run without --dry-run to copy.`);
}

function printCopy(o: Output, r: CopyReport): void {
  o.out(paint(o, 'bold', `Copied ${r.from} → ${r.to}${r.resumed ? ' (resumed)' : ''}`));
  const w = Math.max(5, ...r.tables.map((t) => t.target.length));
  o.out(`  ${'table'.padEnd(w)} ${'rows'.padStart(12)} ${'bytes'.padStart(10)} ${'time'.padStart(8)} ${'rejects'.padStart(8)}`);
  for (const t of r.tables) {
    o.out(
      `  ${t.target.padEnd(w)} ${t.rows.toLocaleString('en-US').padStart(12)} ${formatBytes(t.bytes).padStart(10)} ${`${(t.ms / 1000).toFixed(1)}s`.padStart(8)} ${String(t.rejects).padStart(8)}`,
    );
  }
  o.out(
    `  ${'total'.padEnd(w)} ${r.totals.rows.toLocaleString('en-US').padStart(12)} ${formatBytes(r.totals.bytes).padStart(10)} ${`${(r.totals.ms / 1000).toFixed(1)}s`.padStart(8)} ${String(r.totals.rejects).padStart(8)}`,
  );
  if (r.warnings.length) o.out(paint(o, 'yellow', `${r.warnings.length} warning(s) (printed above; --json lists them)`));
  if (r.rejectFile) o.out(paint(o, 'yellow', `${r.totals.rejects} refused row(s) are listed in ${r.rejectFile}`));
  if (r.verify) printVerify(o, r.verify);
  else o.out(paint(o, 'dim', 'Not verified (--no-verify or --schema-only); run ferry verify <from> <to>.'));
}

function printVerify(o: Output, r: VerifyReport): void {
  const a = engineLabel(r.from.dialect);
  let b = engineLabel(r.to.dialect);
  if (a === b) b = `${b} (target)`;
  for (const t of r.tables) {
    if (t.problem && !t.differences) {
      o.out(`${t.table}: ${paint(o, 'red', t.problem)} ${mark(o, false)}`);
      continue;
    }
    const rejected = t.rejected ? ` (+${t.rejected} rejected)` : '';
    const name = t.target === t.table ? t.table : `${t.table} → ${t.target}`;
    o.out(
      `${name}: ${a}=${t.sourceRows}${rejected}, ${b}=${t.targetRows}${t.ok ? '' : `, checksums ${t.sourceDigest.split(':')[1]} ≠ ${t.targetDigest.split(':')[1]}`} ${mark(o, t.ok)}`,
    );
    printRowDifferences(o, t.differences ?? [], { source: a, target: b });
  }
  const bad = r.tables.filter((t) => !t.ok).length;
  // Then the schemas: what the app would see differently even where every value is equal.
  const behaviour = r.schema.filter((d) => d.severity === 'behaviour');
  for (const d of behaviour) o.out(`schema: ${paint(o, 'red', d.message)} ${mark(o, false)}`);
  for (const d of r.schema.filter((x) => x.severity === 'cosmetic')) o.out(paint(o, 'yellow', `schema (warning): ${d.message}`));
  if (bad) o.out(paint(o, 'red', `${bad} of ${r.tables.length} table(s) differ`));
  if (behaviour.length) o.out(paint(o, 'red', `${behaviour.length} schema difference(s) change how the app behaves`));
  if (!bad && !behaviour.length)
    o.out(paint(o, 'green', `All ${r.tables.length} table(s) verified successfully, values and schema (${(r.ms / 1000).toFixed(2)}s)`));
}
