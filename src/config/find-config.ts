import { statSync } from 'node:fs';
import path from 'node:path';
import { FerryError } from '../errors.js';

/**
 * Config file names ferry looks for in the working folder, most preferred first. Data formats come
 * before code so that a plain, side-effect-free file wins when a project (mistakenly) has both.
 */
export const CONFIG_FILE_NAMES = [
  'ferry.config.json',
  'ferry.config.yaml',
  'ferry.config.yml',
  'ferry.config.ts',
  'ferry.config.mts',
  'ferry.config.js',
  'ferry.config.mjs',
] as const;

/**
 * Returns the absolute path of the config file to use, or null when there is none. An explicit
 * path (from `--config PATH`, relative to `cwd`) must exist; without one, `cwd` is searched for
 * CONFIG_FILE_NAMES in order. Parent folders are not searched, so a run never picks up a config
 * that belongs to some enclosing project by surprise.
 */
export function findConfigFile(cwd: string, explicit?: string, from: '--config' | 'FERRY_CONFIG' = '--config'): string | null {
  const dir = path.resolve(cwd);
  if (explicit !== undefined) {
    const file = path.resolve(dir, explicit);
    const kind = entryKind(file);
    if (kind === 'file') return file;
    const named = from === 'FERRY_CONFIG' ? `FERRY_CONFIG names ${explicit}, which` : `Config file ${explicit}`;
    throw new FerryError(
      'CONFIG_NOT_FOUND',
      kind === 'folder'
        ? `${from === 'FERRY_CONFIG' ? `FERRY_CONFIG names ${explicit}, which is` : `Config path ${explicit} is`} a folder, not a file.`
        : `${named} does not exist.`,
      {
        subject: file,
        hint:
          from === 'FERRY_CONFIG'
            ? `Fix or unset the FERRY_CONFIG environment variable (a relative path is resolved against ${dir}).`
            : `Check the path given to --config (it is resolved against ${dir}), or leave --config out to use ${CONFIG_FILE_NAMES[0]} from the working folder.`,
      },
    );
  }
  for (const name of CONFIG_FILE_NAMES) {
    const file = path.join(dir, name);
    if (entryKind(file) === 'file') return file;
  }
  return null;
}

function entryKind(p: string): 'file' | 'folder' | 'none' {
  // statSync follows symlinks, so a linked config counts as the file it points at. Errors such as
  // ENOTDIR (a parent is a file) or EACCES mean "not usable here", the same as missing.
  try {
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) return 'none';
    return st.isDirectory() ? 'folder' : 'file';
  } catch {
    return 'none';
  }
}
