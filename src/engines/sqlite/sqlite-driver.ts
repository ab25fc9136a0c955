/**
 * SQLite as ferry registers it: its URLs, how it opens, and the roles it supplies. This module is
 * loaded by every command, so it imports only light modules; heavy ones load when a role runs.
 */
import type { EngineDriver } from '../../engine/driver.js';
import type { Capabilities } from '../../engine/types.js';
import { sqliteSyncRoles } from './sqlite-sync-roles.js';
import { sqliteVerifyRoles } from './sqlite-verify-roles.js';
import { sqliteRevisionRoles } from './sqlite-revision-roles.js';
import { sqliteFileRoles } from './sqlite-file-roles.js';
import { sqliteHealthRoles } from './sqlite-health.js';
import { sqliteCopyRoles } from './sqlite-copy-roles.js';
import { sqliteTypeMapper } from './sqlite-type-mapper.js';
import { sqliteNames, type SqliteTarget } from './sqlite-url.js';

const CAPABILITIES: Capabilities = { transactionalDdl: true, schemas: false, fileBackup: true, strictTypes: false };

export const sqliteDriver: EngineDriver = {
  ...sqliteNames,
  capabilities: CAPABILITIES,
  async open(target, options) {
    // The driver loads only when a URL needs it: a command on PostgreSQL never pays for it.
    const { openSqlite } = await import('./sqlite-engine.js');
    const t = target as SqliteTarget;
    return openSqlite(t.memory ? ':memory:' : t.file, { readonly: options.readonly, mustExist: options.mustExist, busyTimeoutMs: options.busyTimeoutMs });
  },
  roles: {
    ...sqliteRevisionRoles,
    typeMapper: sqliteTypeMapper,
    limits: { nameProblem: () => null, maxColumns: 2000 },
    ...sqliteFileRoles,
    ...sqliteCopyRoles,
    ...sqliteVerifyRoles,
    ...sqliteSyncRoles,
    ...sqliteHealthRoles,
  },
};
