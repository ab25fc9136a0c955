import type Database from 'better-sqlite3';
import type { Row, Value } from '../../engine/types.js';
import { ChecksumAccumulator } from '../../transfer/checksum.js';
import { normalizerFor } from '../../transfer/convert-value.js';
import type { LogicalType } from '../../transfer/copy-types.js';
import { loadNativeChecksum } from './sqlite-checksum.js';
import { quoteSqliteIdent as q } from './sqlite-tokens.js';

/** What to digest: a table's columns, each compared as a logical type (null: as stored, exactly). */
export interface DigestTask {
  table: string;
  columns: string[];
  logicals: (LogicalType | null)[];
}

/**
 * The storage classes whose values normalise to themselves for each logical type: for such
 * columns the native aggregate's hash of the stored value equals the hash of the normalised one
 * (booleans are hashed as the integers 0/1, which is how SQLite holds them).
 */
const IDENTITY_CLASSES: Partial<Record<LogicalType, string[]>> = {
  int64: ['integer'],
  float64: ['real'],
  text: ['text'],
  pgtext: ['text'],
  json: ['text'],
  bytes: ['blob'],
};

/**
 * The order-independent checksum of a SQLite table's values normalised per logical type, the same
 * way the other engine's side is normalised. The common case (every value already in normal form)
 * takes one scan with the native aggregate, which also counts the values that are not; only if
 * there are any is the table read again row by row in JavaScript.
 */
export function digestSqliteTable(db: Database.Database, task: DigestTask): ChecksumAccumulator {
  const cols = task.columns.map(q);
  const native = nativeDigest(db, task, cols);
  if (native) return native;
  const normalizers = task.logicals.map((l) => (l === null ? null : normalizerFor(l)));
  const acc = new ChecksumAccumulator();
  const rows = db.prepare(`SELECT ${cols.join(', ') || 'NULL'} FROM ${q(task.table)}`).raw(true).iterate() as IterableIterator<Row>;
  const out: Value[] = new Array(cols.length);
  for (const row of rows) {
    for (let i = 0; i < out.length; i++) {
      const n = normalizers[i];
      out[i] = n ? n(row[i]!) : row[i]!;
    }
    acc.addRow(out);
  }
  return acc;
}

/** Native modes per logical type: timestamps are parsed in C; the others hash as stored. */
const NATIVE_MODE: Partial<Record<LogicalType, string>> = { timestamp: 'T', timestamptz: 'Z', float64: 'F' };

/**
 * The digest in one native scan, or null when the extension is missing, some column needs a
 * normalisation only JavaScript does, or some value was not in normal form (counted in the same
 * scan: values of another storage class, booleans other than 0/1, unparseable timestamps).
 */
function nativeDigest(db: Database.Database, task: DigestTask, cols: string[]): ChecksumAccumulator | null {
  const eligible = task.logicals.every((l) => l === null || l === 'boolean' || IDENTITY_CLASSES[l] !== undefined || NATIVE_MODE[l] !== undefined);
  if (!eligible || !loadNativeChecksum(db)) return null;
  const modes = task.logicals.map((l) => (l === null ? 'x' : (NATIVE_MODE[l] ?? 'x'))).join('');
  const odd = task.logicals
    .map((l, i) => {
      if (l === null || l === 'timestamp' || l === 'timestamptz') return null;
      if (l === 'boolean') return `(${cols[i]} IS NOT NULL AND (typeof(${cols[i]}) <> 'integer' OR ${cols[i]} NOT IN (0, 1)))`;
      return `(typeof(${cols[i]}) NOT IN ('null', ${IDENTITY_CLASSES[l]!.map((c) => `'${c}'`).join(', ')}))`;
    })
    .filter((x): x is string => x !== null);
  const sql = `SELECT ferry_checksum_modes('${modes}'${cols.map((c) => `, ${c}`).join('')}), ${odd.length ? `coalesce(sum(${odd.join(' OR ')}), 0)` : '0'} FROM ${q(task.table)}`;
  const [result, oddCount] = db.prepare(sql).raw(true).get() as [string | null, bigint | number];
  const [digest, unparsed] = (result ?? '0:0000000000000000 0').split(' ') as [string, string];
  if (Number(oddCount) !== 0 || Number(unparsed) !== 0) return null;
  return ChecksumAccumulator.fromDigest(digest);
}
