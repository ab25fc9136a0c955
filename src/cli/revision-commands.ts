import path from 'node:path';
import type { Command } from 'commander';
import { FerryError, EXIT } from '../errors.js';
import { resolveDatabaseArgument } from '../engines/registry.js';
import type { RevisionEvent } from '../revisions/migrator.js';
import type { RevisionInfo, RevisionTarget } from '../revisions/revision-commands.js';
import { commonOptions, loadCommandConfig, lockTimeoutOf, outputOf, type CommonFlags } from './common-options.js';
import { paint, printJson, reportError, type Output } from './output.js';

interface RevisionFlags extends CommonFlags {
  url?: string;
  dir?: string;
}

/** Options every revision command takes: the common ones, and where the database and revisions are. */
function common(cmd: Command): Command {
  return commonOptions(cmd)
    .option('--url <url>', 'the database (default: DATABASE_URL, then revisions.url in the config)')
    .option('--dir <path>', 'the revisions folder (default: revisions.dir in the config, then migrations)');
}

/** Resolves --url/--dir against DATABASE_URL and the config's revisions section. */
async function targetOf(flags: RevisionFlags, o: Output): Promise<RevisionTarget> {
  const loaded = await loadCommandConfig(flags, o);
  const cfg = loaded.config.revisions ?? {};
  const lockTimeoutMs = lockTimeoutOf(flags);
  const fromConfig = (p?: string) => (p ? resolveDatabaseArgument(p, loaded.dir) : p);
  return { url: flags.url ?? process.env.DATABASE_URL ?? fromConfig(cfg.url), dir: flags.dir ?? fromConfig(cfg.dir), lockTimeoutMs };
}

