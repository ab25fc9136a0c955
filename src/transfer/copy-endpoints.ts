import type { Dialect } from '../engine/types.js';
import type { Engine } from '../engine/types.js';
import type { Row, Value } from '../values/value.js';
import { type ConnectionTarget } from '../engine/types.js';
import { createTableSql } from '../engines/postgres/postgres-ddl.js';
import type { PostgresEngine } from '../engines/postgres/postgres-engine.js';
import { keysetSelectSql } from '../engines/postgres/postgres-read-rows.js';
import { PostgresTableSink } from '../engines/postgres/postgres-table-sink.js';
import { openSqlite, type SqliteEngine } from '../engines/sqlite/sqlite-engine.js';
import { sqliteError } from '../engines/sqlite/sqlite-errors.js';
import { keyWidth, readSqliteRows } from '../engines/sqlite/sqlite-read-rows.js';
import { SqliteTableSink } from '../engines/sqlite/sqlite-table-sink.js';
import { NativeCopyReader } from '../engines/sqlite/sqlite-copy-native.js';
import { pgTypeKind } from '../engines/postgres/postgres-copy-kinds.js';
import type { TablePlan } from '../engine/table-plan.js';
import type { TableSource } from './load-table.js';
import type { TableSink } from '../engine/table-sink.js';

/**
 * The engine-specific ends of a copy, picked by the target's dialect: how a table is read, how it
 * is written, and the DDL that creates it. Everything else in transfer/ is engine-neutral.
 */

/** A table source that may hold a connection of its own. */
export type ClosableSource = TableSource & { close?: () => void };

/** Reads one table of the plan from the source engine, in key order. */
export function sourceFor(source: Engine, from: ConnectionTarget, to: ConnectionTarget, plan: TablePlan): ClosableSource {
  const columns = plan.columns.map((c) => c.source);
  const width = keyWidth(plan.chunkKey);
  if (from.dialect === 'sqlite') {
    // Its own connection, so tables can be read side by side (a better-sqlite3 connection runs
    // one statement at a time) without opening the writer's file for writing.
    const reader = openSqlite(from.file!, { readonly: true, mustExist: true });
    const kinds = to.dialect === 'postgres' && plan.chunkKey.kind === 'rowid' ? nativeCopyKinds(plan) : null;
    const native = kinds ? NativeCopyReader.open(reader.db, reader.file, plan.source, columns, kinds) : null;
    return {
      keyWidth: width,
      read: (after, upTo) => guardSqlite(readSqliteRows(reader.db, reader.file, plan.source, columns, plan.chunkKey, after, upTo), reader.file, plan.source),
      ...(native ? { readEncoded: (after: Value[] | null, limit: number) => native.read(after, limit) } : {}),
      close: () => void reader.close(),
    };
  }
  const pg = source as PostgresEngine;
  return {
    keyWidth: width,
    pgText: true,
    read: (after, upTo) =>
      flatten(pg.copyOut(keysetSelectSql(plan.source, pg.schema, columns, plan.chunkKey, after as Value[] | null, upTo as Value[] | null | undefined))),
  };
}

/** Writes one table of the plan into the target engine. */
export function sinkFor(target: Engine, to: ConnectionTarget, plan: TablePlan): TableSink {
  if (to.dialect === 'sqlite') {
    const t = target as SqliteEngine;
    return new SqliteTableSink(t.db, t.file, plan.target, plan.columns);
  }
  return new PostgresTableSink(target as PostgresEngine, plan.target, plan.columns);
}

/** The statements that create a table before its rows arrive (keys and indexes come after). */
export function createSchemaSql(plan: TablePlan, dialect: Dialect): string[] {
  if (dialect === 'postgres') return [createTableSql(plan)];
  // SQLite cannot add keys, foreign keys or checks later: they are declared inline.
  if (!plan.createSql) throw new Error(`internal: no CREATE TABLE for SQLite target table ${plan.target}`);
  return [plan.createSql];
}

/** A corrupt page found while reading becomes a FerryError naming the file and table. */
function* guardSqlite(rows: IterableIterator<Row>, file: string, table: string): Generator<Row> {
  try {
    yield* rows;
  } catch (e) {
    throw sqliteError(e, file, `reading table "${table}" of`);
  }
}

async function* flatten(batches: AsyncIterable<(string | null)[][]>): AsyncGenerator<Row> {
  for await (const batch of batches) yield* batch;
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
