import path from 'node:path';
import { durationMs } from '../util/duration.js';
import type { Command } from 'commander';
import { FerryError, EXIT } from '../errors.js';
import { resolveDatabaseArgument } from '../engines/engine-names.js';
import type { RevisionEvent } from '../revisions/migrator.js';
import type { AppliedEntry, MigrateResult, RevisionInfo, RevisionTarget } from '../revisions/revision-commands.js';
import { commonOptions, loadCommandConfig, lockTimeoutOf, outputOf, type CommonFlags } from './common-options.js';
import { paint, printJson, reportError, type Output } from './output.js';
import { untilStopped } from './stop-signals.js';

/** The flags every revision command (and `ferry watch`) takes. */
export interface RevisionFlags extends CommonFlags {
  url?: string;
  dir?: string;
  waitForDb?: string;
}

/** Options every revision command takes: the common ones, and where the database and revisions are. */
function common(cmd: Command): Command {
  return commonOptions(cmd)
    .option('--url <url>', 'the database (default: DATABASE_URL, then revisions.url in the config)')
    .option('--dir <path>', 'the revisions folder (default: revisions.dir in the config, then migrations)')
    .option('--wait-for-db <duration>', 'keep trying for this long while the database refuses connections (a container starting): 60s, 2min');
}

/** The target of the flags, DATABASE_URL and the config's revisions section, and the config's declared schema. */
async function configuredTarget(flags: RevisionFlags, o: Output): Promise<{ target: RevisionTarget; revisionLockTimeoutMs?: number; schemaFile?: string }> {
  const loaded = await loadCommandConfig(flags, o);
  const cfg = loaded.config.revisions ?? {};
  const lockTimeoutMs = lockTimeoutOf(flags);
  const fromConfig = (p?: string) => (p ? resolveDatabaseArgument(p, loaded.dir) : p);
  const waitForDbMs = waitOf(flags.waitForDb);
  const target = {
    url: flags.url ?? process.env.DATABASE_URL ?? fromConfig(cfg.url),
    dir: flags.dir ?? fromConfig(cfg.dir),
    lockTimeoutMs,
    ...(waitForDbMs !== undefined ? { waitForDbMs } : {}),
  };
  // A revision's lock wait per attempt: --lock-timeout, else revisions.lockTimeout.
  const configured = typeof cfg.lockTimeout === 'string' ? durationMs(cfg.lockTimeout) : cfg.lockTimeout;
  const revisionLockTimeoutMs = flags.lockTimeout !== undefined ? lockTimeoutMs : configured;
  return { target, revisionLockTimeoutMs, schemaFile: cfg.schema ? path.resolve(loaded.dir, cfg.schema) : undefined };
}

/** `--wait-for-db 60s` in milliseconds, checked. */
function waitOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = durationMs(text);
  if (ms === undefined) throw new FerryError('USAGE', `--wait-for-db must be a duration such as 60s or 2min, not "${text}".`);
  return ms;
}

/** Resolves --url/--dir against DATABASE_URL and the config's revisions section. */
export async function targetOf(flags: RevisionFlags, o: Output): Promise<RevisionTarget> {
  return (await configuredTarget(flags, o)).target;
}

/** Runs a command body with the shared error handling and exit codes. */
export function action<F extends RevisionFlags>(body: (o: Output, flags: F, args: string[]) => Promise<number | void>) {
  return async (...all: unknown[]) => {
    const cmd = all[all.length - 1] as Command;
    const flags = cmd.opts() as F;
    const o = outputOf(flags);
    process.exitCode = await body(o, flags, cmd.args).then(
      (c) => c ?? EXIT.ok,
      (e) => reportError(o, e),
    );
  };
}

/** The library's revision commands, loaded when a command runs. */
const lib = () => import('../revisions/revision-commands.js');

/** A path as printed: relative to the working folder when inside it. */
function shown(file: string): string {
  return path.relative(process.cwd(), file) || file;
}

function line(o: Output, r: RevisionInfo): string {
  const tags = [r.isHead ? 'head' : '', r.isBase ? 'base' : '', r.isMerge ? 'merge' : '', r.applied ? 'current' : ''].filter(Boolean);
  const parents = r.parents.length ? r.parents.join(', ') : '<base>';
  return `${parents} -> ${paint(o, 'bold', r.id)}${tags.length ? ` (${tags.join(', ')})` : ''}, ${r.message}`;
}

