/** Roles the revision commands (upgrade, downgrade, stamp, autogenerate, --sql) ask of an engine. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface RevisionRoles {}
