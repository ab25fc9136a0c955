/**
 * The database side of the revision commands, loaded on demand (see revision-commands.ts): the
 * drivers, the migrator, the run lock, the version store and the checker.
 */
export { connect } from '../engine/connect.js';
export { checkRevisions } from './check-revisions.js';
export { applyPlan, appliedSet, importPlan } from './migrator.js';
export { acquireRunLock } from './run-lock.js';
export { splitStatements } from './split-statements.js';
export { VersionStore } from './version-store.js';
