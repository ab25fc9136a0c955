/**
 * The role `ferry backup`, `ferry backups --check` and `ferry restore` ask of an engine whose
 * databases live on a server: a dump in the engine's own archive format, with every table's rows
 * and content digest taken at the same instant as the dump, so a manifest describes exactly what
 * its dump holds; and a restore that can be checked against those digests.
 */

/** What a dump recorded. */
export interface DumpResult {
  /** The server's version (`16.4`). */
  serverVersion: string;
  /** The dump tool and its version (`pg_dump 16.4`). */
  tool: string;
  /** Rows and content digest per table ("rows:hex"), read in the dump's own snapshot. */
  digests: Record<string, string>;
}

export interface ServerBackupRole {
  /** Dumps the database at `url` into `file`, and digests every table in the same snapshot. */
  dump(url: string, file: string): Promise<DumpResult>;
  /** Whether the database at `url` is missing, empty (no tables of the app's), or holds tables. */
  state(url: string): Promise<'missing' | 'empty' | 'has-tables'>;
  /**
   * Restores `file` into the database at `url`: created when missing; when `replace`, what is there
   * is replaced in one transaction (all or nothing). Returns the restored database's digests.
   */
  restore(file: string, url: string, options: { replace: boolean }): Promise<Record<string, string>>;
  /** Restores `file` into a scratch database on the server of `url`, returns its digests, and drops it. */
  restoreScratch(file: string, url: string): Promise<Record<string, string>>;
  /** Reads the dump's table of contents: 'ok', or why it cannot be read. */
  readable(file: string): Promise<string>;
  /** The file name a dump of the database gets in a set (`app.dump`). */
  dumpName(url: string): Promise<string>;
}

export interface ServerBackupRoles {
  serverBackup: ServerBackupRole;
}
