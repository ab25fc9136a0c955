/**
 * Which engine a local database file belongs to, for the commands that work on files (backup,
 * restore, consolidate). The file's name usually says (a SQLite extension); a file with another
 * name goes to the first registered engine whose databases are files, as such files always did.
 */
import type { EngineDriver, EngineRoles } from '../engine/driver.js';
import type { ConnectOptions, Engine } from '../engine/types.js';
import { connect, registeredEngines, roleOf } from '../engines/registry.js';
import { FerryError } from '../errors.js';

/** The driver of the engine `file` is a database of. */
export function fileDriverOf(file: string): EngineDriver {
  const engines = registeredEngines();
  const driver = engines.find((d) => d.claims(file)) ?? engines.find((d) => d.capabilities.fileBackup);
  if (!driver)
    throw new FerryError('NOT_SUPPORTED', `No registered engine keeps its databases in local files, so ${file} cannot be opened as one.`, {
      subject: file,
      hint: 'Use an engine that supports it (see "Engines and what they support" in the README).',
    });
  return driver;
}

/** A role of the engine `file` belongs to, or NOT_SUPPORTED naming the engine. */
export function fileRoleOf<K extends keyof EngineRoles>(file: string, role: K): NonNullable<EngineRoles[K]> {
  return roleOf(fileDriverOf(file).dialect, role);
}

/** Opens a local database file with its engine. */
export function openFile(file: string, options: ConnectOptions = {}): Promise<Engine> {
  return connect(fileDriverOf(file).parseUrl(file), options);
}

/** Whether a file's name marks it as a database of an engine whose databases are files. */
export function isDatabaseFileName(file: string): boolean {
  return registeredEngines().some((d) => d.capabilities.fileBackup && d.claims(file));
}
