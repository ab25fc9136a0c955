import type pg from 'pg';
import type { Capabilities, Engine, StreamOptions, TableRef, WriteOptions } from '../../engine/types.js';
import type { Row } from '../../values/value.js';
import { FerryError } from '../../errors.js';
import type { Schema } from '../../schema/model.js';
import { openClient } from './postgres-connect.js';
import { queryError, tableError, type PostgresTarget } from './postgres-errors.js';
import { DEFAULT_SCHEMA, quoteIdent, quoteTable, tableLabel } from './postgres-quote.js';
import { DEFAULT_STREAM_BATCH, fetchInBatches, selectSql, type Send } from './postgres-stream.js';
import { flattenRows, insertSql, rowsPerInsert, slices } from './postgres-write.js';

/** Connects to PostgreSQL; fails with FerryError CONNECT, AUTH or DATABASE_MISSING. */
export async function connectPostgres(target: PostgresTarget): Promise<PostgresEngine> {
  return new PostgresEngine(target, await openClient(target));
}

/**
 * The PostgreSQL engine: one pg.Client for everything the caller runs, so a transaction() covers
 * every statement issued inside it. Statements from overlapping calls (e.g. Promise.all of
 * countRows) are sent one after another; but while a transaction is open, anything else run on the
 * engine runs inside it. Only streams opened outside a transaction get a connection of their own.
 */
export class PostgresEngine implements Engine {
  readonly dialect = 'postgres' as const;
  readonly displayUrl: string;
  readonly capabilities: Capabilities = { transactionalDdl: true, schemas: true, fileBackup: false, strictTypes: true };
  /** The schema that bare table names and introspection refer to. */
  readonly schema = DEFAULT_SCHEMA;

  /** Open transaction() calls; above 1 they are savepoints. */
  private depth = 0;
  private cursorCount = 0;
  private closed = false;
  /** The last statement queued on the main connection; the next one waits for it. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Connections of streams in progress, ended by close() if a consumer never finishes. */
  private readonly readers = new Set<pg.Client>();

  constructor(
    /** Where this engine connects (with credentials: for worker threads of this process, never for printing). */
    readonly target: PostgresTarget,
    private readonly client: pg.Client,
  ) {
    this.displayUrl = target.displayUrl;
  }

  quoteIdent(name: string): string {
    return quoteIdent(name);
  }

  placeholder(n: number): string {
    return `$${n}`;
  }

  quoteTable(ref: TableRef | string): string {
    return quoteTable(ref, this.schema);
  }

  async exec(sql: string): Promise<void> {
    await this.run(sql);
  }

