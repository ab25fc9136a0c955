/** Roles `ferry copy` asks of its source and target engines. */
export interface CopyRoles {}
