/** SQLite's sync roles: change capture and the way back's sink (their code loads when a sync runs). */
import { lazyRole } from '../../engine/driver.js';
import type { ChangeCapture, ChangeSink, SyncRoles } from '../../engine/sync-roles.js';
import { parseKeyToken } from './sqlite-key-token.js';

export const sqliteSyncRoles: SyncRoles = {
  changeCapture: lazyRole<ChangeCapture>(() => import('./sqlite-change-capture.js').then((m) => m.sqliteChangeCapture), { keyValues: parseKeyToken }),
  changeSink: lazyRole<ChangeSink>(() => import('./sqlite-change-sink.js').then((m) => m.sqliteChangeSink)),
};
