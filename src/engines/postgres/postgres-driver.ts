/**
 * PostgreSQL as ferry registers it: its URLs, how it opens, and the roles it supplies. This module
 * is loaded by every command, so it imports only light modules; `pg` loads when a connection opens.
 */
import { lazyRole, type EngineDriver } from '../../engine/driver.js';
import type { Capabilities } from '../../engine/types.js';
import { postgresSyncRoles } from './postgres-sync-roles.js';
import { postgresVerifyRoles } from './postgres-verify-roles.js';
import { postgresRevisionRoles } from './postgres-revision-roles.js';
import { postgresCopyRoles } from './postgres-copy-roles.js';
import { POSTGRES_MAX_COLUMNS, postgresNameProblem } from './postgres-quote.js';
import { postgresTypeMapper } from './postgres-type-mapper.js';
import { postgresNames, type PostgresTarget } from './postgres-url.js';

const CAPABILITIES: Capabilities = { transactionalDdl: true, schemas: true, fileBackup: false, strictTypes: true };

export const postgresDriver: EngineDriver = {
  ...postgresNames,
  capabilities: CAPABILITIES,
  async open(target, options) {
    const { connectPostgres } = await import('./postgres-engine.js');
    const engine = await connectPostgres(target as PostgresTarget);
    // PostgreSQL's form of "how long to wait for a locked object": a statement waiting longer fails.
    if (options.busyTimeoutMs !== undefined) await engine.exec(`SET lock_timeout = ${Math.floor(options.busyTimeoutMs)}`);
    return engine;
  },
  roles: {
    ...postgresRevisionRoles,
    typeMapper: postgresTypeMapper,
    limits: { nameProblem: postgresNameProblem, maxColumns: POSTGRES_MAX_COLUMNS },
    ...postgresCopyRoles,
    ...postgresVerifyRoles,
    ...postgresSyncRoles,
    // The rules load on first use: this module loads with every command.
    migrationLinter: lazyRole(async () => (await import('./postgres-migration-lint.js')).postgresMigrationLinter),
    activity: lazyRole(async () => (await import('./postgres-activity.js')).postgresActivity),
    serverBackup: lazyRole(async () => (await import('./postgres-dump.js')).postgresServerBackup),
    healthFacts: lazyRole(async () => (await import('./postgres-health.js')).postgresHealthRoles.healthFacts),
  },
};