function progress(o: Output): (e: RevisionEvent) => void {
  let started = 0;
  let lastDraw = 0;
  let lastLine = 0;
  const backfill = (e: Extract<RevisionEvent, { type: 'backfill-progress' }>) => {
    const now = Date.now();
    const rate = e.rowsDone / Math.max(0.001, (now - started) / 1000);
    const eta = rate > 0 && e.rowsTotal > e.rowsDone ? ` ETA ${Math.ceil((e.rowsTotal - e.rowsDone) / rate)}s` : '';
    const figures = `${e.rowsDone.toLocaleString('en-US')}/${e.rowsTotal.toLocaleString('en-US')} rows ${Math.round(rate).toLocaleString('en-US')}/s${eta} (batch ${e.batchSize})`;
    if (o.live) {
      if (now - lastDraw < 100 && e.rowsDone < e.rowsTotal) return;
      lastDraw = now;
      const frac = e.rowsTotal > 0 ? Math.min(1, e.rowsDone / e.rowsTotal) : 1;
      process.stderr.write(`\r\u001b[2K  ${'█'.repeat(Math.round(frac * 24)).padEnd(24, '░')} ${e.label} ${figures}`);
    } else if (now - lastLine >= 10_000) {
      // A pipe or CI: a plain line every 10 s, so a long backfill shows it is alive without flooding the log.
      lastLine = now;
      o.log(`    ${e.label}: ${figures}`);
    }
  };
  return (e) => {
    if (e.type === 'backup') o.log(`backed up to ${e.set.path}`);
    if (e.type === 'step-start') {
      started = lastLine = Date.now();
      o.log(`    ${e.revision.id}: ${e.label}${e.resumed ? ' (resuming)' : ''}`);
    }
    if (e.type === 'backfill-progress') backfill(e);
    if (e.type === 'step-done') {
      if (o.live) process.stderr.write('\r\u001b[2K');
      o.detail(`    ${e.revision.id}: ${e.label} done (${e.ms} ms)`);
    }
    if (e.type === 'done') o.log(`  ${e.step.direction === 'up' ? 'upgraded' : 'downgraded'} ${e.step.id} ${e.step.message} (${e.step.ms.toFixed(0)} ms)`);
    if (e.type === 'retry')
      o.err(
        `${paint(o, 'yellow', 'lock wait:')} ${e.revision.id} waited ${e.waitedMs} ms for a lock (attempt ${e.attempt}); rolled back, trying again in ${e.pauseMs} ms`,
      );
  };
}

/** `ferry revision|upgrade|downgrade|current|heads|branches|show|history|merge|check|stamp`. */
export function registerRevisionCommands(program: Command): void {
  registerRevision(program);
  registerMigrate(program, 'upgrade', 'Apply revisions up to TARGET: heads (default), head, an id or prefix, +N');
  registerMigrate(program, 'downgrade', 'Revert revisions down to TARGET: -N, an id or prefix, base');
  registerCurrent(program);
  registerListing(program, 'heads', 'Show the heads of the revision graph');
  registerListing(program, 'branches', 'Show the revisions where the graph branches');
  registerShow(program);
  registerHistory(program);
  registerLint(program);
  registerMerge(program);
  registerCheck(program);
  registerStamp(program);
}

type RevisionCommandFlags = RevisionFlags & { message: string; ts?: boolean; parents?: string[]; autogenerate?: boolean; schema?: string };

/** `ferry revision -m MSG [--ts] [--parents ...] [--autogenerate [--schema FILE]]`. */
function registerRevision(program: Command): void {
  common(program.command('revision').description('Write a new revision file on the current head'))
    .requiredOption('-m, --message <text>', 'what the revision does')
    .option('--ts', 'a TypeScript revision (up/down functions with ctx.ops) instead of SQL')
    .option('--parents <ids...>', 'parent revision(s) (default: the single head)')
    .option('--autogenerate', 'diff the declared schema against the database at head and write the up and down')
    .option('--schema <file>', 'the declared schema for --autogenerate (default: revisions.schema in the config, then schema.sql beside the revisions folder)')
    .action(
      action<RevisionCommandFlags>(async (o, f) => {
        if (f.autogenerate) return autogenerate(o, f);
        const r = await (await lib()).newRevision({ ...(await targetOf(f, o)), message: f.message, script: f.ts, parents: f.parents });
        if (o.json) printJson(o, { ok: true, ...r });
        else o.out(`Generated ${shown(r.file)}`);
      }),
    );
}

