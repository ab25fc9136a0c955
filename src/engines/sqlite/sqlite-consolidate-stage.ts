import Database from 'better-sqlite3';
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
