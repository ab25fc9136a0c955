/**
 * PostgreSQL's side of `ferry copy` (engine/copy-roles.ts): as a source, exact counts and sequence
 * positions, rows read with COPY TO; as a target, parallel binary COPY writers, bare tables whose
 * keys, indexes and checks come after the load, foreign keys added NOT VALID then validated, and a
 * pre-flight of the server. Loaded by every command through the driver, so `pg` and the heavy
 * modules load when a role runs.
 */
import type { CopyRoles, PostLoadStep } from '../../engine/copy-roles.js';
import type { TablePlan } from '../../engine/table-plan.js';
import { createExtensionSql, createIndexSql, createTableSql, limitIdentifier, MAX_IDENTIFIER_BYTES, postLoadSteps } from './postgres-ddl.js';
import type { PostgresEngine } from './postgres-engine.js';
import { quoteIdent } from './postgres-quote.js';
import type { PostgresTarget } from './postgres-url.js';

/** A table's steps before any foreign key (`keys`), and its foreign keys with their validation (`links`). */
function postgresPostLoadSteps(plan: TablePlan): { keys: PostLoadStep[]; links: PostLoadStep[] } {
  const fkNames = new Set(plan.foreignKeys.map((f) => f.name));
  // ANALYZE runs apart, once the table's keys are built.
  const all = postLoadSteps(plan).filter((s) => s.kind !== 'analyze');
  const isLink = (s: PostLoadStep) => s.kind === 'foreign-key' || (s.kind === 'validate' && fkNames.has(s.name ?? ''));
  return { keys: all.filter((s) => !isLink(s)), links: all.filter(isLink) };
}

export const postgresCopyRoles: Omit<CopyRoles, 'originRecord'> = {
  async tableFacts(engine, table) {
    const { postgresTableFacts } = await import('./postgres-table-facts.js');
    return postgresTableFacts(engine, table);
  },
  tableReader: {
    // A table without a primary key has no order to resume by: it is copied in one chunk.
    chunkKey: (table) => (table.primaryKey ? { kind: 'primary-key', columns: table.primaryKey.columns } : { kind: 'none' }),
    // A PostgreSQL source is read in one statement per chunk; ferry sync never reads one live.
    async open(engine, plan) {
      const { postgresTableReader } = await import('./postgres-table-reader.js');
      return postgresTableReader(engine as PostgresEngine, plan);
    },
  },
  async databaseSize(engine) {
    const [row] = await engine.query<{ n: string }>(
      `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::text AS n FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = 'public' AND c.relkind = 'r'`,
    );
    return Number(row?.n ?? 0);
  },
  tableSink: {
    async open(engine, plan) {
      const { PostgresTableSink } = await import('./postgres-table-sink.js');
      return new PostgresTableSink(engine as PostgresEngine, plan.target, plan.columns);
    },
    parallelWriters: true,
    bindsDeclaredTypes: true,
  },
  copyDdl: {
    maxNameBytes: MAX_IDENTIFIER_BYTES,
    fitName: (name) => limitIdentifier(name),
    // A primary key or unique constraint names its index, which shares the schema's namespace.
    keyNamesAreRelations: true,
    // citext has no length: a VARCHAR(n) limit the values fit is kept as a CHECK beside it.
    lengthCheck: (c) => (c.type.caseInsensitive && c.type.maxLength !== undefined ? `char_length(${quoteIdent(c.target)}) <= ${c.type.maxLength}` : null),
    createIndexSql,
    // The CREATE TABLE is written when the schema is created: the pre-flight may still change types and defaults.
    finishPlan: () => undefined,
    createTableSql: (plan) => [createTableSql(plan)],
    dropTableSql: (engine, table) => `DROP TABLE IF EXISTS ${engine.quoteTable(table)} CASCADE`,
    // One TRUNCATE for all of them: tables that reference each other can only go together.
    emptyTablesSql: (engine, tables) => [`TRUNCATE ${tables.map((t) => engine.quoteTable(t)).join(', ')}`],
    createExtensionSql,
  },
  postLoad: {
    steps: postgresPostLoadSteps,
    linksMessage: 'adding foreign keys (NOT VALID, then VALIDATE)',
    keepOneRowPerKeySql(engine, plan) {
      if (!plan.primaryKey?.columns.length) return null;
      const t = engine.quoteTable(plan.target);
      const key = plan.primaryKey.columns.map((c) => engine.quoteIdent(c)).join(', ');
      // The row loaded last (the highest ctid) stays: the resumed run read it, the later version.
      return `DELETE FROM ${t} WHERE ctid IN (SELECT ctid FROM (SELECT ctid, row_number() OVER (PARTITION BY ${key} ORDER BY ctid DESC) AS n FROM ${t}) AS d WHERE d.n > 1)`;
    },
  },
  copyPreflight: {
    async check(target, plan, options) {
      const { preflightPostgresTarget } = await import('./postgres-copy-preflight.js');
      return preflightPostgresTarget(target as PostgresTarget, plan, options);
    },
  },
  expressionTranslation: {
    async from(source) {
      if (source !== 'sqlite') return null;
      const [{ sqliteToPostgres, parseSqliteIndex }, { sqliteDefaultToPostgres }] = await Promise.all([
        import('./postgres-translate-sqlite.js'),
        import('./postgres-translate-sqlite-default.js'),
      ]);
      return { expression: sqliteToPostgres, columnDefault: sqliteDefaultToPostgres, indexParts: parseSqliteIndex };
    },
  },
};