/** `ferry revision --autogenerate`: the library writes the revision; this prints what it did. */
async function autogenerate(o: Output, f: RevisionCommandFlags): Promise<void> {
  const { target, schemaFile } = await configuredTarget(f, o);
  const { autogenerateRevision } = await import('../revisions/autogenerate.js');
  const r = await autogenerateRevision({ ...target, schemaFile: f.schema ?? schemaFile, message: f.message });
  if (o.json) printJson(o, { ok: true, ...r });
  else if (!r.file) o.out('Nothing to generate: the database at head already matches the declared schema.');
  else {
    for (const w of r.warnings) o.err(paint(o, 'yellow', `WARNING: ${w}`));
    o.out(`Generated ${shown(r.file)}${r.kind === 'script' ? ' (a TypeScript revision: some SQLite changes need table rebuilds)' : ''}`);
  }
}

type MigrateFlags = RevisionFlags & { sql?: boolean; dryRun?: boolean; backup?: boolean; create?: boolean; strict?: boolean };

/** `ferry upgrade [TARGET]` and `ferry downgrade TARGET`. */
function registerMigrate(program: Command, name: 'upgrade' | 'downgrade', description: string): void {
  const cmd = common(program.command(name).description(description))
    .argument(name === 'upgrade' ? '[target]' : '<target>', 'where to go')
    .option('--sql', 'print the SQL that would run, and run nothing')
    .option('--dry-run', 'print which revisions would run, in order, and run nothing')
    .option('--backup', 'PostgreSQL: take a dump and check it by a test restore before running (a SQLite file is always backed up)')
    .option('--no-backup', 'do not back up a SQLite database first');
  if (name === 'upgrade')
    cmd
      .option('--create', 'create the SQLite database file when it does not exist (a mistyped path is refused otherwise)')
      .option('--strict', 'refuse to run revisions with error-level lint findings (ferry lint); they are shown as warnings otherwise');
  cmd.action(
    action<MigrateFlags>(async (o, f, args) => {
      if (f.sql && f.dryRun) throw new FerryError('USAGE', 'Choose one of --sql and --dry-run.');
      const run = (await lib())[name];
      const { target, revisionLockTimeoutMs } = await configuredTarget(f, o);
      const r = await untilStopped(
        (signal) =>
          run({
            ...target,
            target: args[0],
            sql: f.sql,
            dryRun: f.dryRun,
            create: f.create,
            backup: f.backup,
            strict: f.strict,
            ...(revisionLockTimeoutMs !== undefined ? { revisionLockTimeoutMs } : {}),
            onEvent: progress(o),
            onLint: (findings) => {
              for (const x of findings)
                o.err(
                  `${paint(o, 'yellow', 'lint:')} ${x.file}:${x.line} ${x.level} ${x.rule}${x.lock ? ` (takes ${x.lock}${x.table ? ` on ${x.table}` : ''})` : ''}: ${x.safe}`,
                );
            },
            signal,
          }),
        () => o.err(`${name}: stopping at the next safe point (between revisions or a backfill's batches); a second signal stops at once.`),
      );
      printMigrateResult(o, name, r);
      if (r.incomplete) {
        if (!o.json) o.err(`${paint(o, 'red', 'error:')} ${r.incomplete}`);
        return EXIT.error;
      }
    }),
  );
}

/** What an upgrade or downgrade did, would do (--dry-run), or would run (--sql). */
function printMigrateResult(o: Output, name: 'upgrade' | 'downgrade', r: MigrateResult): void {
  const at = r.heads.join(', ') || 'base';
  if (o.json) printJson(o, { ok: !r.incomplete, ...r });
  else if (r.sql !== undefined) process.stdout.write(r.sql);
  else if (r.planned) {
    if (!r.planned.length) o.out(`Nothing to do; at ${at}`);
    else {
      o.out(`Would ${name} ${r.planned.length} revision(s) from ${at}, in this order (nothing was run):`);
      for (const s of r.planned)
        o.out(`  ${s.direction === 'up' ? 'up  ' : 'down'} ${paint(o, 'bold', s.id)} ${s.message}${o.verbose ? paint(o, 'dim', `  ${shown(s.file)}`) : ''}`);
    }
  } else if (r.steps.length) o.out(`${name === 'upgrade' ? 'Upgraded' : 'Downgraded'} ${r.steps.length} revision(s); now at ${at}`);
  else o.out(`Nothing to do; at ${at}`);
}

