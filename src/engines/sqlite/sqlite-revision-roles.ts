/**
 * SQLite's revision roles (see engine/revision-roles.ts). Loaded with the driver by every command,
 * so this file stays light: each role loads what it runs (better-sqlite3 included) when called.
 */
import type { RevisionRoles, StatementSyntax } from '../../engine/revision-roles.js';
import type { SqliteEngine } from './sqlite-engine.js';

const STATEMENT_SYNTAX: StatementSyntax = {
  dollarQuotes: false,
  nestedComments: false,
  escapeStrings: false,
  bracketIdentifiers: true,
  // CREATE [TEMP] TRIGGER ... BEGIN ... END.
  compoundBodies: { modifiers: [['TEMP'], ['TEMPORARY']], objects: ['TRIGGER'], beginAtomic: false },
};

export const sqliteRevisionRoles: RevisionRoles = {
  // A lock file held in an exclusive transaction, which the operating system releases with the process.
  runLock: async (engine, timeoutMs) => (await import('./sqlite-run-lock.js')).sqliteLock(engine as SqliteEngine, timeoutMs),

  // Every revision is a commit with its fsyncs, and each b-tree a commit touches is more pages to
  // journal: the history's key is the rowid (INTEGER PRIMARY KEY) and the version table is its own
  // index (WITHOUT ROWID), two pages fewer per revision (500 revisions: about 15 ms of SQLite time).
  versionTables: {
    existsQuery: (name) => `SELECT 1 AS found FROM sqlite_schema WHERE type = 'table' AND name = '${name}'`,
    historyKeyType: 'INTEGER',
    versionTableOptions: 'WITHOUT ROWID',
  },

  revisionRun: {
    prepare: async (engine) => (await import('./sqlite-run-settings.js')).sqliteRunSettings(engine as SqliteEngine),
    // Foreign keys are off for the run (see sqliteRunSettings), so they are checked before each commit.
    danglingReferences: async (engine) => (await import('./sqlite-run-settings.js')).sqliteDanglingReferences(engine as SqliteEngine),
  },

  schemaOps: {
    run: async (engine, op) => (await import('./sqlite-operations.js')).runSqliteOp(engine as SqliteEngine, op).statements,
    render: async (ops, before, after) => (await import('./sqlite-render-ops.js')).renderSqliteOps(ops, before, after),
  },

  scratch: {
    withEmpty: async (_url, _purpose, fn) => (await import('./sqlite-scratch.js')).withSqliteScratch(fn),
    replayedDescription: 'an empty scratch database',
    canCopy: (live) => (live as SqliteEngine).file !== ':memory:',
    withCopy: async (live, fn) => (await import('./sqlite-scratch.js')).withSqliteCopy(live as SqliteEngine, fn),
  },

  statementSyntax: STATEMENT_SYNTAX,

  // SQLite's PRAGMAs do not report constraint names; reverse and drop ops need them, and the CREATE TABLE text has them.
  schemaNormaliser: async (schema) => {
    const { nameSqliteConstraints } = await import('./sqlite-operations.js');
    return { ...schema, tables: schema.tables.map(nameSqliteConstraints) };
  },
};
