/** Roles `ferry verify` (and consolidate --verify) ask of an engine: content digests and row reads. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface VerifyRoles {}
