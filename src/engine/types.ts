import type { Schema } from '../schema/model.js';

import type { Row } from '../values/value.js';

/** An engine's name, as registered (`sqlite`, `postgres`); only the engine's own folder reads it. */
export type Dialect = string;

/** A parsed connection target. Each engine's URL parser adds its own fields. */
export interface ConnectionTarget {
  dialect: Dialect;
  /** The URL as given (with its password, if any): only ever handed to the driver. */
  url: string;
  /** The URL with any password replaced by `***`, safe to print. */
  displayUrl: string;
  /** The database's file, absolute, when it is a local file. */
  file?: string;
  /** A database that lives in memory only (nothing on disk to check, back up or create). */
  memory?: boolean;
}

/** How to open a connection. */
export interface ConnectOptions {
  /** Open read-only (sources are never written); engines that cannot enforce it ignore it. */
  readonly?: boolean;
  /** A file database must already exist. Default true for read-only opens. */
  mustExist?: boolean;
  /** How long to wait on a locked database, in milliseconds. */
  busyTimeoutMs?: number;
}

/** What an engine can do; callers read flags instead of testing the engine's name. */
export interface Capabilities {
  /** DDL runs inside a transaction and rolls back with it. */
  transactionalDdl: boolean;
  /** Schemas (namespaces) inside one database. */
  schemas: boolean;
  /** The database is a local file that can be backed up with the engine's backup API. */
  fileBackup: boolean;
  /**
   * Every value in a column has the column's declared type (PostgreSQL); without it a column may
   * hold any value (SQLite), so its declared type says little about how to compare its values.
   */
  strictTypes: boolean;
}

/** A table reference; `schema` only matters on engines with schemas. */
export interface TableRef {
  name: string;
  schema?: string;
}

export interface StreamOptions {
  /** Columns to read, in order; all columns when omitted. */
  columns?: string[];
  /** Rows per yielded batch; memory is bounded by one batch. */
  batchSize?: number;
  /** Order by these columns (e.g. the primary key) when given. */
  orderBy?: string[];
}

export interface WriteOptions {
  /** Rows per INSERT batch. */
  batchSize?: number;
}

/**
 * The one interface every engine implements. It is deliberately narrow: connect, quote, run SQL,
 * introspect, stream rows out, write rows in, transactions. Engine-specific extras (SQLite's
 * ATTACH copy, PostgreSQL's COPY) live on the concrete classes in their engine's folder.
 */
export interface Engine {
  readonly dialect: Dialect;
  /** The connection URL with any password masked, safe to print. */
  readonly displayUrl: string;
  readonly capabilities: Capabilities;

  /** Quotes an identifier so any name (quotes, spaces, keywords, mixed case) survives. */
  quoteIdent(name: string): string;
  /** Quotes a possibly schema-qualified table reference. */
  quoteTable(ref: TableRef | string): string;
  /** The placeholder for the n-th (1-based) query parameter: `$1` or `?`. */
  placeholder(n: number): string;

  /** Runs one or more statements that return no rows. */
  exec(sql: string): Promise<void>;
  /** Runs a query with positional parameters and returns rows as objects. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;

  /** Reads the database's schema into the engine-neutral model. */
  introspect(): Promise<Schema>;
  /** Exact row count of a table. */
  countRows(table: TableRef | string): Promise<number>;

  /** Streams a table's rows in batches; memory holds one batch at a time. */
  streamRows(table: TableRef | string, options?: StreamOptions): AsyncIterable<Row[]>;
  /**
   * Writes batches of rows into an existing table inside one transaction and returns the count
   * written. On failure nothing from this call stays.
   */
  writeRows(table: TableRef | string, columns: string[], batches: AsyncIterable<Row[]> | Iterable<Row[]>, options?: WriteOptions): Promise<number>;

  /** Runs `fn` inside a transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: () => Promise<T>): Promise<T>;

  close(): Promise<void>;
}
