/**
 * ferry's native SQLite extension: where it is and loading it into a connection. Every native path
 * (digests, profiles, the COPY encoder) asks here and falls back to JavaScript without it.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type Database from 'better-sqlite3';

const NATIVE_FILE = fileURLToPath(new URL(`./native/ferry-sqlite.${process.platform === 'darwin' ? 'dylib' : 'so'}`, import.meta.url));
const native = new WeakMap<Database.Database, boolean>();

/** Where ferry's optional SQLite extension is, when `npm run build` could compile it. */
export function nativeExtensionFile(): string | null {
  return !process.env.FERRY_NO_NATIVE && fs.existsSync(NATIVE_FILE) ? NATIVE_FILE : null;
}

/**
 * Loads ferry's SQLite extension (src/engines/sqlite/native/ferry-sqlite.c: the checksum, the
 * column profile and the COPY encoder) into a connection, once. Its functions give the same
 * results as the JavaScript paths, several times faster, because no row has to cross into
 * JavaScript. False when it is not built or cannot be loaded (then JavaScript is used).
 */
export function loadNativeExtension(db: Database.Database): boolean {
  const known = native.get(db);
  if (known !== undefined) return known;
  const file = nativeExtensionFile();
  let ok = false;
  if (file) {
    try {
      // better-sqlite3 takes the entry point as a second argument; its type declarations omit it.
      (db.loadExtension as (file: string, entryPoint: string) => Database.Database)(file, 'sqlite3_ferrysqlite_init');
      ok = true;
    } catch {
      ok = false;
    }
  }
  native.set(db, ok);
  return ok;
}

/**
 * SQLite takes at most 1000 arguments per function call, and a table may have 2000 columns: a row
 * that wide is read as a row and hashed in JavaScript (the same digest, only slower).
 */
export const MAX_FUNCTION_ARGS = 990;
