import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type Database from 'better-sqlite3';
import type { Value } from '../../values/value.js';
import { ChecksumAccumulator } from '../../values/checksum.js';
import { quoteSqliteIdent } from './sqlite-tokens.js';

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
 * Checksums inside SQLite. Reading rows out to JS costs a Buffer per blob and an array per row;
 * an aggregate that SQLite calls with each row's values, where text and blobs arrive as tagged
 * strings ('t'... / 'b'+hex), is about twice as fast and gives the same digest as the plain path.
 */
const registered = new WeakSet<Database.Database>();

/** Registers the `ferry_checksum(...)` aggregate on a connection (once). */
export function registerChecksum(db: Database.Database): void {
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

/** The tagged form of an SQL expression, as the checksum aggregate expects it. */
export function taggedExpr(expr: string): string {
  return `CASE typeof(${expr}) WHEN 'text' THEN 't' || (${expr}) WHEN 'blob' THEN 'b' || hex(${expr}) ELSE (${expr}) END`;
}

/** What to checksum: expressions over one table, optionally restricted. */
export interface ChecksumQuery {
  /** SQL expressions in column order (plain quoted column names or transforms). */
  exprs: string[];
  /** The quoted table reference (may be schema-qualified, e.g. an attached database). */
  from: string;
  where?: string;
}

/** Builds the SELECT that computes a checksum; an empty table yields the zero digest. */
export function checksumSql(q: ChecksumQuery): string {
  return `SELECT ferry_checksum(${q.exprs.map(taggedExpr).join(', ')}) FROM ${q.from}${q.where ? ` WHERE ${q.where}` : ''}`;
}

/** The same checksum through the native aggregate, which takes the values as they are. */
export function nativeChecksumSql(q: ChecksumQuery): string {
  return `SELECT ferry_checksum_native(${q.exprs.join(', ')}) FROM ${q.from}${q.where ? ` WHERE ${q.where}` : ''}`;
}

/** Runs a checksum query on an open connection, natively when the extension loads. */
export function checksumOnConnection(db: Database.Database, q: ChecksumQuery, options: { allowNative?: boolean } = {}): ChecksumAccumulator {
  if (q.exprs.length > MAX_FUNCTION_ARGS) return checksumRowByRow(db, q);
  const useNative = options.allowNative !== false && loadNativeChecksum(db);
  if (!useNative) registerChecksum(db);
  const d = db
    .prepare(useNative ? nativeChecksumSql(q) : checksumSql(q))
    .pluck()
    .get() as string | null;
  return d ? ChecksumAccumulator.fromDigest(d) : new ChecksumAccumulator();
}

/**
 * SQLite takes at most 1000 arguments per function call, and a table may have 2000 columns: a row
 * that wide is read as a row and hashed in JavaScript (the same digest, only slower).
 */
export const MAX_FUNCTION_ARGS = 990;

function checksumRowByRow(db: Database.Database, q: ChecksumQuery): ChecksumAccumulator {
  const acc = new ChecksumAccumulator();
  const rows = db
    .prepare(`SELECT ${q.exprs.join(', ')} FROM ${q.from}${q.where ? ` WHERE ${q.where}` : ''}`)
    .raw(true)
    .safeIntegers(true)
    .iterate() as IterableIterator<Value[]>;
  for (const row of rows) acc.addRow(row);
  return acc;
}

/** Column list helper: quoted column names as checksum expressions. */
export function columnExprs(columns: string[]): string[] {
  return columns.map(quoteSqliteIdent);
}
