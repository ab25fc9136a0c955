import type { Value } from '../../engine/types.js';
import { ChecksumAccumulator } from '../../transfer/checksum.js';
import { normalizerFor } from '../../transfer/convert-value.js';
import type { LogicalType } from '../../transfer/copy-types.js';
import type { PostgresEngine } from './postgres-engine.js';
import { quoteIdent } from './postgres-quote.js';

/**
 * The order-independent checksum of a PostgreSQL table's values normalised per logical type (the
 * same normal form the other side uses). Rows come through COPY TO in text form, which is both the
 * fastest way out of the server and exact (floats print shortest-exact with extra_float_digits=3).
 */
export async function digestPostgresTable(engine: PostgresEngine, table: string, columns: string[], logicals: LogicalType[]): Promise<ChecksumAccumulator> {
  const normalizers = logicals.map((l) => normalizerFor(l, { pgText: true }));
  const sql = `SELECT ${columns.map(quoteIdent).join(', ') || 'NULL'} FROM ${engine.quoteTable(table)}`;
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
