/**
 * Where a logical table lives while a consolidation is rolled out or rolled back: in its legacy
 * file under its old name, or in the consolidated file under its new one, read from the same
 * `consolidate` map ferry consolidated with. `FERRY_DB_MODE=legacy|consolidated` (or the app's own
 * variable, as the runbook's `ARAGORA_DB_MODE`) switches every lookup, so one build of the app runs
 * in either mode.
 */
import path from 'node:path';
import { loadConfig } from '../config/load-config.js';
import type { ConsolidateConfig } from '../config/types.js';
import { connect } from '../engines/registry.js';
import { FerryError } from '../errors.js';
import { isInternalTable } from '../schema/own-tables.js';

export type StoreMode = 'legacy' | 'consolidated';

export interface StoreLocation {
  /** The name asked for. */
  name: string;
  mode: StoreMode;
  /** Where to read and write in this mode: the file's absolute path and the table's name there. */
  file: string;
  table: string;
  legacy: { file: string; table: string };
  consolidated: { file: string; table: string };
}

export interface ResolveStoreOptions {
  /** The mode (default: the `modeEnv` variable, else `legacy`). */
  mode?: StoreMode;
  /** The variable that holds the mode (default `FERRY_DB_MODE`). */
  modeEnv?: string;
  env?: NodeJS.ProcessEnv;
  /** The consolidation map and the folder its paths are relative to (default: the config found from `cwd`). */
  consolidate?: ConsolidateConfig;
  configDir?: string;
  cwd?: string;
}

/**
 * Where `name` lives: a table name (`memories`), or one qualified by its legacy file
 * (`continuum.db:memories`) when two files hold a table of that name.
 */
export async function resolveStore(name: string, options: ResolveStoreOptions = {}): Promise<StoreLocation> {
  const mode = modeOf(options);
  const { map, dir } = await consolidationMap(options);
  const [fileName, tableName] = name.includes(':') ? (name.split(':', 2) as [string, string]) : [undefined, name];
  const found: StoreLocation[] = [];
  for (const [source, mapping] of Object.entries(map.sources)) {
    if (fileName && source !== fileName) continue;
    const legacyFile = path.resolve(dir, map.sourceDir, source);
    const tables = mapping.tables ? Object.keys(mapping.tables) : await tablesOf(legacyFile);
    if (!tables.includes(tableName)) continue;
    const legacy = { file: legacyFile, table: tableName };
    const consolidated = { file: path.resolve(dir, map.targetDir, mapping.target), table: mapping.tables?.[tableName]?.as ?? tableName };
    found.push({ name, mode, ...(mode === 'legacy' ? legacy : consolidated), legacy, consolidated });
  }
  if (found.length === 1) return found[0]!;
  if (found.length === 0)
    throw new FerryError('TABLE_MISSING', `No table ${name} in the consolidation map.`, {
      subject: name,
      hint: `The map's sources are ${Object.keys(map.sources).join(', ')}; name a table one of them holds, or qualify it as file.db:table.`,
    });
  throw new FerryError(
    'USAGE',
    `${tableName} is in ${found.length} legacy files: say which, as ${found.map((f) => `${path.basename(f.legacy.file)}:${tableName}`).join(' or ')}.`,
    {
      subject: name,
    },
  );
}

function modeOf(options: ResolveStoreOptions): StoreMode {
  const variable = options.modeEnv ?? 'FERRY_DB_MODE';
  const raw = options.mode ?? (options.env ?? process.env)[variable]?.trim().toLowerCase() ?? 'legacy';
  if (raw !== 'legacy' && raw !== 'consolidated')
    throw new FerryError('USAGE', `${options.mode ? 'mode' : variable} must be legacy or consolidated, not "${raw}".`, { subject: variable });
  return raw;
}

async function consolidationMap(options: ResolveStoreOptions): Promise<{ map: ConsolidateConfig; dir: string }> {
  if (options.consolidate) return { map: options.consolidate, dir: options.configDir ?? options.cwd ?? process.cwd() };
  const loaded = await loadConfig({ cwd: options.cwd, required: true });
  if (!loaded.config.consolidate)
    throw new FerryError('CONFIG_INVALID', `${loaded.file} has no consolidate section, so ferry cannot say where tables live.`, {
      subject: loaded.file ?? undefined,
    });
  return { map: loaded.config.consolidate, dir: loaded.dir };
}

/** The app's tables of a legacy file (one that moves whole), read once per file. */
const tablesCache = new Map<string, Promise<string[]>>();
function tablesOf(file: string): Promise<string[]> {
  let tables = tablesCache.get(file);
  if (!tables) {
    tables = (async () => {
      const engine = await connect(file, { mustExist: true, readonly: true });
      try {
        return (await engine.introspect()).tables.map((t) => t.name).filter((n) => !isInternalTable(n));
      } finally {
        await engine.close();
      }
    })();
    tablesCache.set(file, tables);
    tables.catch(() => tablesCache.delete(file));
  }
  return tables;
}
