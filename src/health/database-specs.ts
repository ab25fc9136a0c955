import fs from 'node:fs';
import path from 'node:path';
import type { FerryConfig } from '../config/types.js';
import { resolveDatabaseArgument } from '../engines/engine-names.js';
import { durationMs } from '../util/duration.js';
import type { DatabaseSpec } from './health-types.js';

/** How long one check of a database may take unless the config says. */
export const DEFAULT_CHECK_TIMEOUT_MS = 2000;

/**
 * The databases to check: the config's `databases` section, else one database, `default`, from
 * DATABASE_URL (or `revisions.url`) with the revisions folder when there is one. An app with one
 * DATABASE_URL needs no config.
 */
export function databaseSpecs(config: FerryConfig, dir: string, env: NodeJS.ProcessEnv = process.env): DatabaseSpec[] {
  const resolve = (p: string | undefined) => (p ? path.resolve(dir, p) : undefined);
  const entries = Object.entries(config.databases ?? {});
  if (entries.length === 0) {
    const revisions = resolve(config.revisions?.dir ?? 'migrations');
    const url = env.DATABASE_URL ?? config.revisions?.url;
    return [
      {
        name: 'default',
        url: url ? resolveDatabaseArgument(url, dir) : undefined,
        urlFrom: env.DATABASE_URL ? 'DATABASE_URL' : 'DATABASE_URL (or revisions.url in the config)',
        ...(revisions && fs.existsSync(revisions) ? { revisions } : {}),
        requiredTables: [],
        required: true,
        timeoutMs: DEFAULT_CHECK_TIMEOUT_MS,
      },
    ];
  }
  return entries.map(([name, db]) => {
    const fromEnv = db.urlEnv ? env[db.urlEnv] : undefined;
    const url = fromEnv ?? db.url;
    const timeout = typeof db.timeout === 'string' ? durationMs(db.timeout) : db.timeout;
    return {
      name,
      url: url ? resolveDatabaseArgument(url, dir) : undefined,
      urlFrom: db.urlEnv ? `${db.urlEnv}${db.url ? ` (or databases.${name}.url)` : ''}` : `databases.${name}.url`,
      ...(db.revisions ? { revisions: resolve(db.revisions) } : {}),
      requiredTables: db.requiredTables ?? [],
      required: db.required ?? true,
      ...(db.backups ? { backups: resolve(db.backups) } : {}),
      timeoutMs: timeout ?? DEFAULT_CHECK_TIMEOUT_MS,
    };
  });
}
