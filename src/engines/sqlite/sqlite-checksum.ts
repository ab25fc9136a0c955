import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type Database from 'better-sqlite3';
import { ChecksumAccumulator } from '../../values/checksum.js';

const NATIVE_FILE = fileURLToPath(new URL(`./native/ferry-checksum.${process.platform === 'darwin' ? 'dylib' : 'so'}`, import.meta.url));
const native = new WeakMap<Database.Database, boolean>();

/** Where the optional native checksum extension is, when `npm run build` could compile it. */
export function nativeChecksumFile(): string | null {
  return !process.env.FERRY_NO_NATIVE && fs.existsSync(NATIVE_FILE) ? NATIVE_FILE : null;
}

/**
 * Loads the native checksum (src/engines/sqlite/native/ferry-checksum.c) into a connection, once.
 * It gives the same digests as the JavaScript aggregate, several times faster, because no row has
 * to cross into JavaScript. False when it is not built or cannot be loaded (then JS is used).
 */
export function loadNativeChecksum(db: Database.Database): boolean {
  const known = native.get(db);
  if (known !== undefined) return known;
  const file = nativeChecksumFile();
  let ok = false;
  if (file) {
    try {
      // better-sqlite3 takes the entry point as a second argument; its type declarations omit it.
      (db.loadExtension as (file: string, entryPoint: string) => Database.Database)(file, 'sqlite3_ferrychecksum_init');
      ok = true;
    } catch {
      ok = false;
    }
  }
  native.set(db, ok);
  return ok;
}

/**
 * The checksum as an SQL aggregate, for statements that digest rows as they move them (the rows a
 * consolidation leaves out). Natively when the extension loads; otherwise a JavaScript aggregate
 * that SQLite calls with each row's values, text and blobs arriving as tagged strings ('t'... /
 * 'b'+hex), which gives the same digest without a Buffer per blob.
 */
export function checksumCall(db: Database.Database, exprs: string[], options: { allowNative?: boolean } = {}): string {
  if (options.allowNative !== false && loadNativeChecksum(db)) return `ferry_checksum_native(${exprs.join(', ')})`;
  registerChecksum(db);
  return `ferry_checksum(${exprs.map(taggedExpr).join(', ')})`;
}

const registered = new WeakSet<Database.Database>();

function registerChecksum(db: Database.Database): void {
  if (registered.has(db)) return;
  db.aggregate('ferry_checksum', {
    varargs: true,
    safeIntegers: true,
    start: () => new ChecksumAccumulator(),
    step: (acc: ChecksumAccumulator, ...values: unknown[]) => {
      acc.addTaggedRow(values);
      return acc;
    },
    result: (acc: ChecksumAccumulator) => acc.digest(),
  });
  registered.add(db);
}

function taggedExpr(expr: string): string {
  return `CASE typeof(${expr}) WHEN 'text' THEN 't' || (${expr}) WHEN 'blob' THEN 'b' || hex(${expr}) ELSE (${expr}) END`;
}

/**
 * SQLite takes at most 1000 arguments per function call, and a table may have 2000 columns: a row
 * that wide is read as a row and hashed in JavaScript (the same digest, only slower).
 */
export const MAX_FUNCTION_ARGS = 990;
