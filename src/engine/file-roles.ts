/** Roles of engines whose databases are local files: backups, restores, consolidation. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface FileRoles {}
