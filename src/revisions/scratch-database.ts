import crypto from 'node:crypto';
import { connect } from '../engines/registry.js';
import type { Dialect, Engine } from '../engine/types.js';
import { parseUrl } from '../engines/registry.js';
import { openSqlite } from '../engines/sqlite/sqlite-engine.js';
import { FerryError } from '../errors.js';

/**
 * Runs `fn` on an empty database of the given engine, for replaying revisions (`ferry check`) or
 * loading a declared schema (autogenerate): an in-memory SQLite database, or a temporary
 * PostgreSQL database on the server of `url`, dropped afterwards even on failure. `purpose` says,
 * in a failure message, why ferry wanted one.
 */
export async function withScratchDatabase<T>(dialect: Dialect, url: string | undefined, purpose: string, fn: (scratch: Engine) => Promise<T>): Promise<T> {
  if (dialect === 'sqlite') {
    const engine = openSqlite(':memory:', { mustExist: false });
    try {
      return await fn(engine);
    } finally {
      await engine.close();
    }
  }
  if (!url) throw new FerryError('USAGE', `${purpose} needs the database URL (for a temporary database on its server).`);
  const admin = await connect(url);
  const name = `ferry_scratch_${crypto.randomBytes(5).toString('hex')}`;
  try {
    try {
      await admin.exec(`CREATE DATABASE ${admin.quoteIdent(name)}`);
    } catch (e) {
      throw new FerryError('PRIVILEGE', `${purpose} uses a temporary database, and creating one on ${admin.displayUrl} failed: ${(e as Error).message}`, {
        subject: admin.displayUrl,
        hint: 'Grant CREATEDB to this user, or run the command against a server where it may create databases.',
      });
    }
    const target = parseUrl(url);
    const scratchUrl = new URL(target.dialect === 'postgres' ? target.url : url);
    scratchUrl.pathname = `/${name}`;
    const scratch = await connect(scratchUrl.toString());
    try {
      return await fn(scratch);
    } finally {
      await scratch.close();
    }
  } finally {
    await admin.exec(`DROP DATABASE IF EXISTS ${admin.quoteIdent(name)} WITH (FORCE)`).catch(() => undefined);
    await admin.close();
  }
}
