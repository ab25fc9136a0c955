/**
 * Rows through a TS/JS transform (a row function in the config): the run stages them through
 * here (the engine calls back for each row) and --verify checksums them the same way.
 */
import type { RowObject } from '../config/types.js';
import { FerryError } from '../errors.js';
import type { PlannedPiece } from './plan-types.js';

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
