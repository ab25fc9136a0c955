import crypto from 'node:crypto';
import type { Engine } from '../../engine/types.js';
import { FerryError } from '../../errors.js';
import { connectPostgres } from './postgres-engine.js';
import { parsePostgresUrl } from './postgres-url.js';

/**
 * Runs `fn` on a temporary, empty database on the server of `url`, dropped afterwards even on
 * failure (WITH (FORCE), so a connection left open does not keep it). `purpose` says, in a failure
 * message, why ferry wanted one.
 */
export async function withPostgresScratch<T>(url: string | undefined, purpose: string, fn: (scratch: Engine) => Promise<T>): Promise<T> {
  if (!url) throw new FerryError('USAGE', `${purpose} needs the database URL (for a temporary database on its server).`);
  const target = parsePostgresUrl(url.trim());
  const admin = await connectPostgres(target);
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
    const scratchUrl = new URL(target.url);
    scratchUrl.pathname = `/${name}`;
    const scratch = await connectPostgres(parsePostgresUrl(scratchUrl.toString()));
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
