import type Database from 'better-sqlite3';
import type { Value } from '../../values/value.js';
import { ConversionError } from '../../values/convert-value.js';
import type { ColumnPlan } from '../../engine/table-plan.js';
import type { RefuseRow, RowRefusal, SinkItem, SinkRow, TableSink } from '../../engine/table-sink.js';
import { sqliteError } from './sqlite-errors.js';
import { quoteSqliteIdent } from './sqlite-tokens.js';
import { sqliteValueWriter } from './sqlite-value-writer.js';

/** better-sqlite3 error codes that blame one row (its constraints), not the database. */
const ROW_CODES = /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG)/;

/**
 * Writes a table's rows into SQLite with one prepared INSERT inside the caller's transaction. A
 * failed INSERT undoes only itself, so a refused row is recorded and the chunk goes on.
 */
export class SqliteTableSink implements TableSink {
  readonly wholeChunkFails = false;
  readonly encodedFormat = null;
  private readonly insert: Database.Statement;

  constructor(
    db: Database.Database,
    private readonly file: string,
    table: string,
    private readonly columns: ColumnPlan[],
  ) {
    const list = columns.map((c) => quoteSqliteIdent(c.target)).join(', ');
    const sql = columns.length
      ? `INSERT INTO ${quoteSqliteIdent(table)} (${list}) VALUES (${columns.map(() => '?').join(', ')})`
      : `INSERT INTO ${quoteSqliteIdent(table)} DEFAULT VALUES`;
    try {
      this.insert = db.prepare(sql);
    } catch (e) {
      throw sqliteError(e, file, `preparing the insert into "${table}" of`);
    }
  }

  async write(rows: Iterable<SinkItem> | AsyncIterable<SinkItem>, refuse: RefuseRow): Promise<{ rows: number; bytes: number }> {
    const writers = this.columns.map(sqliteValueWriter);
    const params: Value[] = new Array(writers.length);
    let count = 0;
    let bytes = 0;
    const one = (item: SinkItem) => {
      if ('encoded' in item) throw new Error('internal: encoded rows given to a SQLite target');
      const r: SinkRow = item;
      let i = 0;
      try {
        for (; i < writers.length; i++) params[i] = writers[i]!(r.values[i]!);
      } catch (e) {
        if (!(e instanceof ConversionError)) throw e;
        refuse(r, this.columns[i]!.target, e.reason);
        return;
      }
      try {
        this.insert.run(params);
        count++;
        bytes += rowBytes(params);
      } catch (e) {
        const code = (e as { code?: string }).code ?? '';
        if (!ROW_CODES.test(code)) throw sqliteError(e, this.file, 'writing into');
        refuse(r, undefined, (e as Error).message);
      }
    };
    if (Symbol.iterator in rows) for (const r of rows as Iterable<SinkItem>) one(r);
    else for await (const r of rows) one(r);
    return { rows: count, bytes };
  }

  refusal(_error: unknown): RowRefusal | null {
    return null;
  }
}

/**
 * The size of a written row's values, as the copy's report shows it per table: text by its
 * characters (UTF-8 byte counts would cost a pass over every string), blobs by their length,
 * numbers as the 8 bytes SQLite stores at most.
 */
function rowBytes(values: Value[]): number {
  let n = 0;
  for (const v of values) {
    if (typeof v === 'string') n += v.length;
    else if (v instanceof Uint8Array) n += v.byteLength;
    else if (v !== null && v !== undefined) n += 8;
  }
  return n;
}
