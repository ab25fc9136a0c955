import type { BackupRole } from './backup-role.js';
import type { ConsolidationRole } from './consolidation-role.js';

/** Roles of engines whose databases are local files: backups, restores, consolidation. */
export interface FileRoles {
  /** File backups (ferry backup/restore): consistent copies, integrity checks, per-table digests, restores. */
  backup: BackupRole;
  /** Consolidation (ferry consolidate): source facts, shared keys, targets built from pieces. */
  consolidation: ConsolidationRole;
}
