/** Per-source line of a target table in the run summary. */
export interface PieceReport {
  source: string;
  sourceTable: string;
  inserted: number;
  skipped: number;
  replaced: number;
}

/** One target table in the run summary. */
export interface TableReport {
  target: string;
  table: string;
  rows: number;
  skipped: number;
  replaced: number;
  /** Checksum digest of rows the run took out on purpose (skipped or replaced), for --verify. */
  removedDigest: string | null;
  pieces: PieceReport[];
  notes: string[];
}

/** What was written for one target file; kept in `<targetDir>/.ferry/<file>.report.json`. */
export interface TargetReport {
  target: string;
  path: string;
  fingerprint: string;
  backupSet: string;
  finishedAt: string;
  tables: TableReport[];
  /** JSON-lines file listing every skipped/replaced row, when there were any. */
  rejectsFile: string | null;
  /** Foreign key problems found after loading (rows are kept; the sources had them too). */
  foreignKeyProblems: { table: string; count: number }[];
  /** Triggers or views that could not be created in the target. */
  postFailures: string[];
}
