import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config/load-config.js';
import { FerryError, EXIT } from '../errors.js';
import type { RevisionEvent } from '../revisions/migrator.js';
import type { RevisionInfo, RevisionTarget } from '../revisions/revision-commands.js';
import { makeOutput, paint, printJson, reportError, type Output } from './output.js';

interface CommonFlags {
  url?: string;
  dir?: string;
  config?: string;
  json?: boolean;
  lockTimeout?: string;
}

/** Options every revision command takes. */
function common(cmd: Command): Command {
  return cmd
    .option('--url <url>', 'the database (default: DATABASE_URL, then revisions.url in the config)')
    .option('--dir <path>', 'the revisions folder (default: revisions.dir in the config, then migrations)')
    .option('-c, --config <path>', 'config file (default: ferry.config.json|yaml|ts in the current folder)')
    .option('--lock-timeout <ms>', 'how long to wait for another run holding the lock', '10000')
    .option('--json', 'print one JSON document instead of text');
}

/** Resolves --url/--dir against DATABASE_URL and the config's revisions section. */
async function targetOf(flags: CommonFlags): Promise<RevisionTarget> {
  const loaded = await loadConfig({ cwd: process.cwd(), configPath: flags.config, required: !!flags.config });
  const cfg = loaded.config.revisions ?? {};
  const lockTimeoutMs = Number(flags.lockTimeout ?? 10000);
  if (!Number.isFinite(lockTimeoutMs) || lockTimeoutMs < 0) throw new FerryError('USAGE', `--lock-timeout must be a number of milliseconds, not "${flags.lockTimeout}".`);
  const fromConfig = (p?: string) => (p && !/^[a-z][a-z0-9+.-]*:\/\//i.test(p) ? path.resolve(loaded.dir, p) : p);
  return { url: flags.url ?? process.env.DATABASE_URL ?? fromConfig(cfg.url), dir: flags.dir ?? fromConfig(cfg.dir), lockTimeoutMs };
}

/** Runs a command body with the shared error handling and exit codes. */
function action<F extends CommonFlags>(body: (o: Output, flags: F, args: string[]) => Promise<number | void>) {
  return async (...all: unknown[]) => {
    const cmd = all[all.length - 1] as Command;
    const flags = cmd.opts() as F;
    const o = makeOutput(!!flags.json);
    process.exitCode = await body(o, flags, cmd.args).then((c) => c ?? EXIT.ok, (e) => reportError(o, e));
  };
}

function line(o: Output, r: RevisionInfo): string {
  const tags = [r.isHead ? 'head' : '', r.isBase ? 'base' : '', r.isMerge ? 'merge' : '', r.applied ? 'current' : ''].filter(Boolean);
  const parents = r.parents.length ? r.parents.join(', ') : '<base>';
  return `${parents} -> ${paint(o, 'bold', r.id)}${tags.length ? ` (${tags.join(', ')})` : ''}, ${r.message}`;
}

function progress(o: Output): (e: RevisionEvent) => void {
  return (e) => {
    if (o.json) return;
    if (e.type === 'backup') o.err(`backed up to ${e.set.path}`);
    if (e.type === 'done') o.err(`  ${e.step.direction === 'up' ? 'upgraded' : 'downgraded'} ${e.step.id} ${e.step.message} (${e.step.ms.toFixed(0)} ms)`);
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
      action<CommonFlags & { message: string; ts?: boolean; parents?: string[]; autogenerate?: boolean; schema?: string }>(async (o, f) => {
        const target = await targetOf(f);
        if (f.autogenerate) {
          // The schema file's default lives in the config, which targetOf does not return.
          const loaded = await loadConfig({ cwd: process.cwd(), configPath: f.config, required: !!f.config });
          const cfgSchema = loaded.config.revisions?.schema;
          const schemaFile = f.schema ?? (cfgSchema ? path.resolve(loaded.dir, cfgSchema) : path.join(path.dirname(path.resolve(target.dir ?? 'migrations')), 'schema.sql'));
          const { autogenerateRevision } = await import('../revisions/autogenerate.js');
          const r = await autogenerateRevision({ ...target, schemaFile, message: f.message });
          if (o.json) printJson(o, { ok: true, ...r });
          else if (!r.file) o.out('Nothing to generate: the database at head already matches the declared schema.');
          else {
            for (const w of r.warnings) o.err(paint(o, 'yellow', `WARNING: ${w}`));
            o.out(`Generated ${path.relative(process.cwd(), r.file) || r.file}${r.kind === 'script' ? ' (a TypeScript revision: some SQLite changes need table rebuilds)' : ''}`);
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
    common(program.command(name).description(description))
      .argument(name === 'upgrade' ? '[target]' : '<target>', 'where to go')
      .option('--sql', 'print the SQL that would run, and run nothing')
      .option('--no-backup', 'do not back up a SQLite database first')
      .action(
        action<CommonFlags & { sql?: boolean; backup?: boolean }>(async (o, f, args) => {
          const run = (await lib())[name];
          const r = await run({ ...(await targetOf(f)), target: args[0], sql: f.sql, backup: f.backup, onEvent: progress(o) });
          if (o.json) printJson(o, { ok: true, ...r });
          else if (r.sql !== undefined) process.stdout.write(r.sql);
          else o.out(r.steps.length ? `${name === 'upgrade' ? 'Upgraded' : 'Downgraded'} ${r.steps.length} revision(s); now at ${r.heads.join(', ') || 'base'}` : `Nothing to do; at ${r.heads.join(', ') || 'base'}`);
        }),
      );
  }

  common(program.command('current').description("Show the database's current revision(s)")).action(
    action<CommonFlags>(async (o, f) => {
      const r = await (await lib()).current(await targetOf(f));
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
      action<CommonFlags>(async (o, f) => {
        const rows = await (await lib())[name](await targetOf(f));
        if (o.json) printJson(o, rows);
        else for (const r of rows) o.out(line(o, r));
      }),
    );
  }

  common(program.command('show').description('Show one revision').argument('<rev>', 'id or unique prefix')).action(
    action<CommonFlags>(async (o, f, args) => {
      const r = await (await lib()).show({ ...(await targetOf(f)), revision: args[0]! });
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
    .option('-r, --rev-range <from:to>', 'only this range (ids, prefixes, base, heads)')
    .option('--verbose', 'with files and parents in full')
    .option('-i, --indicate-current', "mark the database's applied revisions")
    .option('--applied', 'what ran on the database instead (ferry_history): upgrades, downgrades and stamps with time, duration and who')
    .action(
      action<CommonFlags & { revRange?: string; verbose?: boolean; indicateCurrent?: boolean; applied?: boolean }>(async (o, f) => {
        if (f.applied) {
          const runs = await (await lib()).appliedHistory(await targetOf(f));
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
        const rows = await (await lib()).history({ ...(await targetOf(f)), range: f.revRange, indicateCurrent: f.indicateCurrent });
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
      action<CommonFlags & { message: string }>(async (o, f, args) => {
        const r = await (await lib()).merge({ ...(await targetOf(f)), message: f.message, revisions: args });
        if (o.json) printJson(o, { ok: true, ...r });
        else o.out(`Generated ${path.relative(process.cwd(), r.file) || r.file} merging ${r.parents.join(', ')}`);
      }),
    );

  common(program.command('check').description('Exit non-zero when applied revisions changed or never ran, or the schema drifted from them'))
    .option('--roundtrip', 'also apply every revision up, down and up again on a scratch database and check each down undoes its up')
    .action(
      action<CommonFlags & { roundtrip?: boolean }>(async (o, f) => {
        const r = await (await lib()).check({ ...(await targetOf(f)), roundtrip: f.roundtrip });
        if (o.json) printJson(o, r);
        else {
          for (const p of r.problems) o.out(`${paint(o, 'red', p.kind)}: ${p.message}`);
          if (r.pending) o.out(paint(o, 'yellow', `${r.pending} revision(s) not applied yet (ferry upgrade)`));
          o.out(r.ok ? paint(o, 'green', `OK: the database matches its revisions${f.roundtrip ? ', and every down undoes its up' : ''}`) : paint(o, 'red', `${r.problems.length} problem(s)`));
        }
        return r.ok ? EXIT.ok : EXIT.differences;
      }),
    );

  common(program.command('stamp').description('Mark the database as at TARGET without running anything').argument('<target>', 'a revision, heads or base')).action(
    action<CommonFlags>(async (o, f, args) => {
      const r = await (await lib()).stamp({ ...(await targetOf(f)), target: args[0]! });
      if (o.json) printJson(o, { ok: true, ...r });
      else o.out(`Stamped at ${r.heads.join(', ') || 'base'}`);
    }),
  );
}
