/** How `ferry copy` reads a PostgreSQL source table: COPY TO of a keyset-paged SELECT, as text. */
import type { TablePlan } from '../../engine/table-plan.js';
import type { TableReader } from '../../engine/table-reader.js';
import type { Row, Value } from '../../values/value.js';
import type { PostgresEngine } from './postgres-engine.js';
import { keysetSelectSql } from './postgres-read-rows.js';

/** A reader of one planned table, through the source engine (each read streams on a connection of its own). */
export function postgresTableReader(source: PostgresEngine, plan: TablePlan): TableReader {
  const columns = plan.columns.map((c) => c.source);
  return {
    keyWidth: plan.chunkKey.kind === 'primary-key' ? plan.chunkKey.columns.length : 0,
    pgText: true,
    connection: source,
    read: (after, upTo) => flatten(source.copyOut(keysetSelectSql(plan.source, source.schema, columns, plan.chunkKey, after as Value[] | null, upTo))),
    close: () => undefined,
  };
}

async function* flatten(batches: AsyncIterable<(string | null)[][]>): AsyncGenerator<Row> {
  for await (const batch of batches) yield* batch;
}
