/** SQLite's sync roles: change capture (loaded when a sync runs). */
import type { ChangeCapture, SyncRoles } from '../../engine/sync-roles.js';
import { parseKeyToken } from './sqlite-key-token.js';

const load = () => import('./sqlite-change-capture.js').then((m) => m.sqliteChangeCapture);

/** Each method loads the implementation on first use, so commands that never sync do not pay for it. */
const changeCapture: ChangeCapture = {
  captureProblem: async (...a) => (await load()).captureProblem(...a),
  install: async (...a) => (await load()).install(...a),
  state: async (...a) => (await load()).state(...a),
  position: async (...a) => (await load()).position(...a),
  changesAfter: async (...a) => (await load()).changesAfter(...a),
  rowsByKey: async (...a) => (await load()).rowsByKey(...a),
  schemaFingerprint: async (...a) => (await load()).schemaFingerprint(...a),
  keyValues: parseKeyToken,
  forget: async (...a) => (await load()).forget(...a),
  fence: async (...a) => (await load()).fence(...a),
  unfence: async (...a) => (await load()).unfence(...a),
  remove: async (...a) => (await load()).remove(...a),
};

export const sqliteSyncRoles: Pick<SyncRoles, 'changeCapture'> = { changeCapture };
