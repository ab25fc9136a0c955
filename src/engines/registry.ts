/**
 * The one place that knows every engine. Each engine registers a driver (its URLs, how it opens,
 * its roles); everything outside src/engines asks here: which engine a URL names, open it, and
 * which roles it has. Nothing else imports an engine's folder.
 */
import path from 'node:path';
import { requireRole, type EngineDriver, type EngineRoles } from '../engine/driver.js';
import { badUrl, redactUnknown } from '../engine/secrets.js';
import type { ConnectOptions, ConnectionTarget, Dialect, Engine } from '../engine/types.js';
import { FerryError } from '../errors.js';
import { postgresDriver } from './postgres/postgres-driver.js';
import { sqliteDriver } from './sqlite/sqlite-driver.js';

export { acceleratorFor, registerAccelerator } from './accelerators.js';

const drivers: EngineDriver[] = [sqliteDriver, postgresDriver];

/** Adds an engine (a plug-in, or a test's fake engine). Later registrations are asked first. */
export function registerEngine(driver: EngineDriver): void {
  unregisterEngine(driver.dialect);
  drivers.unshift(driver);
}

/** Removes a registered engine. */
export function unregisterEngine(dialect: Dialect): void {
  const at = drivers.findIndex((d) => d.dialect === dialect);
  if (at >= 0) drivers.splice(at, 1);
}

/** Every registered engine. */
export function registeredEngines(): readonly EngineDriver[] {
  return drivers;
}

/** The driver of an engine, a connection of it, or a target it parsed. */
export function driverOf(of: Dialect | Pick<Engine, 'dialect'> | Pick<ConnectionTarget, 'dialect'>): EngineDriver {
  const dialect = typeof of === 'string' ? of : of.dialect;
  const found = drivers.find((d) => d.dialect === dialect);
  if (!found) throw new FerryError('INTERNAL', `No engine named "${dialect}" is registered.`);
  return found;
}

/** A role of an engine, or NOT_SUPPORTED naming the engine (see requireRole). */
export function roleOf<K extends keyof EngineRoles>(
  of: Dialect | Pick<Engine, 'dialect'> | Pick<ConnectionTarget, 'dialect'>,
  role: K,
  purpose?: string,
): NonNullable<EngineRoles[K]> {
  return requireRole(driverOf(of), role, purpose);
}

/** How people name an engine in messages (`SQLite`, `PostgreSQL`). */
export function engineLabel(of: Dialect | Pick<Engine, 'dialect'> | Pick<ConnectionTarget, 'dialect'>): string {
  return driverOf(of).label;
}

/**
 * Parses a database URL or path: the first engine that claims it parses it. A password that breaks
 * the URL is a BAD_URL error that says how to encode it and never shows it.
 */
export function parseUrl(input: string): ConnectionTarget {
  const text = input.trim();
  if (text === '') throw badUrl('', 'the URL is empty');
  const driver = drivers.find((d) => d.claims(text));
  if (driver) return driver.parseUrl(text);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) throw badUrl(redactUnknown(text), `the scheme "${text.split(':')[0]}" is not supported`);
  throw badUrl(redactUnknown(text), 'it is neither a URL nor a path to a .db/.sqlite file');
}

/** Connects to any registered engine by URL (or parsed target); the URL picks the engine. */
export async function connect(url: string | ConnectionTarget, options: ConnectOptions = {}): Promise<Engine> {
  const target = typeof url === 'string' ? parseUrl(url) : url;
  return driverOf(target).open(target, options);
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
