/**
 * The options every command takes, with one name and one default each, so that what a user learns
 * on one command holds on all of them (and a hint may name any of them): `-c/--config`,
 * `--lock-timeout`, `--json`, `--quiet` and `--verbose`.
 */
import type { Command } from 'commander';
import { loadConfig } from '../config/load-config.js';
import type { LoadedConfig } from '../config/types.js';
import { FerryError } from '../errors.js';
import { makeOutput, type Output } from './output.js';

/** How long a command waits for a locked database or a held run lock, unless told otherwise. */
export const DEFAULT_LOCK_TIMEOUT_MS = 10_000;

/** The flags commonOptions adds. */
export interface CommonFlags {
  config?: string;
  lockTimeout?: string;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

/** Adds the common options to a command. */
export function commonOptions(cmd: Command): Command {
  return cmd
    .option('-c, --config <path>', 'config file (default: ferry.config.json|yaml|ts in the current folder, or FERRY_CONFIG)')
    .option('--lock-timeout <ms>', `how long to wait for a locked database or another run's lock (default ${DEFAULT_LOCK_TIMEOUT_MS})`)
    .option('--json', 'print one JSON document instead of text')
    .option('-q, --quiet', 'print only results, warnings and errors (no progress)')
    .option('-v, --verbose', 'print more detail');
}

/** The --lock-timeout in milliseconds, checked. */
export function lockTimeoutOf(flags: CommonFlags): number {
  if (flags.lockTimeout === undefined) return DEFAULT_LOCK_TIMEOUT_MS;
  const ms = Number(flags.lockTimeout);
  if (!Number.isFinite(ms) || ms < 0)
    throw new FerryError('USAGE', `--lock-timeout must be a number of milliseconds, not "${flags.lockTimeout}".`, {
      hint: 'For example --lock-timeout 10000.',
    });
  return ms;
}

/** The output a command's flags ask for (--quiet wins over --verbose). */
export function outputOf(flags: CommonFlags): Output {
  return makeOutput(!!flags.json, { quiet: !!flags.quiet, verbose: !!flags.verbose && !flags.quiet });
}

/**
 * Loads the config for a command. A command that can run without one (`required: false`) sets
 * aside a broken config found in the working folder, with a warning, rather than fail on it.
 */
export async function loadCommandConfig(flags: CommonFlags, o: Output, options: { required?: boolean } = {}): Promise<LoadedConfig> {
  const loaded = await loadConfig({ cwd: process.cwd(), configPath: flags.config, required: options.required ?? !!flags.config, optional: !options.required });
  if (loaded.ignored) o.err(`warning: ignoring ${loaded.ignored.file}, which this command does not need: ${loaded.ignored.error.message}`);
  return loaded;
}

/** A comma-separated option (`--tables a,b`) as a list; absent stays absent. */
export function listOption(v: string | undefined): string[] | undefined {
  return v === undefined
    ? undefined
    : v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
}

/** One of a flag's allowed words (`--integers fit|bigint`); absent stays absent, anything else is a usage error. */
export function choiceOption<T extends string>(v: string | undefined, flag: string, allowed: readonly T[]): T | undefined {
  if (v === undefined) return undefined;
  if ((allowed as readonly string[]).includes(v)) return v as T;
  const words = allowed.length > 1 ? `${allowed.slice(0, -1).join(', ')} or ${allowed[allowed.length - 1]}` : allowed[0];
  throw new FerryError('USAGE', `${flag} must be ${words}, not "${v}".`);
}

/** A whole-number flag (`--parallel 4`); `min` is the smallest allowed; absent stays absent. */
export function wholeNumberOption(v: string | undefined, flag: string, min = 0): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new FerryError('USAGE', `${flag} must be a whole number${min > 0 ? ` above ${min - 1}` : ''}, not "${v}".`);
  return n;
}
