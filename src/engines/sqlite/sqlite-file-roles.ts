/**
 * SQLite's file roles: backups (VACUUM INTO, integrity_check, per-table digests, restores through
 * the backup API) and consolidation (ATTACH-based copies into a target file). Loaded by every
 * command with the driver, so heavy modules load inside the functions that need them.
 */
import type { FileRoles } from '../../engine/file-roles.js';
import type { Engine } from '../../engine/types.js';
import type { SqliteEngine } from './sqlite-engine.js';
import { rewriteCreateIndex, rewriteCreateTable } from './sqlite-ddl-rewrite.js';
import { sqliteError } from './sqlite-errors.js';
import { quoteSqliteIdent } from './sqlite-tokens.js';

/** The concrete connection behind an Engine this driver opened. */
function sqlite(db: Engine): SqliteEngine {
  return db as SqliteEngine;
}

export const sqliteFileRoles: FileRoles = {
  backup: {
    async fileStat(file) {
      const { sqliteFileStat } = await import('./sqlite-backup.js');
      return sqliteFileStat(file);
    },
    async snapshot(source, dest, options = {}) {
      const { snapshotSqliteFile } = await import('./sqlite-backup.js');
      snapshotSqliteFile(source, dest, options.busyTimeoutMs, options.doing);
    },
    async integrityCheck(file) {
      const { integrityCheck } = await import('./sqlite-backup.js');
      return integrityCheck(file);
    },
    async tableRowCounts(file) {
      const { fileRowCounts } = await import('./sqlite-backup.js');
      return fileRowCounts(file);
    },
    async tableDigests(file) {
      const { fileDigests } = await import('./sqlite-backup.js');
      return fileDigests(file);
    },
    async restore(backupFile, dest, options = {}) {
      const { restoreSqliteFile } = await import('./sqlite-backup.js');
      await restoreSqliteFile(backupFile, dest, options.busyTimeoutMs);
    },
  },
  consolidation: {
    async digestTransformed(sourceFile, table, piece, transform) {
      const { digestTransformedPiece } = await import('./sqlite-consolidate-stage.js');
      return digestTransformedPiece(sourceFile, table, piece, transform);
    },
    async usesWriteAheadLog(source) {
      return String(sqlite(source).db.pragma('journal_mode', { simple: true })).toLowerCase() === 'wal';
    },
    async quickCheck(source, limit) {
      const s = sqlite(source);
      const rows = s.run('checking', () => s.db.prepare('PRAGMA quick_check').pluck().all() as string[]);
      return rows.length === 1 && rows[0] === 'ok' ? 'ok' : rows.slice(0, limit).join('; ');
    },
    async expressionProblem(source, table, expr) {
      try {
        sqlite(source).db.prepare(`SELECT (${expr}) FROM ${quoteSqliteIdent(table)} LIMIT 0`);
        return null;
      } catch (e) {
        return (e as Error).message;
      }
    },
    rewriteCreateTable,
    rewriteCreateIndex,
    async countSharedKeys(a, b, options) {
      const { countSharedKeys } = await import('./sqlite-shared-keys.js');
      return countSharedKeys(a, b, options.wholeRow, options.subject);
    },
    async partialState(file, fingerprint) {
      const { partialBuildState } = await import('./sqlite-target-build.js');
      return partialBuildState(file, fingerprint);
    },
    async openTargetBuild(file, options) {
      const { SqliteTargetBuild } = await import('./sqlite-target-build.js');
      return new SqliteTargetBuild(file, options.busyTimeoutMs);
    },
    explainError: sqliteError,
  },
};
