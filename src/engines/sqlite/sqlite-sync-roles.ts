/** SQLite's sync roles: change capture (loaded when a sync runs). */
import type { ChangeCapture, ChangeSink, SyncRoles } from '../../engine/sync-roles.js';
import { parseKeyToken } from './sqlite-key-token.js';

const load = () => import('./sqlite-change-capture.js').then((m) => m.sqliteChangeCapture);

/** Each method loads the implementation on first use, so commands that never sync do not pay for it. */
const changeCapture: ChangeCapture = {
  captureProblem: async (...a) => (await load()).captureProblem(...a),
  install: async (...a) => (await load()).install(...a),
  state: async (...a) => (await load()).state(...a),
  position: async (...a) => (await load()).position(...a),
  pendingAge: async (...a) => (await load()).pendingAge(...a),
  changesAfter: async (...a) => (await load()).changesAfter(...a),
  rowsByKey: async (...a) => (await load()).rowsByKey(...a),
  schemaFingerprint: async (...a) => (await load()).schemaFingerprint(...a),
  keyValues: parseKeyToken,
  forget: async (...a) => (await load()).forget(...a),
  fence: async (...a) => (await load()).fence(...a),
  unfence: async (...a) => (await load()).unfence(...a),
  remove: async (...a) => (await load()).remove(...a),
};

const sink = () => import('./sqlite-change-sink.js').then((m) => m.sqliteChangeSink);

const changeSink: ChangeSink = {
  tryLock: async (...a) => (await sink()).tryLock(...a),
  readState: async (...a) => (await sink()).readState(...a),
  writeState: async (...a) => (await sink()).writeState(...a),
  apply: async (...a) => (await sink()).apply(...a),
  dropState: async (...a) => (await sink()).dropState(...a),
};

export const sqliteSyncRoles: SyncRoles = { changeCapture, changeSink };
