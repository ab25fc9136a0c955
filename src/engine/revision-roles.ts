/** Roles the revision commands (upgrade, downgrade, stamp, autogenerate, --sql) ask of an engine. */
export interface RevisionRoles {}
