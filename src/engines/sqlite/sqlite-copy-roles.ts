/**
 * SQLite's side of `ferry copy` (engine/copy-roles.ts): as a source, one profiling scan per table
 * and reads on connections of their own; as a target, one writer, keys declared inline in CREATE
 * TABLE, triggers recreated once every table is in, and a check of the disk's free space. Loaded by
 * every command through the driver, so better-sqlite3 and the heavy modules load when a role runs.
 */
import type { CopyRoles, PostLoadStep } from '../../engine/copy-roles.js';
import type { PlanWarning, TablePlan } from '../../engine/table-plan.js';
import type { Engine } from '../../engine/types.js';
import type { SqliteEngine } from './sqlite-engine.js';
import { sqliteCreateIndexSql, sqliteCreateTableSql, sqliteSeedSequenceSql } from './sqlite-ddl.js';
import { applyOrigin } from './sqlite-origin.js';
import type { SqliteTarget } from './sqlite-url.js';

/** A table's steps after its rows are in: indexes and the AUTOINCREMENT floor; its own triggers once every table is in. */
function postLoadSteps(plan: TablePlan): { keys: PostLoadStep[]; links: PostLoadStep[] } {
  const keys: PostLoadStep[] = plan.indexes.map((ix) => ({ kind: 'index', name: ix.name, sql: ix.sql }));
  const seed = sqliteSeedSequenceSql(plan);
  if (seed) keys.push({ kind: 'identity', sql: seed });
  // The app's own triggers come back once every table is loaded, so the load never fires them.
  return { keys, links: (plan.triggers ?? []).map((sql) => ({ kind: 'trigger', sql })) };
}

/**
 * SQLite declares foreign keys inline and the load ran with enforcement off: orphans are reported
 * (rows kept, as PostgreSQL's NOT VALID constraints do) instead of enforced.
 */
async function orphanWarning(engine: Engine, plan: TablePlan): Promise<PlanWarning | null> {
  if (!plan.foreignKeys.length) return null;
  const orphans = await engine.query(`PRAGMA foreign_key_check(${engine.quoteIdent(plan.target)})`);
  if (!orphans.length) return null;
  return {
    code: 'NOT_VALIDATED',
    table: plan.target,
    message: `${plan.target}: ${orphans.length} row(s) reference rows missing from their parent table (copied as they are; PRAGMA foreign_key_check lists them).`,
  };
}

export const sqliteCopyRoles: CopyRoles = {
  async tableFacts(engine, table, columns) {
    const { sqliteTableFacts } = await import('./sqlite-table-facts.js');
    return sqliteTableFacts(engine as SqliteEngine, table, columns);
  },
  tableReader: {
    // A WITHOUT ROWID table is read by its primary key; every other table by its rowid.
    chunkKey: (table) => (table.withoutRowid && table.primaryKey ? { kind: 'primary-key', columns: table.primaryKey.columns } : { kind: 'rowid' }),
    async open(engine, plan, options) {
      const { openSqliteTableReader } = await import('./sqlite-table-reader.js');
      return openSqliteTableReader(engine as SqliteEngine, plan, options?.oneInstant ?? false);
    },
  },
  databaseSize: async (engine) => (await import('../../util/fs-atomic.js')).sqliteDiskSize((engine as SqliteEngine).file),
  tableSink: {
    async open(engine, plan) {
      const { SqliteTableSink } = await import('./sqlite-table-sink.js');
      const t = engine as SqliteEngine;
      return new SqliteTableSink(t.db, t.file, plan.target, plan.columns);
    },
    // One writer: a second connection would only wait for the first one's lock.
    parallelWriters: false,
    // Declared types do not bind values: rows copied into an app's table keep the plan's conversions.
    bindsDeclaredTypes: false,
  },
  copyDdl: {
    fitName: (name) => name,
    // Constraint names are the table's own: they never clash with index or table names.
    keyNamesAreRelations: false,
    lengthCheck: () => null,
    createIndexSql: sqliteCreateIndexSql,
    finishPlan(plan) {
      // SQLite cannot add keys, foreign keys or checks later: the whole CREATE TABLE is fixed now.
      plan.createSql = sqliteCreateTableSql(plan, true);
    },
    createTableSql(plan) {
      if (!plan.createSql) throw new Error(`internal: no CREATE TABLE for SQLite target table ${plan.target}`);
      return [plan.createSql];
    },
    dropTableSql: (engine, table) => `DROP TABLE IF EXISTS ${engine.quoteTable(table)}`,
    emptyTablesSql: (engine, tables) => tables.map((t) => `DELETE FROM ${engine.quoteTable(t)}`),
  },
  postLoad: {
    steps: postLoadSteps,
    linksMessage: 'recreating triggers',
    checkLinks: orphanWarning,
  },
  copyPreflight: {
    async check(target, plan, options) {
      const { preflightSqliteTarget } = await import('./sqlite-copy-preflight.js');
      return preflightSqliteTarget((target as SqliteTarget).file, target.displayUrl, plan, options);
    },
    async remainingBytes(target, plan, sourceBytes) {
      const { remainingBytes } = await import('./sqlite-copy-preflight.js');
      return remainingBytes(sourceBytes, (target as SqliteTarget).file, plan);
    },
  },
  originRecord: { restore: applyOrigin },
  expressionTranslation: {
    async from(source) {
      if (source !== 'postgres') return null;
      const { postgresToSqlite, postgresDefaultToSqlite, parsePostgresIndex } = await import('./sqlite-translate-postgres.js');
      return {
        expression: postgresToSqlite,
        columnDefault: postgresDefaultToSqlite,
        indexParts(sql) {
          const parts = parsePostgresIndex(sql);
          // Only b-tree indexes have a SQLite equivalent (GIN, GiST, hash and BRIN do not).
          return parts && parts.method !== 'btree' ? { ...parts, refused: `it uses ${parts.method}` } : parts;
        },
      };
    },
  },
};
