/**
 * Tables that are not the app's: ferry's own in a user's database (names starting `_ferry`: copy
 * state, recorded origin, change capture) and the engine's internal ones (`sqlite_…`). Copy, verify,
 * consolidate and schema diffs leave them out, so ferry's bookkeeping never travels or shows up as a
 * difference.
 */
export function isInternalTable(name: string): boolean {
  return /^_ferry/i.test(name) || /^sqlite_/i.test(name);
}

/**
 * Triggers, functions and other objects that are ferry's own (`ferry sync`'s change capture and
 * fences): introspection leaves them out, so they never travel with a copy, show up in a schema
 * diff or get recreated on a way back.
 */
export function isOwnObject(name: string): boolean {
  return /^_ferry/i.test(name);
}

/**
 * The column ferry adds to the copy of a SQLite table that has no primary key when `ferry sync`
 * follows it: the table's rowid, the target's key, by which changes are applied both ways.
 * `ferry sync stop` removes it.
 */
export const ROWID_KEY_COLUMN = '_ferry_rowid';
