/** Roles of engines whose databases are local files: backups, restores, consolidation. */
export interface FileRoles {}
