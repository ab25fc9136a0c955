/**
 * The `backup` role: what ferry backup, restore, rollback and a resumed consolidation ask of an
 * engine whose databases are local files. Every function takes file paths and opens (and closes)
 * its own connection, since a backup copy, a restore destination or a source being compared is a
 * file first and a connection only for the moment it is read.
 */

/** A database file's size and modification time, and its write-ahead log's: a cheap "unchanged". */
export interface FileStat {
  size: number;
  mtimeMs: number;
  /** The write-ahead log beside the file, when it holds anything. */
  wal?: { size: number; mtimeMs: number };
}

/** How long to wait on a locked file, in milliseconds. */
export interface FileWaitOptions {
  busyTimeoutMs?: number;
}

/** File backups (ferry backup/restore): consistent copies of a file database, checked and summarised. */
export interface BackupRole {
  /** The file's stat fingerprint (its write-ahead log's too), or null when it does not exist. */
  fileStat(file: string): Promise<FileStat | null>;
  /**
   * Writes a consistent copy of `source` to `dest`, rows still in its write-ahead log included,
   * without ever writing the source; `doing` names the step in a lock or read error.
   */
  snapshot(source: string, dest: string, options?: FileWaitOptions & { doing?: string }): Promise<void>;
  /** 'ok', or the problems (at most ten, joined by '; ') the engine's full integrity check finds. */
  integrityCheck(file: string): Promise<string>;
  /** Rows per user table. */
  tableRowCounts(file: string): Promise<Record<string, number>>;
  /** Rows and content digest per user table ("rows:hex"), as backup manifests record them. */
  tableDigests(file: string): Promise<Record<string, string>>;
  /**
   * Puts the content of a backup copy into `dest` in one step: an existing destination changes in
   * one transaction (its locks and log honoured), a new one appears only when complete.
   */
  restore(backupFile: string, dest: string, options?: FileWaitOptions): Promise<void>;
}
