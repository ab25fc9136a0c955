/**
 * The database side of the revision commands, loaded on demand (see revision-commands.ts): the
 * drivers, the migrator, the run lock and the version store (`ferry check` loads its checker itself).
 */
export { connect } from '../engines/registry.js';
export { applyPlan, appliedSet, importPlan } from './migrator.js';
export { acquireRunLock } from './run-lock.js';
export { VersionStore } from './version-store.js';
