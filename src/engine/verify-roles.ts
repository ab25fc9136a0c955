/** Roles `ferry verify` (and consolidate --verify) ask of an engine: content digests and row reads. */
export interface VerifyRoles {}
