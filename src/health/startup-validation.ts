/**
 * Schema validation for an app's start-up, as the consolidation runbook's
 * `ARAGORA_REQUIRE_VALID_SCHEMA` / `ARAGORA_SKIP_SCHEMA_VALIDATION`: the app checks that every
 * database is what it expects before it serves, and either refuses to start or logs the problems.
 */
import { FerryError } from '../errors.js';
import { checkHealth, type HealthOptions } from './check-health.js';
import type { HealthReport } from './health-types.js';

export interface StartupValidationOptions extends HealthOptions {
  /** Throw when a database is invalid (default: the `requireEnv` variable, else false). */
  require?: boolean;
  /** Do not check at all (default: the `skipEnv` variable, else false). */
  skip?: boolean;
  /** The variable that requires validity (default `FERRY_REQUIRE_VALID_SCHEMA`; the runbook's is `ARAGORA_REQUIRE_VALID_SCHEMA`). */
  requireEnv?: string;
  /** The variable that skips validation (default `FERRY_SKIP_SCHEMA_VALIDATION`). */
  skipEnv?: string;
  /** Where warnings go (default console). */
  logger?: { warn(message: string): void };
}

export interface StartupValidation {
  outcome: 'valid' | 'invalid' | 'skipped';
  report: HealthReport | null;
}

/**
 * Checks every database the app uses. Valid: resolves `valid`. Invalid and required: throws
 * SCHEMA_INVALID listing every error. Invalid and not required: logs each error and warning,
 * resolves `invalid`. Skipped: checks nothing.
 */
export async function validateSchemaOnStartup(options: StartupValidationOptions = {}): Promise<StartupValidation> {
  const env = options.env ?? process.env;
  const skip = options.skip ?? flag(env[options.skipEnv ?? 'FERRY_SKIP_SCHEMA_VALIDATION']);
  if (skip) return { outcome: 'skipped', report: null };
  const required = options.require ?? flag(env[options.requireEnv ?? 'FERRY_REQUIRE_VALID_SCHEMA']);
  const report = await checkHealth(options);
  const logger = options.logger ?? console;
  if (report.success) {
    for (const w of report.warnings) logger.warn(`ferry: ${w}`);
    return { outcome: 'valid', report };
  }
  if (required)
    throw new FerryError('SCHEMA_INVALID', `The databases are not what the app expects:\n${report.errors.map((e) => `  - ${e}`).join('\n')}`, {
      hint: 'Fix them (ferry status shows each check; ferry upgrade applies pending revisions), or start without requiring a valid schema.',
      data: { errors: report.errors, warnings: report.warnings },
    });
  for (const m of [...report.errors, ...report.warnings]) logger.warn(`ferry: ${m}`);
  return { outcome: 'invalid', report };
}

/** `1`, `true`, `yes`, `on` (any case) are true. */
function flag(value: string | undefined): boolean {
  return /^(1|true|yes|on)$/i.test(value?.trim() ?? '');
}
