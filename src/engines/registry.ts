/**
 * The one place that knows every engine. Each engine registers a driver (its URLs, how it opens,
 * its roles); everything outside src/engines asks here: which engine a URL names, open it, and
 * which roles it has. Nothing else imports an engine's folder. Naming a database needs only the
 * light half, engine-names.ts, which a command that opens nothing can import alone.
 */
import { requireRole, type EngineDriver, type EngineRoles } from '../engine/driver.js';
import type { ConnectOptions, ConnectionTarget, Dialect, Engine } from '../engine/types.js';
import { FerryError } from '../errors.js';
import { parseUrl, registerNames, unregisterNames } from './engine-names.js';
import { postgresDriver } from './postgres/postgres-driver.js';
import { sqliteDriver } from './sqlite/sqlite-driver.js';

export { acceleratorFor, registerAccelerator } from './accelerators.js';
export { engineLabel, parseUrl, resolveDatabaseArgument } from './engine-names.js';

const drivers: EngineDriver[] = [sqliteDriver, postgresDriver];

/** Adds an engine (a plug-in, or a test's fake engine). Later registrations are asked first. */
export function registerEngine(driver: EngineDriver): void {
  unregisterEngine(driver.dialect);
  drivers.unshift(driver);
  registerNames(driver);
}

/** Removes a registered engine. */
export function unregisterEngine(dialect: Dialect): void {
  const at = drivers.findIndex((d) => d.dialect === dialect);
  if (at >= 0) drivers.splice(at, 1);
  unregisterNames(dialect);
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

/** Connects to any registered engine by URL (or parsed target); the URL picks the engine. */
export async function connect(url: string | ConnectionTarget, options: ConnectOptions = {}): Promise<Engine> {
  const target = typeof url === 'string' ? parseUrl(url) : url;
  return driverOf(target).open(target, options);
}
