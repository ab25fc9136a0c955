import Database from 'better-sqlite3';
import type { RowObject } from '../config/types.js';
import { FerryError } from '../errors.js';
import { quoteSqliteIdent as q } from '../engines/sqlite/sqlite-tokens.js';
import type { PlannedPiece, PlannedTable } from './plan-types.js';

/** Creates the temporary table rows from a TS/JS transform are staged in (the target's column types). */
export function createStage(db: Database.Database, table: PlannedTable, piece: PlannedPiece): void {
  db.exec(`DROP TABLE IF EXISTS temp._ferry_stage`);
  db.exec(`CREATE TEMP TABLE _ferry_stage (${piece.columns.map((c) => `${q(c)} ${table.columnTypes[c] ?? ''}`).join(', ')})`);
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
    private readonly piece: PlannedPiece,
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
    for (const raw of rows) this.insert.run(transformRow(this.piece, raw));
  }

  close(): void {
    this.read.close();
  }
}

/**
 * One source row (values of `fnInputColumns`, in order) through the piece's row function, as
 * insert parameters in the order of `columns`. The run and --verify both go through here.
 */
export function transformRow(piece: PlannedPiece, raw: unknown[]): unknown[] {
  const obj: RowObject = {};
  piece.fnInputColumns!.forEach((c, i) => (obj[c] = raw[i] as RowObject[string]));
  const out = applyRowFn(piece, obj);
  return piece.columns.map((c) => toParam(out[c], piece, c));
}

/** Runs a row function and checks it returned a row with exactly the mapped columns. */
export function applyRowFn(piece: PlannedPiece, row: RowObject): RowObject {
  let out: RowObject;
  try {
    out = piece.rowFn!({ ...row });
  } catch (e) {
    throw new FerryError('CONFIG_INVALID', `The transform of ${piece.source}:${piece.sourceTable} threw: ${(e as Error).message}`, {
      subject: `${piece.source}:${piece.sourceTable}`,
      cause: e,
    });
  }
  if (!out || typeof out !== 'object')
    throw new FerryError('CONFIG_INVALID', `The transform of ${piece.source}:${piece.sourceTable} must return a row object, got ${String(out)}.`, {
      subject: `${piece.source}:${piece.sourceTable}`,
      hint: 'Return the (changed) row; rows cannot be dropped by a transform.',
    });
  const extra = Object.keys(out).filter((k) => !piece.columns.includes(k));
  if (extra.length)
    throw new FerryError('CONFIG_INVALID', `The transform of ${piece.source}:${piece.sourceTable} returned unknown column(s) ${extra.join(', ')}.`, {
      subject: `${piece.source}:${piece.sourceTable}`,
      hint: `Return only: ${piece.columns.join(', ')}`,
    });
  return out;
}

function toParam(v: unknown, piece: PlannedPiece, col: string): unknown {
  if (v === undefined || v === null) return null;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'string' || v instanceof Uint8Array) return v;
  throw new FerryError(
    'CONFIG_INVALID',
    `The transform of ${piece.source}:${piece.sourceTable} returned a ${Object.prototype.toString.call(v)} for ${col}; SQLite stores numbers, bigints, strings, Buffers or null.`,
    { subject: `${piece.source}:${piece.sourceTable}.${col}` },
  );
}