/** Runs a command body with the shared error handling and exit codes. */
function action<F extends RevisionFlags>(body: (o: Output, flags: F, args: string[]) => Promise<number | void>) {
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

function line(o: Output, r: RevisionInfo): string {
  const tags = [r.isHead ? 'head' : '', r.isBase ? 'base' : '', r.isMerge ? 'merge' : '', r.applied ? 'current' : ''].filter(Boolean);
  const parents = r.parents.length ? r.parents.join(', ') : '<base>';
  return `${parents} -> ${paint(o, 'bold', r.id)}${tags.length ? ` (${tags.join(', ')})` : ''}, ${r.message}`;
}

function progress(o: Output): (e: RevisionEvent) => void {
  return (e) => {
    if (e.type === 'backup') o.log(`backed up to ${e.set.path}`);
    if (e.type === 'done') o.log(`  ${e.step.direction === 'up' ? 'upgraded' : 'downgraded'} ${e.step.id} ${e.step.message} (${e.step.ms.toFixed(0)} ms)`);
  };
}

/** `ferry revision|upgrade|downgrade|current|heads|branches|show|history|merge|stamp`. */
export function registerRevisionCommands(program: Command): void {
  const lib = () => import('../revisions/revision-commands.js');

  common(program.command('revision').description('Write a new revision file on the current head'))
    .requiredOption('-m, --message <text>', 'what the revision does')
    .option('--ts', 'a TypeScript revision (up/down functions with ctx.ops) instead of SQL')
    .option('--parents <ids...>', 'parent revision(s) (default: the single head)')
    .option('--autogenerate', 'diff the declared schema against the database at head and write the up and down')
    .option('--schema <file>', 'the declared schema for --autogenerate (default: revisions.schema in the config, then schema.sql beside the revisions folder)')
    .action(
      action<RevisionFlags & { message: string; ts?: boolean; parents?: string[]; autogenerate?: boolean; schema?: string }>(async (o, f) => {
        const target = await targetOf(f, o);
        if (f.autogenerate) {
          // The schema file's default lives in the config, which targetOf does not return.
          const loaded = await loadCommandConfig(f, o);
          const cfgSchema = loaded.config.revisions?.schema;
          const schemaFile =
            f.schema ?? (cfgSchema ? path.resolve(loaded.dir, cfgSchema) : path.join(path.dirname(path.resolve(target.dir ?? 'migrations')), 'schema.sql'));
          const { autogenerateRevision } = await import('../revisions/autogenerate.js');
          const r = await autogenerateRevision({ ...target, schemaFile, message: f.message });
          if (o.json) printJson(o, { ok: true, ...r });
          else if (!r.file) o.out('Nothing to generate: the database at head already matches the declared schema.');
          else {
            for (const w of r.warnings) o.err(paint(o, 'yellow', `WARNING: ${w}`));
            o.out(
              `Generated ${path.relative(process.cwd(), r.file) || r.file}${r.kind === 'script' ? ' (a TypeScript revision: some SQLite changes need table rebuilds)' : ''}`,
            );
          }
          return;
        }
        const r = await (await lib()).newRevision({ ...target, message: f.message, script: f.ts, parents: f.parents });
        if (o.json) printJson(o, { ok: true, ...r });
        else o.out(`Generated ${path.relative(process.cwd(), r.file) || r.file}`);
      }),
    );

  for (const [name, description] of [
    ['upgrade', 'Apply revisions up to TARGET: heads (default), head, an id or prefix, +N'],
    ['downgrade', 'Revert revisions down to TARGET: -N, an id or prefix, base'],
  ] as const) {
    const cmd = common(program.command(name).description(description))
      .argument(name === 'upgrade' ? '[target]' : '<target>', 'where to go')
      .option('--sql', 'print the SQL that would run, and run nothing')
      .option('--dry-run', 'print which revisions would run, in order, and run nothing')
      .option('--no-backup', 'do not back up a SQLite database first');
    if (name === 'upgrade') cmd.option('--create', 'create the SQLite database file when it does not exist (a mistyped path is refused otherwise)');
    cmd.action(
      action<RevisionFlags & { sql?: boolean; dryRun?: boolean; backup?: boolean; create?: boolean }>(async (o, f, args) => {
        if (f.sql && f.dryRun) throw new FerryError('USAGE', 'Choose one of --sql and --dry-run.');
        const run = (await lib())[name];
        const r = await run({
          ...(await targetOf(f, o)),
          target: args[0],
          sql: f.sql,
          dryRun: f.dryRun,
          create: f.create,
          backup: f.backup,
          onEvent: progress(o),
        });
        if (o.json) printJson(o, { ok: !r.incomplete, ...r });
        else if (r.sql !== undefined) process.stdout.write(r.sql);
        else if (r.planned) {
          const at = r.heads.join(', ') || 'base';
          if (!r.planned.length) o.out(`Nothing to do; at ${at}`);
          else {
            o.out(`Would ${name} ${r.planned.length} revision(s) from ${at}, in this order (nothing was run):`);
            for (const s of r.planned)
              o.out(
                `  ${s.direction === 'up' ? 'up  ' : 'down'} ${paint(o, 'bold', s.id)} ${s.message}${o.verbose ? paint(o, 'dim', `  ${path.relative(process.cwd(), s.file) || s.file}`) : ''}`,
              );
          }
        } else
          o.out(
            r.steps.length
              ? `${name === 'upgrade' ? 'Upgraded' : 'Downgraded'} ${r.steps.length} revision(s); now at ${r.heads.join(', ') || 'base'}`
              : `Nothing to do; at ${r.heads.join(', ') || 'base'}`,
          );
        if (r.incomplete) {
          if (!o.json) o.err(`${paint(o, 'red', 'error:')} ${r.incomplete}`);
          return EXIT.error;
        }
      }),
    );
  }

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

  for (const [name, description] of [
    ['heads', 'Show the heads of the revision graph'],
    ['branches', 'Show the revisions where the graph branches'],
  ] as const) {
    common(program.command(name).description(description)).action(
      action<RevisionFlags>(async (o, f) => {
        const rows = await (await lib())[name](await targetOf(f, o));
        if (o.json) printJson(o, rows);
        else for (const r of rows) o.out(line(o, r));
      }),
    );
  }

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

  common(program.command('history').description('List revisions, newest first'))
    .option('-r, --rev-range <from:to>', 'only this range (ids, prefixes, base, heads); --verbose adds each file (or, with --applied, each checksum)')
    .option('-i, --indicate-current', "mark the database's applied revisions")
    .option('--applied', 'what ran on the database instead (ferry_history): upgrades, downgrades and stamps with time, duration and who')
    .action(
      action<RevisionFlags & { revRange?: string; verbose?: boolean; indicateCurrent?: boolean; applied?: boolean }>(async (o, f) => {
        if (f.applied) {
          const runs = await (await lib()).appliedHistory(await targetOf(f, o));
          if (o.json) printJson(o, runs);
          else if (runs.length === 0) o.out('Nothing has run on this database yet.');
          else
            for (const r of runs) {
              const what = `${r.appliedAt}  ${r.direction.padEnd(9)} ${paint(o, 'bold', r.revision)}${r.message !== undefined ? ` ${r.message}` : paint(o, 'dim', ' (no revision file)')}`;
              o.out(`${what}  ${paint(o, 'dim', `${r.durationMs} ms, ${r.appliedBy}`)}`);
              if (f.verbose) o.out(paint(o, 'dim', `    checksum ${r.checksum ?? '(none)'}`));
            }
          return;
        }
        const rows = await (await lib()).history({ ...(await targetOf(f, o)), range: f.revRange, indicateCurrent: f.indicateCurrent });
        if (o.json) printJson(o, rows);
        else
          for (const r of rows) {
            o.out(line(o, r));
            if (f.verbose) o.out(paint(o, 'dim', `    ${path.relative(process.cwd(), r.file) || r.file}`));
          }
      }),
    );

  common(program.command('merge').description('Write a merge revision over the given heads (default: all heads)'))
    .requiredOption('-m, --message <text>', 'what the merge is for')
    .argument('[revs...]', 'revisions to merge, or heads')
    .action(
      action<RevisionFlags & { message: string }>(async (o, f, args) => {
        const r = await (await lib()).merge({ ...(await targetOf(f, o)), message: f.message, revisions: args });
        if (o.json) printJson(o, { ok: true, ...r });
        else o.out(`Generated ${path.relative(process.cwd(), r.file) || r.file} merging ${r.parents.join(', ')}`);
      }),
    );

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
