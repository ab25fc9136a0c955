import path from 'node:path';
import { FerryError } from '../errors.js';
import type { Dialect } from './types.js';

/** A parsed connection target. */
export type ConnectionTarget =
  | { dialect: 'sqlite'; file: string; memory: boolean; displayUrl: string }
  | { dialect: 'postgres'; url: string; displayUrl: string; database: string; host: string; port: number; user: string };

const SQLITE_EXTENSIONS = ['.db', '.sqlite', '.sqlite3', '.db3'];

/** Replaces the password in any URL-looking text with `***`, so it can be printed. */
export function maskPassword(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)([^@\s]*)@/gi, '$1***@');
}

/**
 * Parses `sqlite:path`, `sqlite::memory:`, `sqlite:///abs/path`, `postgres://...`,
 * `postgresql://...`, or a bare path ending in a SQLite extension.
 */
export function parseUrl(input: string): ConnectionTarget {
  const text = input.trim();
  if (text === '') throw badUrl(input, 'the URL is empty');
  if (/^sqlite:/i.test(text)) {
    let rest = text.slice('sqlite:'.length);
    if (rest === ':memory:' || rest === '') {
      if (rest === '') throw badUrl(input, 'no file path after "sqlite:"');
      return { dialect: 'sqlite', file: ':memory:', memory: true, displayUrl: 'sqlite::memory:' };
    }
    // sqlite:///abs/path and sqlite://relative are both accepted.
    if (rest.startsWith('//')) rest = rest.slice(2);
    return { dialect: 'sqlite', file: path.resolve(rest), memory: false, displayUrl: `sqlite:${rest}` };
  }
  if (/^postgres(ql)?:\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw badUrl(input, 'it is not a valid URL');
    }
    const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || 'postgres';
    return {
      dialect: 'postgres',
      url: text,
      displayUrl: maskPassword(text),
      database,
      host: url.hostname || 'localhost',
      port: url.port ? Number(url.port) : 5432,
      user: decodeURIComponent(url.username) || process.env.PGUSER || process.env.USER || 'postgres',
    };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    throw badUrl(input, `the scheme "${text.split(':')[0]}" is not supported`);
  }
  if (SQLITE_EXTENSIONS.includes(path.extname(text).toLowerCase())) {
    return { dialect: 'sqlite', file: path.resolve(text), memory: false, displayUrl: `sqlite:${text}` };
  }
  throw badUrl(input, 'it is neither a URL nor a path to a .db/.sqlite file');
}

export function dialectOf(input: string): Dialect {
  return parseUrl(input).dialect;
}

function badUrl(input: string, why: string): FerryError {
  return new FerryError('BAD_URL', `Cannot use "${maskPassword(input)}" as a database: ${why}.`, {
    subject: maskPassword(input),
    hint: 'Use sqlite:path/to/file.db, sqlite::memory:, a path ending in .db/.sqlite, or postgres://user:pass@host:port/db.',
  });
}
