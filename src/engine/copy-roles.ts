/** Roles `ferry copy` asks of its source and target engines. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface CopyRoles {}
