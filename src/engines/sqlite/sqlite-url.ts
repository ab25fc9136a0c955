/** SQLite database names: `sqlite:path`, `sqlite::memory:`, `sqlite:///abs/path`, or a bare path with a SQLite extension. */
import type { EngineNames } from '../../engine/driver.js';
import path from 'node:path';
import { badUrl } from '../../engine/secrets.js';
import type { ConnectionTarget } from '../../engine/types.js';

/** A parsed SQLite target: a file (absolute) or an in-memory database. */
export interface SqliteTarget extends ConnectionTarget {
  dialect: 'sqlite';
  file: string;
  memory: boolean;
}

const SQLITE_EXTENSIONS = ['.db', '.sqlite', '.sqlite3', '.db3'];

/** Whether the input names a SQLite database: the `sqlite:` scheme, or a path with a SQLite extension. */
export function isSqliteUrl(input: string): boolean {
  const text = input.trim();
  return /^sqlite:/i.test(text) || (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text) && SQLITE_EXTENSIONS.includes(path.extname(text).toLowerCase()));
}

/** Parses a SQLite URL or path (see isSqliteUrl). */
export function parseSqliteUrl(input: string): SqliteTarget {
  const text = input.trim();
  if (/^sqlite:/i.test(text)) {
    let rest = text.slice('sqlite:'.length);
    if (rest === '') throw badUrl(text, 'no file path after "sqlite:"');
    if (rest === ':memory:') return { dialect: 'sqlite', url: 'sqlite::memory:', file: ':memory:', memory: true, displayUrl: 'sqlite::memory:' };
    // sqlite:///abs/path and sqlite://relative are both accepted.
    if (rest.startsWith('//')) rest = rest.slice(2);
    return { dialect: 'sqlite', url: `sqlite:${path.resolve(rest)}`, file: path.resolve(rest), memory: false, displayUrl: `sqlite:${rest}` };
  }
  return { dialect: 'sqlite', url: `sqlite:${path.resolve(text)}`, file: path.resolve(text), memory: false, displayUrl: `sqlite:${text}` };
}

/** How SQLite databases are named (the light part of its driver, see engine-names.ts). */
export const sqliteNames: EngineNames = { dialect: 'sqlite', label: 'SQLite', claims: isSqliteUrl, parseUrl: parseSqliteUrl };
