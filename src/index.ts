/**
 * ferry's library API: the same operations the `ferry` command runs, typed.
 */
export { FerryError, EXIT, isFerryError, type ErrorCode } from './errors.js';

export { connect, parseUrl, registerEngine, unregisterEngine, registeredEngines, roleOf } from './engines/registry.js';
export { maskPassword } from './engine/secrets.js';
export type { Engine, Capabilities, Dialect, TableRef, StreamOptions, WriteOptions, ConnectOptions, ConnectionTarget } from './engine/types.js';
export type { EngineDriver, EngineRoles } from './engine/driver.js';
export type { Row, Value } from './values/value.js';
export type { Schema, Table, Column, Index, ForeignKey, CheckConstraint, PrimaryKey, UniqueConstraint, Trigger, View } from './schema/model.js';
export { SqliteEngine, openSqlite } from './engines/sqlite/sqlite-engine.js';
export { PostgresEngine, connectPostgres } from './engines/postgres/postgres-engine.js';

export { loadConfig } from './config/load-config.js';
export { defineConfig } from './config/define-config.js';
export type { FerryConfig, ConsolidateConfig, SourceMapping, TableMapping, ConflictPolicy, TableTransform, RowObject, LoadedConfig } from './config/types.js';

export { buildPlan as planConsolidation, type PlanOptions } from './consolidate/build-plan.js';
export { consolidate, type ConsolidateOptions, type ConsolidateResult } from './consolidate/run-consolidate.js';
export {
  verifyConsolidation,
  type VerifyConsolidationOptions,
  type VerifyConsolidationResult,
  type TableVerification,
} from './consolidate/verify-consolidate.js';
export { rollbackConsolidation, type RollbackOptions, type RollbackResult } from './consolidate/rollback-consolidate.js';
export type { ConsolidatePlan, PlannedTarget, PlannedTable, PlannedPiece, Problem } from './consolidate/plan-types.js';
export type { ConsolidateEvent, EventSink } from './consolidate/events.js';
export type { TargetReport, TableReport } from './consolidate/report-types.js';

export { createBackup, type CreateBackupOptions, type BackupSet } from './backup/create-backup.js';
export { listBackups, findBackup, checkBackup, type BackupSetInfo, type BackupProblem } from './backup/backup-catalog.js';
export { restoreBackup, type RestoreOptions, type RestoreResult } from './backup/restore-backup.js';
export type { BackupManifest, BackupFileEntry } from './backup/manifest.js';

export { ChecksumAccumulator } from './values/checksum.js';

export { runCopy as copy, DEFAULT_BATCH_SIZE, DEFAULT_PARALLEL, type CopyOptions, type CopyReport } from './transfer/run-copy.js';
export { runVerify as verify, type VerifyOptions } from './transfer/run-verify.js';
export {
  syncStart,
  syncStatus,
  syncCutover,
  syncRollback,
  syncStop,
  type SyncOptions,
  type SyncReport,
  type CutoverReport,
  type RollbackReport,
  type SyncEvent,
} from './sync/run-sync.js';
export { verifyDatabases, type VerifyReport, type TableVerifyResult } from './transfer/verify-copy.js';
export { buildCopyPlan, type BuildCopyPlanOptions } from './transfer/build-copy-plan.js';
export type { CopyPlan, RejectRecord } from './transfer/copy-types.js';
export type { TablePlan, ColumnPlan, PlanWarning } from './engine/table-plan.js';
export type { LogicalType } from './values/column-type.js';
export type { CopyEvent, CopyTableReport } from './transfer/copy-events.js';
export type { RowDifference, RowDifference as CopyRowDifference } from './verify/row-differences.js';
export type { CopyConfig, CopyTableConfig, CopyColumnConfig } from './config/types.js';

export {
  upgrade,
  downgrade,
  current,
  heads,
  branches,
  show,
  history,
  stamp,
  merge,
  newRevision,
  check as checkRevisions,
  appliedHistory,
  loadGraph,
  type RevisionTarget,
  type RevisionInfo,
  type MigrateOptions,
  type MigrateResult,
  type AppliedEntry,
} from './revisions/revision-commands.js';
export { autogenerateRevision, declaredSchemaFile, type AutogenerateOptions, type AutogenerateResult } from './revisions/autogenerate.js';
export { RevisionGraph } from './revisions/revision-graph.js';
export { loadRevisions } from './revisions/revision-file.js';
export type { BackfillOptions, ExpandTypeOptions, Revision, RevisionContext, RevisionSection, SchemaOperations } from './revisions/revision-types.js';
export type { ColumnSpec } from './schema/operations.js';
export type { CheckResult, CheckProblem } from './revisions/check-revisions.js';
export { lint as lintRevisions } from './revisions/revision-commands.js';
export { openWatch, type Watch, type WatchOptions, type WatchReport } from './revisions/watch.js';
export { diffSchemas, type SchemaDifference } from './schema/diff-schemas.js';
export { defineSchema, type DeclaredSchemaModule, type DeclaredTable } from './revisions/declared-schema-module.js';

export { checkHealth, type HealthOptions } from './health/check-health.js';
export { healthHandler, type HandlerOptions } from './health/health-handler.js';
export { serveHealth, type ServeOptions, type RunningServer } from './health/serve.js';
export { validateSchemaOnStartup, type StartupValidation, type StartupValidationOptions } from './health/startup-validation.js';
export { resolveStore, type ResolveStoreOptions, type StoreLocation, type StoreMode } from './health/resolve-store.js';
export type { DatabaseHealth, DatabaseSpec, HealthReport, RevisionState } from './health/health-types.js';
export type { DatabaseConfig, RequiredTable } from './config/types.js';
