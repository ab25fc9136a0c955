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
    const flags = args.find((a) => a && typeof a === 'object' && !Array.isArray(a)) as CommonFlags | undefined;
    const o = outputOf(flags ?? {});
    process.exitCode = await fn(o, ...args).catch((e) => reportError(o, e));
  };
}

/** `ferry backup`, `ferry backups` and `ferry restore`. */
export function registerBackupCommands(program: Command): void {
  commonOptions(
    program
      .command('backup')
      .description('Back up SQLite files (VACUUM INTO, never a file copy) into a new timestamped set with a manifest')
      .argument('<files...>', 'SQLite files to back up')
      .option('-d, --dir <dir>', 'folder holding backup sets (default: config backup.dir, else ./backup beside the first file)'),
  ).action(
    action(async (o, files: string[], flags: CommonFlags & { dir?: string }) => {
      const dir = await backupDir(flags, o, path.join(path.dirname(path.resolve(files[0]!)), 'backup'));
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
      .description("List backup sets, newest first (--check verifies each file's SHA-256 and integrity)")
      .option('-d, --dir <dir>', 'folder holding backup sets (default: from the config, else ./backup)')
      .option('--check', 'verify every file of every set'),
  ).action(
    action(async (o, flags: CommonFlags & { dir?: string; check?: boolean }) => {
      lockTimeoutOf(flags);
      const dir = await backupDir(flags, o, 'backup');
      const { listBackups, checkBackup } = await catalog();
      const sets = listBackups(dir);
      const rows = [];
      for (const s of sets)
        rows.push({
          id: s.id,
          path: s.path,
          createdAt: s.createdAt,
          reason: s.reason,
          files: s.manifest.files.map((f) => ({ name: f.name, source: f.source, size: f.size, rows: Object.values(f.tables).reduce((a, b) => a + b, 0) })),
          bytes: s.bytes,
          problems: s.damaged ? [{ file: 'manifest.json', problem: s.damaged }] : flags.check ? await checkBackup(s.path) : undefined,
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
      .option('--to <path>', 'restore the one chosen file to this path instead of where it came from')
      .option('--dry-run', 'check the set and say what would be replaced; change nothing'),
  ).action(
    action(async (o, set: string | undefined, flags: CommonFlags & { dir?: string; file?: string[]; to?: string; dryRun?: boolean }) => {
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
      const r = await restoreBackup({ dir, from: set, files: flags.file, to: flags.to, busyTimeoutMs });
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
            `What the files held before is kept in the backup set ${r.before}; undo with: ferry restore ${r.before}${flags.dir ? ` --dir ${flags.dir}` : ''}`,
          );
      }
      return EXIT.ok;
    }),
  );
}