  async query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]> {
    const result = await this.run(sql, params);
    // A multi-statement string without parameters returns one result per statement.
    const last = Array.isArray(result) ? (result[result.length - 1] as pg.QueryResult | undefined) : result;
    return (last?.rows ?? []) as T[];
  }

  async introspect(): Promise<Schema> {
    // COPY, introspection and their modules load on first use: most commands (ferry current,
    // upgrade) need neither, and short commands are mostly start-up time.
    const { introspectPostgres } = await import('./postgres-introspector.js');
    return introspectPostgres((sql, params) => this.query(sql, params), this.schema);
  }

  async countRows(table: TableRef | string): Promise<number> {
    const sql = `SELECT count(*) AS n FROM ${this.quoteTable(table)}`;
    try {
      const result = await this.send(this.client)(sql);
      return Number((result.rows[0] as { n: bigint }).n);
    } catch (e) {
      throw tableError(e, sql, this.target, tableLabel(table, this.schema), 'Counting rows of');
    }
  }

  /**
   * Streams through a server-side cursor. Inside transaction() the cursor uses the engine's
   * connection and sees the transaction's own changes; otherwise it gets a short-lived connection
   * of its own, so the caller may keep using the engine (e.g. write while reading) meanwhile.
   */
  async *streamRows(table: TableRef | string, options: StreamOptions = {}): AsyncIterable<Row[]> {
    const label = tableLabel(table, this.schema);
    const sql = selectSql(this.quoteTable(table), options.columns, options.orderBy);
    const batchSize = options.batchSize && options.batchSize > 0 ? Math.floor(options.batchSize) : DEFAULT_STREAM_BATCH;
    const cursorName = `ferry_cursor_${++this.cursorCount}`;
    const inTransaction = this.depth > 0;
    const client = inTransaction ? this.client : await this.openReader();
    try {
      yield* fetchInBatches(this.send(client), sql, cursorName, batchSize, !inTransaction);
    } catch (e) {
      throw tableError(e, sql, this.target, label, 'Reading rows of');
    } finally {
      if (!inTransaction) await this.closeReader(client);
    }
  }

  async writeRows(table: TableRef | string, columns: string[], batches: AsyncIterable<Row[]> | Iterable<Row[]>, options: WriteOptions = {}): Promise<number> {
    const label = tableLabel(table, this.schema);
    const quotedTable = this.quoteTable(table);
    const quotedColumns = columns.map(quoteIdent);
    const maxRows = rowsPerInsert(columns.length, options.batchSize);
    const fullSql = insertSql(quotedTable, quotedColumns, maxRows);
    let written = 0;
    await this.transaction(async () => {
      for await (const batch of batches) {
        for (const rows of slices(batch, maxRows)) {
          const sql = rows.length === maxRows ? fullSql : insertSql(quotedTable, quotedColumns, rows.length);
          const params = flattenRows(rows, columns.length, label);
          try {
            await this.serial(() => this.client.query(sql, params));
          } catch (e) {
            throw tableError(e, sql, this.target, label, 'Writing rows into');
          }
          written += rows.length;
        }
      }
    });
    return written;
  }

  /**
   * Loads COPY data (from BinaryCopyEncoder or TextCopyEncoder) into `columns` of a table on the
   * engine's connection, so it is part of the caller's transaction() when one is open. `chunks`
   * must not use this engine: the connection is busy with the COPY until it ends. A refusal by
   * the server becomes a FerryError whose `cause` is pg's error (code, detail, where, column) and
   * whose data holds sqlstate and, when the server names them, `copyLine` (1-based row of this
   * COPY) and `copyColumn`. An error thrown by `chunks` is rethrown as it is, after the COPY was
   * cancelled.
   */
  async copyIn(table: TableRef | string, columns: string[], chunks: AsyncIterable<Buffer> | Iterable<Buffer>, format: 'binary' | 'text'): Promise<void> {
    if (this.closed) throw new FerryError('USAGE', `The connection to ${this.displayUrl} is already closed.`, { subject: this.displayUrl });
    const label = tableLabel(table, this.schema);
    const list = columns.length > 0 ? ` (${columns.map(quoteIdent).join(', ')})` : '';
    const sql = `COPY ${this.quoteTable(table)}${list} FROM STDIN${format === 'binary' ? ' (FORMAT binary)' : ''}`;
    let sourceError: unknown;
    const marked = (async function* () {
      try {
        yield* chunks;
      } catch (e) {
        sourceError = e;
        throw e;
      }
    })();
    const { copyIn } = await import('./postgres-copy-in.js');
    try {
      await this.serial(() => copyIn(this.client, sql, marked));
    } catch (e) {
      if (sourceError !== undefined && e === sourceError) throw e;
      const error = tableError(e, sql, this.target, label, 'Copying rows into');
      // "COPY t, line 42, column s": the row (1-based, in the order sent) and column refused,
      // so a caller can set that one row aside without bisecting.
      const where = /, line (\d+)(?:, column ([^:,]+))?/.exec(String((e as { where?: unknown }).where ?? ''));
      if (where && error.data) {
        error.data.copyLine = Number(where[1]);
        if (where[2]) error.data.copyColumn = where[2];
      }
      throw error;
    }
  }

  /**
   * The raw COPY BINARY data of a SELECT, chunk by chunk as the network delivers it, on a connection
   * of its own (for readers that decode the wire format themselves, like verify's digest).
   */
  async *copyOutBinary(selectSql: string): AsyncIterable<Buffer> {
    const { to: copyTo } = await import('pg-copy-streams');
    const client = await this.openReader();
    try {
      yield* client.query(copyTo(`COPY (${selectSql}) TO STDOUT (FORMAT binary)`)) as AsyncIterable<Buffer>;
    } catch (e) {
      throw queryError(e, selectSql, this.target);
    } finally {
      await this.closeReader(client);
    }
  }

  /**
   * Streams the rows of a SELECT as PostgreSQL's text output (null for NULL) through COPY TO, on
   * a connection of its own (so it does not see an open transaction's changes), in batches of at
   * least `batchRows` rows (a batch ends at a network chunk's end; the last may be smaller). Read
   * the values with normalizerFor(logical, { pgText: true }). Stopping early closes that connection.
   */
  async *copyOut(selectSql: string, batchRows?: number): AsyncIterable<(string | null)[][]> {
    const { copyOutRows } = await import('./postgres-copy-out.js');
    const client = await this.openReader();
    try {
      yield* copyOutRows(client, selectSql, batchRows);
    } catch (e) {
      throw queryError(e, selectSql, this.target);
    } finally {
      await this.closeReader(client);
    }
  }

  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    const level = this.depth;
    const savepoint = quoteIdent(`ferry_savepoint_${level}`);
    await this.run(level === 0 ? 'BEGIN' : `SAVEPOINT ${savepoint}`);
    this.depth = level + 1;
    try {
      const result = await fn();
      const end = await this.run(level === 0 ? 'COMMIT' : `RELEASE SAVEPOINT ${savepoint}`);
      // COMMIT of a transaction in which a statement failed (and the caller swallowed the error)
      // silently rolls back; saying "committed" then would lose data without a word.
      if (!Array.isArray(end) && end.command === 'ROLLBACK') {
        throw new FerryError('QUERY', `The transaction on ${this.displayUrl} was rolled back because a statement inside it failed.`, {
          subject: this.displayUrl,
          hint: 'An error inside the transaction was caught and ignored; let it propagate or use a nested transaction for the step that may fail.',
        });
      }
      return result;
    } catch (e) {
      const undo = level === 0 ? 'ROLLBACK' : `ROLLBACK TO SAVEPOINT ${savepoint}; RELEASE SAVEPOINT ${savepoint}`;
      // If undoing fails too (connection lost), the original error is the one worth reporting.
      await this.send(this.client)(undo).catch(() => undefined);
      throw e;
    } finally {
      this.depth = level;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.readers].map((reader) => this.closeReader(reader)));
    await this.client.end().catch(() => undefined);
  }

  /** Runs a statement on the engine's connection, turning failures into FerryError. */
  private async run(sql: string, params?: unknown[]): Promise<pg.QueryResult | pg.QueryResult[]> {
    if (this.closed) throw new FerryError('USAGE', `The connection to ${this.displayUrl} is already closed.`, { subject: this.displayUrl });
    try {
      // Without parameters pg uses the simple protocol, which allows several statements at once.
      return await this.serial(() => (params && params.length > 0 ? this.client.query(sql, params) : this.client.query(sql)));
    } catch (e) {
      throw queryError(e, sql, this.target);
    }
  }

  /**
   * Runs `fn` (one query on the main connection) after the queries queued before it: pg 8 warns
   * about overlapping queries on one client and pg 9 refuses them.
   */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.queue.then(fn, fn);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** A Send for `client`; the main connection's statements go through the queue. */
  private send(client: pg.Client): Send {
    const sendOne = (sql: string, rowMode?: 'array') => (rowMode ? client.query({ text: sql, rowMode }) : client.query(sql));
    return client === this.client ? (sql, rowMode) => this.serial(() => sendOne(sql, rowMode)) : sendOne;
  }

  /**
   * A snapshot exported by this connection's open transaction (`pg_export_snapshot()`): while set,
   * every reader connection reads in it, so a dump and the digests taken beside it see the same rows.
   */
  readSnapshot: string | undefined;

  private async openReader(): Promise<pg.Client> {
    if (this.closed) throw new FerryError('USAGE', `The connection to ${this.displayUrl} is already closed.`, { subject: this.displayUrl });
    const reader = await openClient(this.target);
    this.readers.add(reader);
    if (this.readSnapshot !== undefined)
      await reader.query(`BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET TRANSACTION SNAPSHOT '${this.readSnapshot.replace(/'/g, "''")}'`);
    return reader;
  }

  private async closeReader(reader: pg.Client): Promise<void> {
    if (!this.readers.delete(reader)) return;
    await reader.end().catch(() => undefined);
  }
}