/** `ferry current`. */
function registerCurrent(program: Command): void {
  common(program.command('current').description("Show the database's current revision(s)")).action(
    action<RevisionFlags>(async (o, f) => {
      const r = await (await lib()).current(await targetOf(f, o));
      if (o.json) printJson(o, r);
      else {
        if (!r.heads.length) o.out('<base> (no revision applied)');
        for (const h of r.heads) o.out(line(o, h));
        if (r.pending) o.out(paint(o, 'yellow', `${r.pending} revision(s) not applied yet (ferry upgrade)`));
      }
    }),
  );
}

/** `ferry heads` and `ferry branches`: a list of revisions. */
function registerListing(program: Command, name: 'heads' | 'branches', description: string): void {
  common(program.command(name).description(description)).action(
    action<RevisionFlags>(async (o, f) => {
      const rows = await (await lib())[name](await targetOf(f, o));
      if (o.json) printJson(o, rows);
      else for (const r of rows) o.out(line(o, r));
    }),
  );
}

/** `ferry show REV`. */
function registerShow(program: Command): void {
  common(program.command('show').description('Show one revision').argument('<rev>', 'id or unique prefix')).action(
    action<RevisionFlags>(async (o, f, args) => {
      const r = await (await lib()).show({ ...(await targetOf(f, o)), revision: args[0]! });
      if (o.json) printJson(o, r);
      else {
        o.out(`Revision: ${r.id}${r.isHead ? ' (head)' : ''}`);
        o.out(`Parents: ${r.parents.join(', ') || '<base>'}`);
        o.out(`Message: ${r.message}`);
        o.out(`File: ${r.file}`);
        o.out(`Transactional: ${r.transactional ? 'yes' : 'no'}`);
        o.out(`Up:\n${r.up}`);
        o.out(`Down:\n${r.down ?? '(none)'}`);
      }
    }),
  );
}

type HistoryFlags = RevisionFlags & { revRange?: string; verbose?: boolean; indicateCurrent?: boolean; applied?: boolean };

/** `ferry history [-r FROM:TO] [-i] [--applied]`. */
function registerHistory(program: Command): void {
  common(program.command('history').description('List revisions, newest first'))
    .option('-r, --rev-range <from:to>', 'only this range (ids, prefixes, base, heads); --verbose adds each file (or, with --applied, each checksum)')
    .option('-i, --indicate-current', "mark the database's applied revisions")
    .option('--applied', 'what ran on the database instead (ferry_history): upgrades, downgrades and stamps with time, duration and who')
    .action(
      action<HistoryFlags>(async (o, f) => {
        const target = await targetOf(f, o);
        if (f.applied) return printAppliedHistory(o, f, await (await lib()).appliedHistory(target));
        const rows = await (await lib()).history({ ...target, range: f.revRange, indicateCurrent: f.indicateCurrent });
        if (o.json) printJson(o, rows);
        else
          for (const r of rows) {
            o.out(line(o, r));
            if (f.verbose) o.out(paint(o, 'dim', `    ${shown(r.file)}`));
          }
      }),
    );
}

/** `ferry history --applied`: the runs on the database, newest first. */
function printAppliedHistory(o: Output, f: HistoryFlags, runs: AppliedEntry[]): void {
  if (o.json) printJson(o, runs);
  else if (runs.length === 0) o.out('Nothing has run on this database yet.');
  else
    for (const r of runs) {
      const what = `${r.appliedAt}  ${r.direction.padEnd(9)} ${paint(o, 'bold', r.revision)}${r.message !== undefined ? ` ${r.message}` : paint(o, 'dim', ' (no revision file)')}`;
      o.out(`${what}  ${paint(o, 'dim', `${r.durationMs} ms, ${r.appliedBy}`)}`);
      if (f.verbose) o.out(paint(o, 'dim', `    checksum ${r.checksum ?? '(none)'}`));
    }
}

