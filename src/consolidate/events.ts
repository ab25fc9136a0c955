import type { BackupFileEntry } from '../backup/manifest.js';

/** Progress events of a consolidation, for progress bars, log lines or a caller's own reporting. */
export type ConsolidateEvent =
  | { type: 'backup-start'; files: number; dir: string }
  | { type: 'backup-file'; entry: BackupFileEntry }
  | { type: 'backup-done'; path: string; reused: boolean }
  | { type: 'target-start'; target: string; resumed: boolean }
  | { type: 'piece-start'; target: string; table: string; source: string; sourceTable: string; rows: number; done: number }
  | { type: 'piece-progress'; target: string; table: string; source: string; done: number; rows: number }
  | {
      type: 'piece-done';
      target: string;
      table: string;
      source: string;
      sourceTable: string;
      inserted: number;
      skipped: number;
      replaced: number;
      ms: number;
      /** Copied by an earlier, interrupted run. */ alreadyDone?: boolean;
    }
  | { type: 'target-done'; target: string; path: string; ms: number }
  | { type: 'note'; message: string };

/** Receives events; the CLI renders them, library callers may ignore them. */
export type EventSink = (event: ConsolidateEvent) => void;
