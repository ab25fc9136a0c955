/** PostgreSQL's sync roles: receiving a sync, and capturing changes for the way back (loaded when a sync runs). */
import type { ChangeCapture, ChangeSink, SyncRoles } from '../../engine/sync-roles.js';
import { parsePostgresKey } from './postgres-key-token.js';

const load = () => import('./postgres-change-sink.js').then((m) => m.postgresChangeSink);
const capture = () => import('./postgres-change-capture.js').then((m) => m.postgresChangeCapture);

const changeSink: ChangeSink = {
  tryLock: async (...a) => (await load()).tryLock(...a),
  readState: async (...a) => (await load()).readState(...a),
  writeState: async (...a) => (await load()).writeState(...a),
  apply: async (...a) => (await load()).apply(...a),
  dropState: async (...a) => (await load()).dropState(...a),
};

const changeCapture: ChangeCapture = {
  captureProblem: async (...a) => (await capture()).captureProblem(...a),
  install: async (...a) => (await capture()).install(...a),
  state: async (...a) => (await capture()).state(...a),
  position: async (...a) => (await capture()).position(...a),
  pendingAge: async (...a) => (await capture()).pendingAge(...a),
  changesAfter: async (...a) => (await capture()).changesAfter(...a),
  rowsByKey: async (...a) => (await capture()).rowsByKey(...a),
  schemaFingerprint: async (...a) => (await capture()).schemaFingerprint(...a),
  keyValues: parsePostgresKey,
  forget: async (...a) => (await capture()).forget(...a),
  fence: async (...a) => (await capture()).fence(...a),
  unfence: async (...a) => (await capture()).unfence(...a),
  remove: async (...a) => (await capture()).remove(...a),
};

export const postgresSyncRoles: SyncRoles = { changeSink, changeCapture };
