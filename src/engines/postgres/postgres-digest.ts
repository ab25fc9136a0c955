import type { DigestTask } from '../../engine/verify-roles.js';
import { FerryError } from '../../errors.js';
import type { Value } from '../../values/value.js';
import { ChecksumAccumulator } from '../../values/checksum.js';
import { normalizerFor } from '../../values/convert-value.js';
import type { LogicalType } from '../../values/column-type.js';
import { binaryHasher, digestBinaryCopy, NeedsTextPath } from './postgres-digest-binary.js';
import { pgTypeKind } from './postgres-copy-kinds.js';
import type { PostgresEngine } from './postgres-engine.js';
import { quoteIdent } from './postgres-quote.js';

/**
 * The order-independent checksum of a PostgreSQL table's values normalised per logical type (the
 * same normal form the other side uses). Rows come through COPY TO in text form, which is both the
 * fastest way out of the server and exact (floats print shortest-exact with extra_float_digits=3).
 */
export async function digestPostgresTable(
  engine: PostgresEngine,
  table: string,
  columns: string[],
  logicals: LogicalType[],
  types?: string[],
  allowBinary = true,
): Promise<ChecksumAccumulator> {
  if (types && allowBinary) {
    const hashers = types.map((t, i) => binaryHasher(pgTypeKind(t), logicals[i]!));
    if (hashers.every((h) => h !== null) && columns.length > 0) {
      try {
        return await digestBinaryCopy(
          engine.copyOutBinary(`SELECT ${columns.map(quoteIdent).join(', ')} FROM ${engine.quoteTable(table)}`),
          hashers as NonNullable<(typeof hashers)[number]>[],
        );
      } catch (e) {
        if (!(e instanceof NeedsTextPath)) throw e;
      }
    }
  }
  const normalizers = logicals.map((l) => normalizerFor(l, { pgText: true }));
  // A real (float4) prints as its shortest float4 text, '0.1', which reads back as the double 0.1
  // although the column holds 0.100000001490116…: widened first, a lossy copy shows as a difference.
  const list = columns.map((c, i) => (types && pgTypeKind(types[i]!) === 'float4' ? `${quoteIdent(c)}::double precision` : quoteIdent(c)));
  const sql = `SELECT ${list.join(', ') || 'NULL'} FROM ${engine.quoteTable(table)}`;
  const acc = new ChecksumAccumulator();
  const out: Value[] = new Array(columns.length);
  for await (const batch of engine.copyOut(sql, 5000)) {
    for (const row of batch) {
      for (let i = 0; i < out.length; i++) out[i] = normalizers[i]!(row[i]!);
      acc.addRow(out);
    }
  }
  return acc;
}

/** PostgreSQL reads no SQLite-style expressions in place of columns (only consolidate asks for them). */
export function columnsOnly(task: DigestTask): void {
  if (task.expressions)
    throw new FerryError('NOT_SUPPORTED', `PostgreSQL tables are digested by column, not through expressions (table "${task.table}").`, {
      subject: task.table,
    });
}
