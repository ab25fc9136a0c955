/** What `ferry copy` reads about a PostgreSQL source table before planning it. */
import type { TableFacts } from '../../engine/copy-roles.js';
import type { Engine } from '../../engine/types.js';
import type { Table } from '../../schema/model.js';
import { SEQUENCE_LAST_VALUE_SQL } from './postgres-ddl.js';
import { quoteIdent, quoteTable } from './postgres-quote.js';
import { postgresColumnType } from './postgres-type-mapper.js';

/**
 * A PostgreSQL table's facts: exact row count, for a serial/identity key its sequence position,
 * and for numeric columns how many values hold more digits than a double (so a SQLite target
 * keeps those columns as text rather than round them).
 */
export async function postgresTableFacts(engine: Engine, t: Table): Promise<TableFacts> {
  const numerics = t.columns.filter((c) => postgresColumnType(c.type).logical === 'numeric');
  const table = quoteTable({ name: t.name, schema: t.schema });
  const counts = [
    `count(*)::float8 AS n`,
    ...numerics.map((c, i) => {
      const col = quoteIdent(c.name);
      // float8 -> numeric keeps 15 significant digits: a value that survives the trip fits a double.
      return `count(*) FILTER (WHERE ${col} <> 'NaN' AND ${col}::float8::numeric <> ${col})::float8 AS b${i}`;
    }),
  ];
  const [row] = await engine.query<Record<string, number>>(`SELECT ${counts.join(', ')} FROM ${table}`);
  const facts: TableFacts = { rows: Number(row!.n) };
  if (numerics.length)
    facts.profiles = new Map(numerics.map((c, i) => [c.name, { nulls: 0, integers: 0, reals: 0, texts: 0, blobs: 0, beyondDouble: Number(row![`b${i}`]) }]));
  const pk = t.primaryKey;
  const col = pk && pk.columns.length === 1 ? t.columns.find((c) => c.name === pk.columns[0]) : undefined;
  if (col && postgresColumnType(col.type).logical === 'int64' && (col.generated?.startsWith('identity') || /^nextval\(/i.test(col.default ?? ''))) {
    facts.identityColumn = col.name;
    const rows = await engine.query<{ last_value: string | null }>(SEQUENCE_LAST_VALUE_SQL, [table, col.name]);
    facts.sequenceFloor = rows[0]?.last_value ? BigInt(rows[0].last_value) : 0n;
  }
  return facts;
}
