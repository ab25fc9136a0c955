/**
 * Backup sets of server databases (PostgreSQL): each is a dump in the engine's archive format,
 * recorded in the same manifest as SQLite files (size, SHA-256, rows and content digest per table,
 * taken in the dump's own snapshot), checked by a test restore, and restored into an empty, new or
 * (with `replace`) existing database. Engine-neutral: the engine's serverBackup role does the work.
 */
import fs from 'node:fs';
import path from 'node:path';
import { maskPassword } from '../engine/secrets.js';
import { parseUrl, roleOf } from '../engines/registry.js';
import { FerryError } from '../errors.js';
import { fsyncDir, fsyncFile, sha256File } from '../util/fs-atomic.js';
import type { BackupFileEntry } from './manifest.js';

/** Whether `input` names a database on a server (a URL without a local file), which is backed up by a dump. */
export function isServerDatabase(input: string): boolean {
  try {
    const target = parseUrl(input);
    return !target.file && !target.memory;
  } catch {
    return false;
  }
}

/** Dumps `url` into the set folder being written; `used` holds the names taken so far. */
export async function dumpInto(url: string, partial: string, used: Set<string>): Promise<BackupFileEntry> {
  const role = roleOf(parseUrl(url).dialect, 'serverBackup');
  const base = await role.dumpName(url);
  let name = base;
  for (let n = 2; used.has(name); n++) name = `${path.parse(base).name}_${n}${path.extname(base)}`;
  used.add(name);
  const dest = path.join(partial, name);
  const tmp = `${dest}.partial`;
  const result = await role.dump(url, tmp);
  fsyncFile(tmp);
  fs.renameSync(tmp, dest);
  fsyncDir(partial);
  return {
    name,
    source: maskPassword(url),
    size: fs.statSync(dest).size,
    sha256: await sha256File(dest),
    tables: Object.fromEntries(Object.entries(result.digests).map(([t, d]) => [t, Number(d.split(':')[0])])),
    integrity: await role.readable(dest),
    method: 'dump',
    dialect: parseUrl(url).dialect,
    serverVersion: result.serverVersion,
    tool: result.tool,
    digests: result.digests,
  };
}

/** The tables whose rows or content differ between a manifest and a restored database. */
export function digestProblems(expected: Record<string, string>, found: Record<string, string>): string[] {
  const out: string[] = [];
  for (const [table, digest] of Object.entries(expected)) {
    const got = found[table];
    if (got === undefined) out.push(`table ${table} is missing after the restore`);
    else if (got !== digest) {
      const [rows, rowsGot] = [digest.split(':')[0], got.split(':')[0]];
      out.push(
        rows === rowsGot ? `table ${table}: its content differs from the manifest's digest` : `table ${table}: ${rowsGot} rows, the manifest says ${rows}`,
      );
    }
  }
  for (const table of Object.keys(found)) if (!(table in expected)) out.push(`table ${table} is not in the manifest`);
  return out;
}

/**
 * A dump's deep check: restored into a scratch database on `serverUrl`'s server, whose digests must
 * equal the manifest's. Returns the problems (none: the dump restores to exactly what it recorded).
 */
export async function checkDump(file: string, entry: BackupFileEntry, serverUrl: string | undefined): Promise<string[]> {
  const url = serverUrl ?? (entry.source.includes('*') ? undefined : entry.source);
  if (!url)
    throw new FerryError('USAGE', `Checking the dump ${entry.name} restores it on a PostgreSQL server: say which with --url (or DATABASE_URL).`, {
      subject: entry.name,
      hint: 'The scratch database is created there and dropped afterwards; the user needs CREATEDB.',
    });
  const found = await roleOf(parseUrl(url).dialect, 'serverBackup').restoreScratch(file, url);
  return digestProblems(entry.digests ?? {}, found);
}
