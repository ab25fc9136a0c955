import type { Dialect, Engine } from '../engine/types.js';
import type { ColumnSpec } from '../schema/operations.js';

/**
 * One revision as loaded from `migrations/`: plain data plus, for TypeScript/JavaScript revisions,
 * the functions to run. The graph, the migrator and every command read this shape.
 */
export interface Revision {
  /** The revision id (12 lowercase hex digits when ferry makes it; any [0-9a-z_] id is accepted). */
  id: string;
  /** Parent ids: none for a base, two or more for a merge. */
  parents: string[];
  message: string;
  /** Absolute path of the file. */
  file: string;
  kind: 'sql' | 'script';
  up: RevisionSection;
  /** null when the file has no down section (downgrading past it is refused). */
  down: RevisionSection | null;
  /** False for `-- ferry:no-transaction` (e.g. CREATE INDEX CONCURRENTLY). */
  transactional: boolean;
  /** `-- ferry:lock-timeout 5s`: the longest this revision waits for a lock per attempt (engines that retry lock waits). */
  lockTimeoutMs?: number;
  /**
   * SHA-256 (hex) of the file's content with line endings normalised to \n and trailing
   * whitespace removed from every line, so a checkout with other line endings still matches.
   */
  checksum: string;
}

/** What a revision runs in one direction. */
export interface RevisionSection {
  /** SQL revisions: the section's text. */
  sql?: string;
  /** SQL revisions: 1-based line of the file where the section's text starts. */
  line?: number;
  /** Script revisions: the exported up/down function. */
  fn?: (ctx: RevisionContext) => Promise<void> | void;
}

/** What `up(ctx)` / `down(ctx)` of a TS/JS revision gets. */
export interface RevisionContext {
  readonly dialect: Dialect;
  /** The connection, inside the revision's transaction. */
  readonly engine: Engine;
  /** Runs one or more statements. */
  sql(statement: string, params?: unknown[]): Promise<void>;
  /** Runs a query and returns its rows (for data migrations). */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /**
   * Schema operations that do the right thing on each engine (SQLite table rebuilds included). On
   * PostgreSQL, inside `ferry upgrade`/`downgrade`, the ones that would hold a long lock take their
   * lock-light form (see postgres-online-ops.ts): its long half runs after the revision commits.
   */
  readonly ops: SchemaOperations;
  /**
   * Updates `table` in primary-key order, a batch per transaction, after the revision's
   * transaction commits; a killed run resumes at the next batch, and the revision counts as
   * applied only when the backfill is done.
   */
  backfill(options: BackfillOptions): Promise<void>;
}

/** What `ctx.backfill` updates, and how fast. */
export interface BackfillOptions {
  table: string;
  /** Column to SQL expression, e.g. `{ total_cents: 'round(total * 100)' }`. */
  set: Record<string, string>;
  /** Only rows matching this SQL condition are updated, e.g. `'total_cents IS NULL'`. */
  where?: string;
  /** The first batch's rows (default 1000); later batches adapt to `batchTime`. */
  batchSize?: number;
  /** How long one batch should take (default '50ms'). */
  batchTime?: string | number;
  /** Pause between batches (default 0), e.g. '100ms'. */
  pause?: string | number;
}

/** `ctx.ops.expandAlterType`'s options. */
export interface ExpandTypeOptions {
  /** The new column's name. */
  to: string;
  /** The new column's type. */
  type: string;
  /** The new value as SQL, given the old value's SQL `v` (default: a cast, `(v)::type`). */
  using?: (v: string) => string;
  /** The old value as SQL, given the new value's SQL `v`, for writes of the new app (default: a cast back). */
  reverse?: (v: string) => string;
}

/** Schema operations available to script revisions as `ctx.ops`. */
export interface SchemaOperations {
  createTable(name: string, columns: ColumnSpec[], options?: { primaryKey?: string[]; ifNotExists?: boolean }): Promise<void>;
  dropTable(name: string): Promise<void>;
  renameTable(from: string, to: string): Promise<void>;
  addColumn(table: string, column: ColumnSpec): Promise<void>;
  dropColumn(table: string, column: string): Promise<void>;
  renameColumn(table: string, from: string, to: string): Promise<void>;
  /** Changes a column's type, nullability and/or default (SQLite: a table rebuild). */
  alterColumn(table: string, column: string, change: { type?: string; nullable?: boolean; default?: string | null }): Promise<void>;
  createIndex(table: string, name: string, columns: string[], options?: { unique?: boolean; where?: string }): Promise<void>;
  dropIndex(name: string, table?: string): Promise<void>;
  addForeignKey(
    table: string,
    name: string,
    columns: string[],
    refTable: string,
    refColumns: string[],
    options?: { onDelete?: string; onUpdate?: string },
  ): Promise<void>;
  /** By name, or by its columns (a foreign key SQLite keeps without a name). */
  dropForeignKey(table: string, name: string | string[]): Promise<void>;
  addUnique(table: string, name: string, columns: string[]): Promise<void>;
  /** By name, or by its columns (a unique constraint SQLite keeps without a name). */
  dropUnique(table: string, name: string | string[]): Promise<void>;
  addCheck(table: string, name: string, expression: string): Promise<void>;
  /** By name, or by its expression (a check SQLite keeps without a name). */
  dropCheck(table: string, name: string | { expression: string }): Promise<void>;
  /** Replaces the primary key with one on `columns` (none when empty); SQLite: a table rebuild. */
  setPrimaryKey(table: string, columns: string[], options?: { name?: string }): Promise<void>;
  /**
   * Expand for a rename (PostgreSQL): adds `to` beside `from`, keeps both in step with a trigger
   * while old and new app versions run, and backfills `to`. A later revision calls `contract`.
   */
  expandRenameColumn(table: string, from: string, to: string): Promise<void>;
  /** Expand for a type change (PostgreSQL): a new column of the new type, kept in step and backfilled. */
  expandAlterType(table: string, column: string, options: ExpandTypeOptions): Promise<void>;
  /**
   * Contract (PostgreSQL): drops the old column of an earlier expand and its trigger; the new one
   * takes its default and NOT NULL. `{ revert: true }` is the expand's down: the new column and the
   * trigger go, the old column stays.
   */
  contract(table: string, oldColumn: string, options?: { revert?: boolean }): Promise<void>;
}
