/** PostgreSQL's sync roles: receiving a sync (loaded when a sync runs). */
import type { ChangeSink, SyncRoles } from '../../engine/sync-roles.js';

const load = () => import('./postgres-change-sink.js').then((m) => m.postgresChangeSink);

const changeSink: ChangeSink = {
  tryLock: async (...a) => (await load()).tryLock(...a),
  readState: async (...a) => (await load()).readState(...a),
  writeState: async (...a) => (await load()).writeState(...a),
  apply: async (...a) => (await load()).apply(...a),
  dropState: async (...a) => (await load()).dropState(...a),
};

export const postgresSyncRoles: Pick<SyncRoles, 'changeSink'> = { changeSink };