/** `ferry merge -m MSG [REVS...]`. */
function registerMerge(program: Command): void {
  common(program.command('merge').description('Write a merge revision over the given heads (default: all heads)'))
    .requiredOption('-m, --message <text>', 'what the merge is for')
    .argument('[revs...]', 'revisions to merge, or heads')
    .action(
      action<RevisionFlags & { message: string }>(async (o, f, args) => {
        const r = await (await lib()).merge({ ...(await targetOf(f, o)), message: f.message, revisions: args });
        if (o.json) printJson(o, { ok: true, ...r });
        else o.out(`Generated ${shown(r.file)} merging ${r.parents.join(', ')}`);
      }),
    );
}

/** `ferry check [--roundtrip]`. */
function registerCheck(program: Command): void {
  common(program.command('check').description('Exit non-zero when applied revisions changed or never ran, or the schema drifted from them'))
    .option('--roundtrip', 'also apply every revision up, down and up again on a scratch database and check each down undoes its up')
    .action(
      action<RevisionFlags & { roundtrip?: boolean }>(async (o, f) => {
        const r = await (await lib()).check({ ...(await targetOf(f, o)), roundtrip: f.roundtrip });
        if (o.json) printJson(o, r);
        else {
          for (const p of r.problems) o.out(`${paint(o, 'red', p.kind)}: ${p.message}`);
          if (r.pending) o.out(paint(o, 'yellow', `${r.pending} revision(s) not applied yet (ferry upgrade)`));
          o.out(
            r.ok
              ? paint(o, 'green', `OK: the database matches its revisions${f.roundtrip ? ', and every down undoes its up' : ''}`)
              : paint(o, 'red', `${r.problems.length} problem(s)`),
          );
        }
        return r.ok ? EXIT.ok : EXIT.differences;
      }),
    );
}

/** `ferry lint [REV...]`: findings with file, line, rule, lock and the safe form; exit 4 on an error-level one. */
function registerLint(program: Command): void {
  common(
    program
      .command('lint')
      .description('Check revisions for statements that stall a live PostgreSQL database (locks, rewrites, scans), with the safe way to write each')
      .argument('[revisions...]', 'only these revisions (default: every one)'),
  ).action(
    action<RevisionFlags>(async (o, f, args) => {
      const r = await (await lib()).lint({ ...(await targetOf(f, o)), revisions: args });
      if (o.json) printJson(o, { ok: r.errors === 0, ...r });
      else printLint(o, r);
      return r.errors ? EXIT.differences : EXIT.ok;
    }),
  );
}

function printLint(o: Output, r: Awaited<ReturnType<Awaited<ReturnType<typeof lib>>['lint']>>): void {
  for (const f of r.findings) {
    const level = f.ignored !== undefined ? paint(o, 'dim', 'waived') : paint(o, f.level === 'error' ? 'red' : 'yellow', f.level);
    const size = f.tableRows ? `, ~${f.tableRows.toLocaleString('en-US')} rows` : f.tableBytes ? `, ${(f.tableBytes / 1048576).toFixed(1)} MB` : '';
    const lock = f.lock ? ` (takes ${f.lock}${f.table ? ` on ${f.table}${size}` : ''})` : '';
    o.out(`${f.file}:${f.line || '-'}  ${level}  ${paint(o, 'bold', f.rule)}${lock}`);
    o.out(`  ${f.statement}`);
    if (f.ignored !== undefined) o.out(`  waived: ${f.ignored}`);
    else {
      o.out(`  why: ${f.message}`);
      o.out(`  safe: ${f.safe}`);
    }
  }
  for (const n of r.notLinted) o.out(paint(o, 'yellow', `${n.file}: not linted: ${n.reason}`));
  const waived = r.findings.filter((f) => f.ignored !== undefined).length;
  o.out(`${r.errors} error(s), ${r.warnings} warning(s)${waived ? `, ${waived} waived` : ''}`);
}

/** `ferry stamp TARGET [--create]`. */
function registerStamp(program: Command): void {
  common(program.command('stamp').description('Mark the database as at TARGET without running anything').argument('<target>', 'a revision, heads or base'))
    .option('--create', 'create the SQLite database file when it does not exist (a mistyped path is refused otherwise)')
    .action(
      action<RevisionFlags & { create?: boolean }>(async (o, f, args) => {
        const r = await (await lib()).stamp({ ...(await targetOf(f, o)), target: args[0]!, create: f.create });
        if (o.json) printJson(o, { ok: true, ...r });
        else o.out(`Stamped at ${r.heads.join(', ') || 'base'}`);
      }),
    );
}
