import type Database from 'better-sqlite3';
import type { TablePlan } from '../../engine/table-plan.js';
import type { EncodedReader } from '../../engine/table-reader.js';
import type { Value } from '../../values/value.js';
import { pgTypeKind } from '../postgres/postgres-copy-kinds.js';
import { loadNativeExtension, MAX_FUNCTION_ARGS } from './sqlite-native.js';
import type { SqliteEngine } from './sqlite-engine.js';
import { sqliteError } from './sqlite-errors.js';
import { quoteSqliteIdent as q } from './sqlite-tokens.js';

/** A run of rows read and encoded natively: the encoded tuples (null: encode them in JS), how many, the last key. */
export interface NativeChunk {
  encoded: Buffer | null;
  rows: number;
  lastKey: Value[] | null;
}

/**
 * Reads a rowid table in key order through the native ferry_copy_rows aggregate
 * (native/ferry-copy.inc.c), `limit` rows at a time, as COPY BINARY tuples. Returns null from
 * `open` when the extension is not loaded, so the caller keeps the JavaScript path.
 */
export class NativeCopyReader {
  private constructor(
    private readonly first: Database.Statement,
    private readonly next: Database.Statement,
    private readonly kinds: string,
    private readonly file: string,
  ) {}

  /** Prepares the reads, or null without the native extension. `kinds` has one letter per column. */
  static open(db: Database.Database, file: string, table: string, columns: string[], kinds: string): NativeCopyReader | null {
    // A row wider than a function's argument limit is encoded in JavaScript.
    if (columns.length > MAX_FUNCTION_ARGS || !loadNativeExtension(db)) return null;
    const taken = new Set(columns.map((c) => c.toLowerCase()));
    const rowid = ['rowid', '_rowid_', 'oid'].find((n) => !taken.has(n));
    if (!rowid) return null;
    const key = q('\u0001ferry_key');
    const cols = columns.map(q).join(', ');
    const sql = (where: string) =>
      `SELECT ferry_copy_rows(?, ${cols}), count(*), max(${key}) FROM (SELECT ${rowid} AS ${key}, ${cols} FROM ${q(table)}${where} ORDER BY ${rowid} LIMIT ?)`;
    try {
      return new NativeCopyReader(db.prepare(sql('')), db.prepare(sql(` WHERE ${rowid} > ?`)), kinds, file);
    } catch (e) {
      throw sqliteError(e, file, `reading table "${table}" of`);
    }
  }

  /** The next `limit` rows after `after` (from the start when null). */
  read(after: Value[] | null, limit: number): NativeChunk {
    try {
      const [encoded, rows, last] = (after ? this.next.raw(true).get(this.kinds, after[0], limit) : this.first.raw(true).get(this.kinds, limit)) as [
        Buffer | null,
        bigint | number,
        Value,
      ];
      const n = Number(rows);
      return { encoded: n === 0 ? Buffer.alloc(0) : encoded, rows: n, lastKey: n === 0 ? after : [last] };
    } catch (e) {
      throw sqliteError(e, this.file, 'reading');
    }
  }
}

/**
 * The SQLite -> PostgreSQL accelerator's reader of one planned rowid table, on the table reader's
 * connection: its rows as PostgreSQL COPY BINARY tuples, or null when some column needs JavaScript
 * or the native extension is not there.
 */
export function nativeEncodedReader(connection: SqliteEngine, plan: TablePlan): EncodedReader | null {
  const kinds = nativeCopyKinds(plan);
  if (!kinds) return null;
  const native = NativeCopyReader.open(
    connection.db,
    connection.file,
    plan.source,
    plan.columns.map((c) => c.source),
    kinds,
  );
  return native ? { format: 'postgres-binary', read: (after, limit) => native.read(after, limit) } : null;
}

/**
 * The letters of SQLite's native COPY encoder for a table's columns, or null when some column needs
 * JavaScript (numeric, dates, epoch times, int4/real targets, columns holding several storage
 * classes). A letter only promises the common case: any value outside it sends that run of rows
 * through JavaScript, which converts or rejects it.
 */
export function nativeCopyKinds(plan: TablePlan): string | null {
  let out = '';
  for (const c of plan.columns) {
    const kind = pgTypeKind(c.targetType);
    const p = c.profile;
    const only = (n: number | undefined) => !p || n === p.integers + p.reals + p.texts + p.blobs;
    const letter =
      kind === 'int8' && c.logical === 'int64' && only(p?.integers)
        ? 'i'
        : kind === 'int4' && c.logical === 'int64' && only(p?.integers)
          ? 'I'
          : kind === 'int2' && c.logical === 'int64' && only(p?.integers)
            ? 'S'
            : kind === 'uuid' && c.logical === 'uuid' && only(p?.texts)
              ? 'U'
              : kind === 'float8' && c.logical === 'float64' && only(p?.reals)
                ? 'f'
                : kind === 'bool' && c.logical === 'boolean' && only(p?.integers)
                  ? 'o'
                  : kind === 'text' && c.logical === 'text' && only(p?.texts)
                    ? 't'
                    : kind === 'json' && c.logical === 'json' && only(p?.texts)
                      ? 'j'
                      : kind === 'jsonb' && c.logical === 'jsonb' && only(p?.texts)
                        ? 'J'
                        : kind === 'bytea' && c.logical === 'bytes' && only(p?.blobs)
                          ? 'b'
                          : kind === 'timestamp' && c.logical === 'timestamp' && !c.epoch && only(p?.texts)
                            ? 'T'
                            : kind === 'timestamptz' && c.logical === 'timestamptz' && !c.epoch && only(p?.texts)
                              ? 'Z'
                              : null;
    if (!letter) return null;
    out += letter;
  }
  return out || null;
}
