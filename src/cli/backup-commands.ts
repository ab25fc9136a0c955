import path from 'node:path';
import type { Command } from 'commander';
// Loaded when used, so other commands start without the backup machinery.
const catalog = () => import('../backup/backup-catalog.js');
import { EXIT } from '../errors.js';
import { formatBytes } from '../util/disk-space.js';
import { commonOptions, loadCommandConfig, lockTimeoutOf, outputOf, type CommonFlags } from './common-options.js';
import { mark, paint, printJson, reportError, type Output } from './output.js';

/**
 * The folder backup sets live in: --dir, else the config's backup.dir, else its
 * consolidate.backupDir, else `fallback`.
 */
async function backupDir(flags: CommonFlags & { dir?: string }, o: Output, fallback: string): Promise<string> {
  // Read even when --dir is given, so a broken config is warned about as by every other command.
  const loaded = await loadCommandConfig(flags, o);
  if (flags.dir) return path.resolve(flags.dir);
  const c = loaded.config;
  if (c.backup?.dir) return path.resolve(loaded.dir, c.backup.dir);
  if (c.consolidate) return path.resolve(loaded.dir, c.consolidate.backupDir ?? path.join(c.consolidate.sourceDir, 'backup'));
  return path.resolve(fallback);
}

// Commander passes positional arguments, then the options object, then the command.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function action(fn: (o: Output, ...args: any[]) => Promise<number>) {
  return async (...args: unknown[]) => {
    // A subcommand (`backups prune --json`) also sees the options commander gave its parent.
    const cmd = args[args.length - 1] as { optsWithGlobals?: () => CommonFlags };
    const at = args.findIndex((a) => a && typeof a === 'object' && !Array.isArray(a));
    if (at >= 0 && typeof cmd?.optsWithGlobals === 'function') args[at] = { ...cmd.optsWithGlobals(), ...(args[at] as object) };
    const flags = (at >= 0 ? args[at] : undefined) as CommonFlags | undefined;
    const o = outputOf(flags ?? {});
    process.exitCode = await fn(o, ...args).catch((e) => reportError(o, e));
  };
}

