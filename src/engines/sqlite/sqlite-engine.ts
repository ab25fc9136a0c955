import fs from 'node:fs';
import Database from 'better-sqlite3';
import { FerryError } from '../../errors.js';
import type { Schema } from '../../schema/model.js';
import type { Capabilities, Engine, StreamOptions, TableRef, WriteOptions } from '../../engine/types.js';
import type { Row } from '../../values/value.js';
import { sqliteError } from './sqlite-errors.js';
import { introspectSqlite } from './sqlite-introspector.js';
import { quoteSqliteIdent } from './sqlite-tokens.js';

export interface SqliteOpenOptions {
  /** Open read-only: a source is never written, and SQLite will not checkpoint its WAL on close. */
  readonly?: boolean;
  /** Fail when the file does not exist (default: true when read-only). */
  mustExist?: boolean;
  /** Milliseconds to wait for another process's lock before failing (default 5000). */
  busyTimeoutMs?: number;
}

const CAPABILITIES: Capabilities = { transactionalDdl: true, schemas: false, fileBackup: true, strictTypes: false };

/** The SQLite engine: better-sqlite3 underneath, integers always as bigint so int64 stays exact. */
export class SqliteEngine implements Engine {
  readonly dialect = 'sqlite' as const;
  readonly capabilities = CAPABILITIES;
  readonly displayUrl: string;
  /** The underlying connection, for SQLite-only helpers in this folder (attach copy, backup). */
  readonly db: Database.Database;
  readonly file: string;
  private txDepth = 0;

  constructor(db: Database.Database, file: string) {
    this.db = db;
    this.file = file;
    this.displayUrl = file === ':memory:' ? 'sqlite::memory:' : `sqlite:${file}`;
    db.defaultSafeIntegers(true);
  }

  quoteIdent(name: string): string {
    return quoteSqliteIdent(name);
  }

  placeholder(_n: number): string {
    return '?';
  }

  quoteTable(ref: TableRef | string): string {
    const r = typeof ref === 'string' ? { name: ref } : ref;
    return r.schema ? `${quoteSqliteIdent(r.schema)}.${quoteSqliteIdent(r.name)}` : quoteSqliteIdent(r.name);
  }

  async exec(sql: string): Promise<void> {
    this.run('running SQL on', () => this.db.exec(sql));
  }

  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.run('querying', () => {
      const stmt = this.db.prepare(sql);
      if (!stmt.reader) {
        stmt.run(...params);
        return [] as T[];
      }
      return stmt.all(...params) as T[];
    });
  }

  async introspect(): Promise<Schema> {
    return this.run('reading the schema of', () => introspectSqlite(this.db));
  }

  async countRows(table: TableRef | string): Promise<number> {
    return this.run('counting rows in', () =>
      Number(
        this.db
          .prepare(`SELECT count(*) FROM ${this.quoteTable(table)}`)
          .pluck()
          .get() as bigint,
      ),
    );
  }

  async *streamRows(table: TableRef | string, options: StreamOptions = {}): AsyncIterable<Row[]> {
    const cols = options.columns ? options.columns.map((c) => this.quoteIdent(c)).join(', ') : '*';
    const order = options.orderBy?.length ? ` ORDER BY ${options.orderBy.map((c) => this.quoteIdent(c)).join(', ')}` : '';
    const stmt = this.run('reading', () => this.db.prepare(`SELECT ${cols} FROM ${this.quoteTable(table)}${order}`).raw(true));
    const size = options.batchSize ?? 1000;
    // better-sqlite3 iterators are synchronous; yielding per batch keeps one batch in memory and
    // lets the event loop breathe between batches.
    let batch: Row[] = [];
    const it = stmt.iterate() as IterableIterator<Row>;
    try {
      for (const row of it) {
        batch.push(row);
        if (batch.length >= size) {
          yield batch;
          batch = [];
        }
      }
    } catch (e) {
      throw sqliteError(e, this.file, 'reading');
    } finally {
      it.return?.();
    }
    if (batch.length) yield batch;
  }

  async writeRows(table: TableRef | string, columns: string[], batches: AsyncIterable<Row[]> | Iterable<Row[]>, _options: WriteOptions = {}): Promise<number> {
    const sql = `INSERT INTO ${this.quoteTable(table)} (${columns.map((c) => this.quoteIdent(c)).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
    const stmt = this.run('preparing an insert into', () => this.db.prepare(sql));
    const insertBatch = this.db.transaction((rows: Row[]) => {
      for (const r of rows) stmt.run(...r.map(toSqliteParam));
    });
    let written = 0;
    return this.transaction(async () => {
      for await (const rows of batches) {
        this.run('writing', () => insertBatch(rows));
        written += rows.length;
      }
      return written;
    });
  }

  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    const savepoint = `ferry_sp_${this.txDepth}`;
    this.run('starting a transaction on', () => this.db.exec(this.txDepth === 0 ? 'BEGIN IMMEDIATE' : `SAVEPOINT ${savepoint}`));
    this.txDepth++;
    try {
      const result = await fn();
      this.txDepth--;
      this.run('committing to', () => this.db.exec(this.txDepth === 0 ? 'COMMIT' : `RELEASE ${savepoint}`));
      return result;
    } catch (e) {
      this.txDepth--;
      if (this.db.inTransaction) this.db.exec(this.txDepth === 0 ? 'ROLLBACK' : `ROLLBACK TO ${savepoint}; RELEASE ${savepoint}`);
      throw e;
    }
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  /** Runs a synchronous better-sqlite3 call and maps its errors to FerryErrors naming the file. */
  run<T>(doing: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw sqliteError(e, this.file, doing);
    }
  }
}

/** better-sqlite3 binds booleans only as numbers. */
function toSqliteParam(v: unknown): unknown {
  if (typeof v === 'boolean') return v ? 1 : 0;
  return v;
}

/**
 * Opens a SQLite file. A source opened read-only is checked to be a real SQLite database at once
 * (better-sqlite3 opens lazily, and a non-database would otherwise fail on the first query).
 */
export function openSqlite(file: string, options: SqliteOpenOptions = {}): SqliteEngine {
  const readonly = options.readonly ?? false;
  const mustExist = options.mustExist ?? readonly;
  if (file !== ':memory:' && mustExist) {
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch {
      throw new FerryError('SOURCE_MISSING', `${file} does not exist.`, {
        subject: file,
        hint: "Check the path: a relative one is taken from the current folder (or, in a config file, from the config's folder).",
      });
    }
    if (!st.isFile()) throw new FerryError('SOURCE_MISSING', `${file} is not a file.`, { subject: file, hint: 'Point ferry at a SQLite database file.' });
  }
  let db: Database.Database;
  try {
    db = new Database(file, { readonly, fileMustExist: mustExist, timeout: options.busyTimeoutMs ?? 5000 });
  } catch (e) {
    throw sqliteError(e, file, 'opening');
  }
  const engine = new SqliteEngine(db, file);
  // Touch the schema so "not a database" and header corruption surface here, named.
  engine.run('opening', () => db.prepare('SELECT count(*) FROM sqlite_schema').get());
  // Readers scan; a small page cache is enough and keeps memory flat across many open files
  // (better-sqlite3's own default is 16 MB per connection).
  if (readonly) engine.run('opening', () => db.pragma('cache_size = -2048'));
  return engine;
}
