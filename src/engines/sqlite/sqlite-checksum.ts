import type Database from 'better-sqlite3';
import { ChecksumAccumulator } from '../../values/checksum.js';
import { loadNativeExtension } from './sqlite-native.js';

/**
 * The checksum as an SQL aggregate, for statements that digest rows as they move them (the rows a
 * consolidation leaves out). Natively when the extension loads; otherwise a JavaScript aggregate
 * that SQLite calls with each row's values, text and blobs arriving as tagged strings ('t'... /
 * 'b'+hex), which gives the same digest without a Buffer per blob.
 */
export function checksumCall(db: Database.Database, exprs: string[], options: { allowNative?: boolean } = {}): string {
  if (options.allowNative !== false && loadNativeExtension(db)) return `ferry_checksum_native(${exprs.join(', ')})`;
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
