/**
 * PostgreSQL's revision roles (see engine/revision-roles.ts). Loaded with the driver by every
 * command, so this file stays light: each role loads what it runs when called.
 */
import type { RevisionRoles, StatementSyntax } from '../../engine/revision-roles.js';
import { FerryError } from '../../errors.js';
import { BATCH_LIMIT, sendPostgresBatch } from './postgres-revision-batch.js';

const STATEMENT_SYNTAX: StatementSyntax = {
  dollarQuotes: true,
  nestedComments: true,
  escapeStrings: true,
  bracketIdentifiers: false,
  // CREATE [OR REPLACE] FUNCTION|PROCEDURE ... BEGIN ATOMIC ... END (SQL-standard bodies).
  compoundBodies: { modifiers: [['OR', 'REPLACE']], objects: ['FUNCTION', 'PROCEDURE'], beginAtomic: true },
};

export const postgresRevisionRoles: Omit<RevisionRoles, 'schemaNormaliser'> = {
  // A session-level advisory lock: the server drops it when the connection goes.
  runLock: async (engine, timeoutMs) => (await import('./postgres-run-lock.js')).postgresLock(engine, timeoutMs),

  versionTables: {
    existsQuery: (name) => `SELECT 1 AS found FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = '${name}'`,
    historyKeyType: 'BIGINT',
    versionTableOptions: '',
  },

  revisionRun: {
    prepare: async () => () => undefined,
    // Commits before the last one need not wait for their WAL flush. The version rows commit with
    // the revision, so a server crash can only lose whole revisions, which the next run applies
    // again; the last commit flushes everything before it.
    beforeRevision: async (engine, revision) => {
      if (revision.transactional && !revision.last) await engine.exec('SET LOCAL synchronous_commit = off');
    },
    batch: {
      limit: BATCH_LIMIT,
      send: sendPostgresBatch,
    },
    lockWaits: {
      async limit(engine, { lockMs, statementMs, local }) {
        const scope = local ? 'LOCAL ' : '';
        await engine.exec(
          `SET ${scope}lock_timeout = ${Math.round(lockMs)}; SET ${scope}statement_timeout = ${statementMs === null ? 0 : Math.round(statementMs)}`,
        );
      },
      async reset(engine) {
        await engine.exec('RESET lock_timeout; RESET statement_timeout');
      },
      async cleanUpBefore(engine, statement) {
        // A CREATE INDEX CONCURRENTLY that failed left its index INVALID: unused, but kept up to date on
        // every write, and in the way of the next attempt. Dropping it waits as the session's lock_timeout says.
        const m = /^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+(?:IF\s+NOT\s+EXISTS\s+)?("(?:[^"]|"")+"|[\w$]+)/i.exec(statement);
        if (!m) return;
        const name = m[1]!.startsWith('"') ? m[1]!.slice(1, -1).replaceAll('""', '"') : m[1]!.toLowerCase();
        const invalid = await engine.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = $1 AND c.relnamespace = current_schema()::regnamespace AND NOT i.indisvalid`,
          [name],
        );
        if (invalid[0]?.n) await engine.exec(`DROP INDEX CONCURRENTLY IF EXISTS ${engine.quoteIdent(name)}`);
      },
      // 55P03 lock_not_available (lock_timeout), 40P01 deadlock_detected.
      isLockWait: (error) => causes(error).some((e) => ['55P03', '40P01'].includes(String((e as { code?: unknown }).code))),
    },
  },

  schemaOps: {
    run: async (engine, op) => (await import('./postgres-schema-ops.js')).runPostgresOp(engine, op),
    online: async (_engine, op) => (await import('./postgres-online-ops.js')).postgresOnlineForm(op),
    expand: async (engine, expansion) => (await import('./postgres-online-ops.js')).postgresExpand(engine, expansion),
    contract: async (engine, table, column, revert) => (await import('./postgres-online-ops.js')).postgresContract(engine, table, column, revert),
    render: async (ops) => {
      const { postgresOpSql } = await import('./postgres-operations.js');
      return ops.flatMap(postgresOpSql);
    },
  },

  scratch: {
    withEmpty: async (url, purpose, fn) => (await import('./postgres-scratch.js')).withPostgresScratch(url, purpose, fn),
    replayedDescription: 'a scratch database at the same revisions (schema only: statements that depend on rows may differ)',
    canCopy: () => false,
    withCopy: () => Promise.reject(new FerryError('INTERNAL', 'PostgreSQL makes no copies of a live database for --sql (canCopy is false).')),
  },

  statementSyntax: STATEMENT_SYNTAX,
};

/** An error and the errors it wraps (ferry's errors keep the driver's as `cause`). */
function causes(error: unknown): unknown[] {
  const out: unknown[] = [];
  for (let e = error; e && out.length < 5; e = (e as { cause?: unknown }).cause) out.push(e);
  return out;
}
