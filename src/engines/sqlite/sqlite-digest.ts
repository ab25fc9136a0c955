import type Database from 'better-sqlite3';
import type { Row, Value } from '../../values/value.js';
import { ChecksumAccumulator } from '../../values/checksum.js';
import { normalizerFor } from '../../values/convert-value.js';
import type { LogicalType } from '../../values/column-type.js';
import { loadNativeExtension, MAX_FUNCTION_ARGS } from './sqlite-native.js';
import type { DigestTask } from '../../engine/verify-roles.js';
import { quoteSqliteIdent as q } from './sqlite-tokens.js';

/**
 * The order-independent checksum of a SQLite table's values normalised per logical type, the same
 * way the other engine's side is normalised. The common case (every value already in normal form)
 * takes one scan with the native aggregate, which also counts the values that are not; only if
 * there are any is the table read again row by row in JavaScript.
 */
export function digestSqliteTable(db: Database.Database, task: DigestTask): ChecksumAccumulator {
  const cols = task.expressions ?? task.columns.map(q);
  const native = nativeDigest(db, task, cols);
  if (native) return native;
  const normalizers = task.logicals.map((l, i) => (l === null ? null : normalizerFor(l, task.reading?.[i] ?? {})));
  const acc = new ChecksumAccumulator();
  const rows = db
    .prepare(`SELECT ${cols.join(', ') || 'NULL'} FROM ${q(task.table)}`)
    .raw(true)
    .iterate() as IterableIterator<Row>;
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

/**
 * Native modes per logical type (ferry_checksum_modes): each hashes a value in normal form as
 * stored, parses timestamps, and counts values of any other storage class (their normal form is
 * only known in JavaScript). Types without a mode (numeric, date, jsonb) always go to JavaScript.
 */
const NATIVE_MODE: Partial<Record<LogicalType, string>> = {
  int64: 'i',
  float64: 'F',
  boolean: 'o',
  text: 't',
  pgtext: 't',
  json: 't',
  bytes: 'b',
  timestamp: 'T',
  timestamptz: 'Z',
};

/**
 * The digest in one native scan, or null when the extension is missing, some column needs a
 * normalisation only JavaScript does, or some value was not in normal form (counted in the same
 * scan: values of another storage class, booleans other than 0/1, unparseable timestamps).
 */
function nativeDigest(db: Database.Database, task: DigestTask, cols: string[]): ChecksumAccumulator | null {
  // Unix times are only normalised in JavaScript.
  const modes = task.logicals.map((l, i) => (l === null ? 'x' : task.reading?.[i]?.epoch ? undefined : NATIVE_MODE[l]));
  if (cols.length > MAX_FUNCTION_ARGS || modes.some((m) => m === undefined) || !loadNativeExtension(db)) return null;
  // Every column as stored (consolidate, SQLite on both sides): the plain aggregate, no per-value checks.
  if (modes.every((m) => m === 'x')) {
    const d = db
      .prepare(`SELECT ferry_checksum_native(${cols.join(', ')}) FROM ${q(task.table)}`)
      .pluck()
      .get() as string | null;
    return d ? ChecksumAccumulator.fromDigest(d) : new ChecksumAccumulator();
  }
  const sql = `SELECT ferry_checksum_modes('${modes.join('')}'${cols.map((c) => `, ${c}`).join('')}) FROM ${q(task.table)}`;
  const result = db.prepare(sql).pluck().get() as string | null;
  const [digest, unnormal] = (result ?? '0:0000000000000000 0').split(' ') as [string, string];
  return Number(unnormal) === 0 ? ChecksumAccumulator.fromDigest(digest) : null;
}
