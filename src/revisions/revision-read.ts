/**
 * What the read-only revision commands (current, history --indicate-current) need from the
 * database, loaded on demand and without the migrator, so they start fast.
 */
export { connect } from '../engines/registry.js';
export { appliedSet } from './applied-set.js';
export { VersionStore } from './version-store.js';