/** `ferry backup`, `ferry backups` and `ferry restore`. */
export function registerBackupCommands(program: Command): void {
  commonOptions(
    program
      .command('backup')
      .description(
        'Back up SQLite files (VACUUM INTO, never a file copy) and PostgreSQL databases (pg_dump -Fc, digests in the same snapshot) into a new timestamped set with a manifest',
      )
      .argument('<databases...>', 'SQLite files and PostgreSQL URLs to back up')
      .option('-d, --dir <dir>', 'folder holding backup sets (default: config backup.dir, else ./backup beside the first file)'),
  ).action(
    action(async (o, files: string[], flags: CommonFlags & { dir?: string }) => {
      const { isServerDatabase } = await import('../backup/server-dumps.js');
      const firstFile = files.find((f) => !isServerDatabase(f));
      const dir = await backupDir(flags, o, firstFile ? path.join(path.dirname(path.resolve(firstFile)), 'backup') : 'backup');
      const { createBackup } = await import('../backup/create-backup.js');
      const set = await createBackup({
        files,
        dir,
        reason: 'manual',
        busyTimeoutMs: lockTimeoutOf(flags),
        onFile: (e) => o.log(`  backed up ${e.name}: ${formatBytes(e.size)}, ${Object.keys(e.tables).length} table(s), integrity ${e.integrity}`),
      });
      if (o.json) printJson(o, { ok: true, id: set.id, path: set.path, manifest: set.manifest });
      else o.out(`Backup ${set.id} written to ${set.path} ${mark(o, true)}`);
      return EXIT.ok;
    }),
  );

  commonOptions(
    program
      .command('backups')
      .description(
        "List backup sets, newest first (--check verifies each file's SHA-256 and integrity, and restores each dump into a scratch database to compare it with its manifest)",
      )
      .option('-d, --dir <dir>', 'folder holding backup sets (default: from the config, else ./backup)')
      .option('--check', 'verify every file of every set; a set that fails is marked damaged and never used as latest')
      .option('--url <url>', 'the PostgreSQL server that --check restores dumps on (default: DATABASE_URL, else where the dump came from)'),
  ).action(
    action(async (o, flags: CommonFlags & { dir?: string; check?: boolean; url?: string }) => {
      lockTimeoutOf(flags);
      const dir = await backupDir(flags, o, 'backup');
      const { listBackups, checkBackup, recordCheck } = await catalog();
      const sets = listBackups(dir);
      const rows = [];
      const checked = async (setDir: string) => {
        const problems = await checkBackup(setDir, undefined, { deep: true, url: flags.url });
        recordCheck(setDir, problems);
        return problems;
      };
      for (const s of sets)
        rows.push({
          id: s.id,
          path: s.path,
          createdAt: s.createdAt,
          reason: s.reason,
          files: s.manifest.files.map((f) => ({ name: f.name, source: f.source, size: f.size, rows: Object.values(f.tables).reduce((a, b) => a + b, 0) })),
          bytes: s.bytes,
          problems:
            // A set whose last check failed is checked again by --check; one whose manifest is unreadable cannot be.
            s.damaged && !(flags.check && s.damaged.startsWith('failed its check'))
              ? [{ file: s.damaged.startsWith('failed its check') ? 'check.json' : 'manifest.json', problem: s.damaged }]
              : flags.check
                ? await checked(s.path)
                : undefined,
        });
      if (o.json) printJson(o, { ok: rows.every((r) => !r.problems?.length), dir, sets: rows });
      else if (rows.length === 0) o.out(`No backup sets in ${dir}`);
      else {
        o.out(`Backup sets in ${dir}:`);
        for (const r of rows) {
          const status = r.problems
            ? r.problems.length
              ? paint(o, 'red', `damaged: ${r.problems.map((p) => `${p.file}: ${p.problem}`).join('; ')}`)
              : `intact ${mark(o, true)}`
            : '';
          o.out(
            `  ${r.id}  ${r.createdAt}  ${r.reason.padEnd(16)} ${String(r.files.length).padStart(3)} file(s) ${formatBytes(r.bytes).padStart(9)}  ${status}`,
          );
        }
      }
      return rows.some((r) => r.problems?.length) ? EXIT.error : EXIT.ok;
    }),
  );

  commonOptions(
    program
      .command('restore')
      .description('Check a backup set and put its files back (the current files are kept first as a backup set of their own)')
      .argument('[set]', 'backup set id or folder (default: latest)')
      .option('-d, --dir <dir>', 'folder holding backup sets (default: from the config, else ./backup)')
      .option('-f, --file <name...>', 'only these files of the set')
      .option('--to <path>', 'restore the one chosen file to this path (a dump: to this database URL) instead of where it came from')
      .option('--replace', 'a dump over a database that holds tables: back it up first, then replace it in one transaction')
      .option('--dry-run', 'check the set and say what would be replaced; change nothing'),
  ).action(
    action(async (o, set: string | undefined, flags: CommonFlags & { dir?: string; file?: string[]; to?: string; dryRun?: boolean; replace?: boolean }) => {
      const dir = await backupDir(flags, o, 'backup');
      const { restoreBackup, planRestore } = await import('../backup/restore-backup.js');
      const busyTimeoutMs = lockTimeoutOf(flags);
      if (flags.dryRun) {
        const plan = await planRestore({ dir, from: set, files: flags.file, to: flags.to, busyTimeoutMs });
        if (o.json) printJson(o, { ok: true, dryRun: true, ...plan });
        else {
          o.out(`Would restore from ${plan.set} (checked: hashes and integrity ${mark(o, true)}); nothing was changed:`);
          const rows = (t: Record<string, number>) =>
            Object.values(t)
              .reduce((a, b) => a + b, 0)
              .toLocaleString('en-US');
          for (const f of plan.files)
            o.out(
              `  ${f.path}: ${f.current ? `replace its ${rows(f.current)} rows in ${Object.keys(f.current).length} table(s)` : 'create it'} with ${rows(f.tables)} rows in ${Object.keys(f.tables).length} table(s)${f.current ? ' (what it holds now is kept as a backup set first)' : ''}`,
            );
        }
        return EXIT.ok;
      }
      const r = await restoreBackup({ dir, from: set, files: flags.file, to: flags.to, busyTimeoutMs, replace: flags.replace });
      if (o.json) printJson(o, { ok: true, ...r });
      else {
        for (const f of r.restored)
          o.out(
            `Restored ${f.name} from ${r.set} to ${f.path} (${Object.values(f.tables)
              .reduce((a, b) => a + b, 0)
              .toLocaleString('en-US')} rows) ${mark(o, true)}`,
          );
        if (r.before)
          o.out(
            `What the files held before is kept in the backup set ${r.before}; undo with: ferry restore ${r.before}${flags.dir ? ` --dir ${flags.dir}` : ''}${flags.replace ? ' --to <the same URL> --replace' : ''}`,
          );
      }
      return EXIT.ok;
    }),
  );
  registerPrune(program.commands.find((c) => c.name() === 'backups')!);
}

/** `ferry backups prune --keep-last N --keep-daily N --keep-weekly N [--dry-run]`. */
function registerPrune(backups: Command): void {
  commonOptions(
    backups
      .command('prune')
      .description('Remove old backup sets, keeping the newest N, the newest of each of the last N days and weeks; never the only set that passes its check')
      .option('-d, --dir <dir>', 'folder holding backup sets (default: from the config, else ./backup)')
      .option('--keep-last <n>', 'keep the newest N sets')
      .option('--keep-daily <n>', 'keep the newest set of each of the last N days that have one')
      .option('--keep-weekly <n>', 'keep the newest set of each of the last N weeks that have one')
      .option('--dry-run', 'say what would be removed; remove nothing'),
  ).action(
    action(async (o, flags: CommonFlags & { dir?: string; keepLast?: string; keepDaily?: string; keepWeekly?: string; dryRun?: boolean }) => {
      const dir = await backupDir(flags, o, 'backup');
      const count = (v: string | undefined) => (v === undefined ? undefined : Number(v));
      const { pruneBackups } = await import('../backup/prune-backups.js');
      const r = await pruneBackups({
        dir,
        keepLast: count(flags.keepLast),
        keepDaily: count(flags.keepDaily),
        keepWeekly: count(flags.keepWeekly),
        dryRun: flags.dryRun,
      });
      if (o.json) printJson(o, { ok: true, ...r });
      else {
        for (const d of r.sets)
          o.out(
            `  ${d.id}  ${d.keptFor.length ? `keep (${d.keptFor.join(', ')})` : r.dryRun ? paint(o, 'yellow', 'would remove') : paint(o, 'yellow', 'removed')}`,
          );
        o.out(`${r.dryRun ? 'Would remove' : 'Removed'} ${r.removed.length} of ${r.sets.length} set(s) in ${dir}.`);
      }
      return EXIT.ok;
    }),
  );
}
