/**
 * The light half of the registry: which engine a URL or path names, and what the engine is called.
 * It loads no driver and no role, so commands that only name a database or read revision files
 * (`ferry heads`, `ferry history`) start without loading any engine. registry.ts keeps the two
 * halves in step: registering an engine there registers its names here.
 */
import path from 'node:path';
import type { EngineNames } from '../engine/driver.js';
import { badUrl, redactUnknown } from '../engine/secrets.js';
import type { ConnectionTarget, Dialect, Engine } from '../engine/types.js';
import { FerryError } from '../errors.js';
import { postgresNames } from './postgres/postgres-url.js';
import { sqliteNames } from './sqlite/sqlite-url.js';

const engines: EngineNames[] = [sqliteNames, postgresNames];

/** Adds an engine's names; later registrations are asked first. */
export function registerNames(names: EngineNames): void {
  unregisterNames(names.dialect);
  engines.unshift(names);
}

export function unregisterNames(dialect: Dialect): void {
  const at = engines.findIndex((e) => e.dialect === dialect);
  if (at >= 0) engines.splice(at, 1);
}

/** How people name an engine in messages (`SQLite`, `PostgreSQL`). */
export function engineLabel(of: Dialect | Pick<Engine, 'dialect'> | Pick<ConnectionTarget, 'dialect'>): string {
  const dialect = typeof of === 'string' ? of : of.dialect;
  const found = engines.find((e) => e.dialect === dialect);
  if (!found) throw new FerryError('INTERNAL', `No engine named "${dialect}" is registered.`);
  return found.label;
}

/**
 * Parses a database URL or path: the first engine that claims it parses it. A password that breaks
 * the URL is a BAD_URL error that says how to encode it and never shows it.
 */
export function parseUrl(input: string): ConnectionTarget {
  const text = input.trim();
  if (text === '') throw badUrl('', 'the URL is empty');
  const names = engines.find((e) => e.claims(text));
  if (names) return names.parseUrl(text);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) throw badUrl(redactUnknown(text), `the scheme "${text.split(':')[0]}" is not supported`);
  throw badUrl(redactUnknown(text), 'it is neither a URL nor a path to a .db/.sqlite file');
}

/**
 * A database argument as the user gave it, made absolute: a URL (`scheme:...`) or an absolute path
 * is left as it is; a bare relative path is taken relative to `baseDir` (the working folder for
 * command-line arguments, the config's folder for paths in a config). The one place this is done.
 */
export function resolveDatabaseArgument(input: string, baseDir: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(input) || path.isAbsolute(input)) return input;
  return path.resolve(baseDir, input);
}
