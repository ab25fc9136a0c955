import { loadConfig } from '../config/load-config.js';
import type { FerryConfig } from '../config/types.js';
import { checkDatabase, type CheckOptions } from './check-database.js';
import { databaseSpecs } from './database-specs.js';
import type { DatabaseHealth, DatabaseSpec, HealthReport } from './health-types.js';

/** What to check: the databases, or the config they are read from. */
export interface HealthOptions extends CheckOptions {
  /** The databases, as resolved (overrides the config). */
  databases?: DatabaseSpec[];
  /** A loaded config and the folder its paths are relative to (default: ferry.config.* found from `cwd`). */
  config?: FerryConfig;
  configDir?: string;
  cwd?: string;
  /** The environment URLs are read from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** The databases a health check covers. */
export async function healthSpecs(options: HealthOptions = {}): Promise<DatabaseSpec[]> {
  if (options.databases) return options.databases;
  const cwd = options.cwd ?? process.cwd();
  if (options.config) return databaseSpecs(options.config, options.configDir ?? cwd, options.env);
  const loaded = await loadConfig({ cwd });
  return databaseSpecs(loaded.config, loaded.dir, options.env);
}

/** Checks every database at once (each within its own timeout) and sums them up. */
export async function checkHealth(options: HealthOptions = {}): Promise<HealthReport> {
  const specs = await healthSpecs(options);
  const databases = await Promise.all(specs.map((s) => checkDatabase(s, options)));
  return summarise(databases);
}

/** The report of a set of database checks. */
export function summarise(databases: DatabaseHealth[]): HealthReport {
  const named = (d: DatabaseHealth, list: string[]) => list.map((m) => `${d.name}: ${m}`);
  const errors = databases.flatMap((d) => named(d, d.errors));
  const warnings = databases.flatMap((d) => named(d, d.warnings));
  // The schema part: everything but reachability and the server's own load.
  const schemaErrors = databases.filter((d) => d.reachable).flatMap((d) => named(d, d.errors));
  const schemaWarnings = databases.flatMap((d) =>
    named(
      d,
      d.warnings.filter((w) => !/connections in use|wait for a lock/.test(w)),
    ),
  );
  return {
    success: errors.length === 0,
    errors,
    warnings,
    databases,
    validation: { valid: schemaErrors.length === 0, errors: schemaErrors, warnings: schemaWarnings },
    ready: databases.every((d) => !d.required || (d.reachable && d.errors.length === 0)),
    checkedAt: new Date().toISOString(),
  };
}
