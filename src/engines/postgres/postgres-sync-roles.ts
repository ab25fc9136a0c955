/** PostgreSQL's sync roles: receiving a sync, and capturing changes for the way back (their code loads when a sync runs). */
import { lazyRole } from '../../engine/driver.js';
import type { ChangeCapture, ChangeSink, SyncRoles } from '../../engine/sync-roles.js';
import { parsePostgresKey } from './postgres-key-token.js';

export const postgresSyncRoles: SyncRoles = {
  changeSink: lazyRole<ChangeSink>(() => import('./postgres-change-sink.js').then((m) => m.postgresChangeSink)),
  changeCapture: lazyRole<ChangeCapture>(() => import('./postgres-change-capture.js').then((m) => m.postgresChangeCapture), { keyValues: parsePostgresKey }),
};
