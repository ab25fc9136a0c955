import Database from 'better-sqlite3';
import { ChecksumAccumulator } from '../../values/checksum.js';
import { digestSqliteTable } from './sqlite-digest.js';
import { quoteSqliteIdent as q } from './sqlite-tokens.js';

/** Creates the temporary table rows from a TS/JS transform are staged in (the target's column types). */
export function createStage(db: Database.Database, table: { columnTypes: Record<string, string> }, piece: { columns: string[] }): void {
  db.exec(`DROP TABLE IF EXISTS temp._ferry_stage`);
  db.exec(`CREATE TEMP TABLE _ferry_stage (${piece.columns.map((c) => `${q(c)} ${table.columnTypes[c] ?? ''}`).join(', ')})`);
}

/** What the stager reads of a piece. */
interface StagedPiece {
  sourceTable: string;
  columns: string[];
  fnInputColumns?: string[];
  hasRowid: boolean;
}

/**
 * Moves rows through a TS/JS transform: a chunk is read from the backup copy on its own
 * read-only connection, each row goes through the function, and the results are staged in a
 * temporary table from which the ordinary chunk copy (with its conflict policy) takes them.
 */
export class Stager {
  private readonly read: Database.Database;
  private readonly select: Database.Statement;
  private readonly insert: Database.Statement;
  private readonly clear: Database.Statement;

  constructor(
    db: Database.Database,
    backupFile: string,
    private readonly piece: StagedPiece,
    private readonly transform: (raw: unknown[]) => unknown[],
  ) {
    this.read = new Database(backupFile, { readonly: true });
    this.read.defaultSafeIntegers(true);
    const cols = piece.fnInputColumns!;
    // WITHOUT ROWID tables have no rowid to range over; they are staged whole.
    const where = piece.hasRowid ? ' WHERE @all OR (rowid > @lo AND rowid <= @hi)' : '';
    this.select = this.read.prepare(`SELECT ${cols.map(q).join(', ')} FROM ${q(piece.sourceTable)}${where}`).raw(true);
    this.insert = db.prepare(`INSERT INTO temp._ferry_stage (${piece.columns.map(q).join(', ')}) VALUES (${piece.columns.map(() => '?').join(', ')})`);
    this.clear = db.prepare(`DELETE FROM temp._ferry_stage`);
  }

  stage(lo: bigint | null, hi: bigint): void {
    this.clear.run();
    const rows = (this.piece.hasRowid ? this.select.all({ all: lo === null ? 1 : 0, lo: lo ?? 0n, hi }) : this.select.all()) as unknown[][];
    for (const raw of rows) this.insert.run(this.transform(raw));
  }

  close(): void {
    this.read.close();
  }
}

/** Rows staged per digest: bounded memory whatever the source's size. */
const DIGEST_BATCH = 5000;

/**
 * The digest of a piece's rows after its JS transform, staged exactly as a build stages them (the
 * target's column types decide each value's storage class) in a scratch in-memory database.
 */
export function digestTransformedPiece(
  sourceFile: string,
  table: { columnTypes: Record<string, string>; pieces: readonly { columns: string[] }[] },
  piece: { sourceTable: string; columns: string[]; fnInputColumns?: string[] },
  transform: (raw: unknown[]) => unknown[],
): ChecksumAccumulator {
  // In the table's column order (its first piece's), as the target and the other pieces are digested.
  const columns = table.pieces[0]!.columns;
  const src = new Database(sourceFile, { readonly: true });
  src.defaultSafeIntegers(true);
  const mem = new Database(':memory:');
  mem.defaultSafeIntegers(true);
  try {
    createStage(mem, table, piece);
    const ins = mem.prepare(`INSERT INTO temp._ferry_stage (${piece.columns.map(q).join(', ')}) VALUES (${piece.columns.map(() => '?').join(', ')})`);
    const total = new ChecksumAccumulator();
    let n = 0;
    const flush = () => {
      total.merge(digestSqliteTable(mem, { table: '_ferry_stage', columns, logicals: columns.map(() => null) }));
      mem.exec('DELETE FROM temp._ferry_stage');
      n = 0;
    };
    const read = src.prepare(`SELECT ${piece.fnInputColumns!.map(q).join(', ')} FROM ${q(piece.sourceTable)}`).raw(true);
    for (const raw of read.iterate() as IterableIterator<unknown[]>) {
      ins.run(transform(raw));
      if (++n >= DIGEST_BATCH) flush();
    }
    flush();
    return total;
  } finally {
    src.close();
    mem.close();
  }
}
