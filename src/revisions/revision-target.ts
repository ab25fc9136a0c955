/**
 * Where the revisions and the database are, as every revision command takes them: the folder, the
 * database URL, and connecting to it (with the run lock, for the commands that write).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Engine } from '../engine/types.js';
import { engineLabel, parseUrl, resolveDatabaseArgument } from '../engines/engine-names.js';
import { FerryError } from '../errors.js';
import { loadRevisions } from './revision-file.js';
import { RevisionGraph } from './revision-graph.js';
import type { Revision } from './revision-types.js';
import type { VersionStore } from './version-store.js';

/** Where the revisions and the database are; every command takes these. */
export interface RevisionTarget {
  /** Database URL or SQLite path (the CLI takes --url, then DATABASE_URL, then the config). */
  url?: string;
  /** The revisions folder (default `migrations`). */
  dir?: string;
  /** Folder relative paths resolve against (default process.cwd()). */
  cwd?: string;
  /** Milliseconds to wait for another run's lock (default 10 s). */
  lockTimeoutMs?: number;
  /** Milliseconds to keep trying while the database refuses connections (a container starting; `--wait-for-db 60s`). */
  waitForDbMs?: number;
}

export const DEFAULT_LOCK_TIMEOUT_MS = 10_000;

/** The revisions folder, absolute. */
export function dirOf(t: RevisionTarget): string {
  return path.resolve(t.cwd ?? process.cwd(), t.dir ?? 'migrations');
}

/** The database URL (--url, then DATABASE_URL), a relative path made absolute; USAGE when there is none. */
export function urlOf(t: RevisionTarget): string {
  const url = t.url ?? process.env.DATABASE_URL;
  if (!url)
    throw new FerryError('USAGE', 'Say which database: --url, DATABASE_URL, or revisions.url in the config.', {
      hint: 'For example: ferry upgrade --url postgres://app@db/app, or --url app.db.',
    });
  return resolveDatabaseArgument(url, t.cwd ?? process.cwd());
}

/** The revision graph of the folder; a broken graph fails here, before any connection. */
export async function loadGraph(t: RevisionTarget): Promise<{ graph: RevisionGraph; revisions: Revision[] }> {
  const revisions = await loadRevisions(dirOf(t));
  return { graph: RevisionGraph.build(revisions), revisions };
}

/** The database's file when it is a local file database whose file does not exist (yet). */
export function missingDatabaseFile(url: string): string | undefined {
  const target = parseUrl(url);
  return target.file && !target.memory && !fs.existsSync(target.file) ? target.file : undefined;
}

/** The local file of the database at `url`, when it has one (not an in-memory or server database). */
export function databaseFileOf(url: string): string | undefined {
  const target = parseUrl(url);
  return target.memory ? undefined : target.file;
}

/** The error of a database file that does not exist, for a command that would create it with --create. */
export function missingFileError(url: string, file: string, command: string): FerryError {
  return new FerryError('SOURCE_MISSING', `${file} does not exist.`, {
    subject: file,
    hint: `Check --url (or DATABASE_URL). To start a new ${engineLabel(parseUrl(url))} database there, run ferry ${command} --create.`,
  });
}

/**
 * Connects, runs `fn`, closes. A database file must exist unless `create`; `creatableBy` names the
 * command whose --create would make it, for the error.
 */
export async function withDatabase<T>(
  t: RevisionTarget,
  fn: (engine: Engine) => Promise<T>,
  options: { create?: boolean; creatableBy?: string } = {},
): Promise<T> {
  const url = urlOf(t);
  const missing = options.creatableBy && !options.create ? missingDatabaseFile(url) : undefined;
  if (missing) throw missingFileError(url, missing, options.creatableBy!);
  // The engines load only here: commands that read revision files alone (heads, history) never load them.
  const { connect } = await import('../engines/registry.js');
  const engine = await waitingFor(t.waitForDbMs ?? 0, () => connect(url, { mustExist: !options.create }));
  try {
    return await fn(engine);
  } finally {
    await engine.close();
  }
}

/** Runs `fn` holding the run lock, with a version store on the database. */
export async function locked<T>(t: RevisionTarget, engine: Engine, fn: (store: VersionStore) => Promise<T>): Promise<T> {
  // The migrator, the lock and the store load only when a command writes (see revision-commands.ts).
  const { acquireRunLock, VersionStore } = await import('./revision-db.js');
  const lock = await acquireRunLock(engine, t.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS);
  try {
    // ferry's tables are created by the commands that write (and only when they do): a failed
    // or --sql run leaves a database exactly as it was.
    return await fn(new VersionStore(engine));
  } finally {
    await lock.release();
  }
}

/**
 * Runs `open` until it connects, for up to `ms` while the server refuses connections (CONNECT: down,
 * starting, not listening yet). A wrong password, URL or database name fails at once: waiting would
 * not mend it.
 */
export async function waitingFor<T>(ms: number, open: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await open();
    } catch (e) {
      const left = deadline - Date.now();
      if (!(e instanceof FerryError) || e.code !== 'CONNECT' || left <= 0) throw e;
      await new Promise((r) => setTimeout(r, Math.min(1000, left)));
    }
  }
}
