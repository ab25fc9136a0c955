import { ConversionError } from '../../values/convert-value.js';
import type { ColumnPlan } from '../../engine/table-plan.js';
import type { RefuseRow, RowRefusal, SinkItem, SinkRow, TableSink } from '../../engine/table-sink.js';
import { BinaryCopyEncoder, pgTypeKind, type CopyEncoder, type PgTypeKind } from './postgres-copy-binary.js';
import type { PostgresEngine } from './postgres-engine.js';
import { sqlStateOf } from './postgres-errors.js';
import { TextCopyEncoder } from './postgres-copy-text-encoder.js';

/**
 * SQLSTATE classes that blame a row's data, not the run: 22 data exception (bad value, out of
 * range, invalid encoding) and 23 integrity constraint violation (NOT NULL, CHECK, unique).
 */
const ROW_CLASSES = ['22', '23'];

/**
 * Writes a table's rows into PostgreSQL with COPY: binary when every column has a binary encoder
 * (doubles and int64 travel as their exact bits, and the server parses nothing), text otherwise.
 */
export class PostgresTableSink implements TableSink {
  readonly wholeChunkFails = true;
  readonly encodedFormat: 'postgres-binary' | null;
  private readonly kinds: PgTypeKind[];
  private readonly format: 'binary' | 'text';
  private readonly names: string[];

  constructor(
    private readonly engine: PostgresEngine,
    private readonly table: string,
    columns: ColumnPlan[],
  ) {
    this.kinds = columns.map((c) => pgTypeKind(c.targetType));
    this.format = this.kinds.includes('other') ? 'text' : 'binary';
    this.names = columns.map((c) => c.target);
    this.encodedFormat = this.format === 'binary' ? 'postgres-binary' : null;
  }

  async write(rows: Iterable<SinkItem> | AsyncIterable<SinkItem>, refuse: RefuseRow): Promise<{ rows: number; bytes: number }> {
    const binary = this.format === 'binary' ? new BinaryCopyEncoder(this.kinds) : null;
    const encoder: CopyEncoder = binary ?? new TextCopyEncoder(this.kinds);
    const names = this.names;
    let count = 0;
    let bytes = 0;
    const encode = (item: SinkItem): Buffer[] => {
      if ('encoded' in item) {
        if (!binary) throw new Error('internal: encoded rows given to a text COPY');
        count += item.rows;
        return binary.appendEncoded(item.encoded);
      }
      const r: SinkRow = item;
      try {
        const out = encoder.encodeRow(r.values);
        count++;
        return out;
      } catch (e) {
        if (!(e instanceof ConversionError)) throw e;
        refuse(r, e.column !== undefined ? names[e.column] : undefined, e.reason);
        return [];
      }
    };
    // Two loops instead of one async one: SQLite sources are synchronous, and an await per row
    // would cost more than encoding it.
    const chunks =
      Symbol.iterator in rows
        ? (function* () {
            for (const r of rows as Iterable<SinkItem>) for (const b of encode(r)) yield ((bytes += b.length), b);
            for (const b of encoder.finish()) yield ((bytes += b.length), b);
          })()
        : (async function* () {
            for await (const r of rows) for (const b of encode(r)) yield ((bytes += b.length), b);
            for (const b of encoder.finish()) yield ((bytes += b.length), b);
          })();
    await this.engine.copyIn(this.table, names, chunks, this.format);
    return { rows: count, bytes };
  }

  refusal(error: unknown): RowRefusal | null {
    const cause = (error as { cause?: unknown })?.cause ?? error;
    const state = sqlStateOf(cause);
    if (!state || !ROW_CLASSES.includes(state.slice(0, 2))) return null;
    const pgError = cause as { message: string; column?: string; where?: string; detail?: string };
    // COPY names the failing column in its context line: `COPY t, line 3, column c: "..."`.
    const column = pgError.column ?? /column ([^:]+):/.exec(pgError.where ?? '')?.[1];
    return { reason: pgError.detail ? `${pgError.message} (${pgError.detail})` : pgError.message, column };
  }
}
