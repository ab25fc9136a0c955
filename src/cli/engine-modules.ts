import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { EngineDriver } from '../engine/driver.js';
import { FerryError } from '../errors.js';

/**
 * Loads engines from outside ferry: FERRY_ENGINES lists modules (separated like PATH) whose default
 * export, or `driver` export, is an EngineDriver. This is how a third engine is added without
 * touching ferry (ARCHITECTURE.md, "Adding an engine"), and how the tests prove that a command
 * needing a role such an engine lacks fails with NOT_SUPPORTED rather than crashing.
 */
export async function loadEngineModules(list: string | undefined): Promise<void> {
  if (!list) return;
  // Only then: the registry (and every engine's driver) loads when a command needs it.
  const { registerEngine } = await import('../engines/registry.js');
  for (const entry of list.split(path.delimiter).filter(Boolean)) {
    const file = path.resolve(entry);
    let mod: { default?: EngineDriver; driver?: EngineDriver };
    try {
      mod = (await import(pathToFileURL(file).href)) as typeof mod;
    } catch (e) {
      throw new FerryError('USAGE', `Cannot load the engine module ${file} named in FERRY_ENGINES: ${(e as Error).message}`, {
        subject: 'FERRY_ENGINES',
        hint: 'Point FERRY_ENGINES at JavaScript modules that export an engine driver, or unset it.',
        cause: e,
      });
    }
    const driver = mod.default ?? mod.driver;
    if (!driver || typeof driver.dialect !== 'string' || typeof driver.open !== 'function' || typeof driver.claims !== 'function') {
      throw new FerryError('USAGE', `The engine module ${file} named in FERRY_ENGINES exports no engine driver.`, {
        subject: 'FERRY_ENGINES',
        hint: 'Export the driver as the default export (or as `driver`): { dialect, label, capabilities, claims, parseUrl, open, roles }.',
      });
    }
    registerEngine(driver);
  }
}
