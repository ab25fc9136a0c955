/** The manifest written into every backup set folder as `manifest.json`. */
export interface BackupManifest {
  format: 'ferry-backup/1';
  /** ISO time the set was completed. */
  createdAt: string;
  /** Why the set was made, e.g. "consolidate" or "manual". */
  reason: string;
  files: BackupFileEntry[];
}

/** One backed-up database in a set. */
export interface BackupFileEntry {
  /** File name inside the set folder. */
  name: string;
  /** Absolute path of the database that was backed up (where a restore puts it back). */
  source: string;
  size: number;
  sha256: string;
  /** Rows per table at backup time. */
  tables: Record<string, number>;
  /** Result of PRAGMA integrity_check on the copy; for a dump, whether its table of contents reads. */
  integrity: string;
  /** `vacuum-into`: a SQLite file's copy; `dump`: a server database's dump (pg_dump -Fc). */
  method: 'vacuum-into' | 'dump';
  /** A dump's engine, server version and the tool that made it. */
  dialect?: string;
  serverVersion?: string;
  tool?: string;
  /** Rows and content digest per table ("rows:hex"), to tell later whether the source changed. */
  digests?: Record<string, string>;
  /** The source file's size and times (and its -wal's) when it was read: a cheap "unchanged". */
  sourceStat?: { size: number; mtimeMs: number; wal?: { size: number; mtimeMs: number } };
}

export const MANIFEST_NAME = 'manifest.json';
/** Backup set folders are named like the runbooks' `date +%Y%m%d_%H%M%S`, with a suffix on a clash. */
export const SET_NAME_PATTERN = /^\d{8}_\d{6}(_\d+)?$/;
