import fs from 'node:fs';
import path from 'node:path';
import { connect } from '../engine/connect.js';
import type { Engine } from '../engine/types.js';
import type { ConnectionTarget } from '../engine/url.js';
import { openSqlite } from '../engines/sqlite/sqlite-engine.js';
import { FerryError } from '../errors.js';
import { formatBytes, freeBytes, nearestExisting } from '../util/disk-space.js';
import type { CopyPlan } from './copy-types.js';

/** PostgreSQL 10 brought identity columns, which ferry's INTEGER PRIMARY KEY mapping needs. */
const MIN_SERVER_VERSION = 100000;

/**
 * Connects to the target and checks it can take the copy before anything is written: the server
 * answers, the password and database are right, the version is recent enough and the user may
 * create tables (PostgreSQL); the folder exists and has room (SQLite).
 */
export async function preflightTarget(to: ConnectionTarget, plan: CopyPlan, options: { sourceBytes: number }): Promise<Engine> {
  if (to.dialect === 'postgres') {
    const engine = await connect(to.url);
    try {
      const [info] = await engine.query<{ version: number; can_create: boolean; who: string }>(
        `SELECT current_setting('server_version_num')::int AS version, has_schema_privilege(current_user, 'public', 'CREATE') AS can_create, current_user AS who`,
      );
      if (info!.version < MIN_SERVER_VERSION) {
        throw new FerryError('CONNECT', `${to.displayUrl} runs PostgreSQL ${Math.floor(info!.version / 10000)}; ferry copy needs PostgreSQL 10 or later.`, { subject: to.displayUrl, hint: 'Upgrade the server, or copy into a newer one.' });
      }
      if (!info!.can_create) {
        throw new FerryError('PRIVILEGE', `The user "${info!.who}" may not create tables in the schema public of ${to.displayUrl}.`, {
          subject: to.displayUrl,
          hint: `As an owner: GRANT CREATE ON SCHEMA public TO "${info!.who}"; (ferry also keeps its resume state in a table there).`,
        });
      }
    } catch (e) {
      await engine.close();
      throw e;
    }
    return engine;
  }
  const dir = path.dirname(to.file);
  if (!fs.existsSync(dir)) throw new FerryError('UNWRITABLE', `The folder ${dir} for ${to.displayUrl} does not exist.`, { subject: dir, hint: 'Create the folder first, or pick another path.' });
  const free = freeBytes(nearestExisting(dir));
  // Rows take about as much room as in the source; indexes and the journal need some slack.
  const need = Math.ceil(options.sourceBytes * 1.2);
  if (free < need) {
    throw new FerryError('DISK_FULL', `${dir} has ${formatBytes(free)} free; the copy needs about ${formatBytes(need)}.`, { subject: dir, hint: 'Free some space or copy to another disk.' });
  }
  void plan;
  const engine = openSqlite(to.file, { mustExist: false });
  // better-sqlite3 turns foreign key enforcement on; tables load in any order (biggest first), so
  // a child row may arrive before its parent. The check runs once everything is in (post-load).
  engine.db.pragma('foreign_keys = OFF');
  return engine;
}
