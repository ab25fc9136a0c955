/**
 * Has a database changed since a backup set copied it? The manifest records each source's size and
 * times (an unchanged file answers at once) and each table's row count and content digest (a file
 * that was touched is read again and compared table by table). Rollback and a resumed
 * consolidation ask before they act, so that rows written meanwhile are never thrown away unseen.
 */
import { fileRoleOf } from './file-database.js';
import type { BackupFileEntry } from './manifest.js';

/** How one source differs from its backup: what changed, in words, per table. */
export interface SourceChange {
  source: string;
  changes: string[];
}

/** The changes of `entry.source` since the backup, or null when it holds what the set holds. */
export async function sourceChange(entry: BackupFileEntry): Promise<SourceChange | null> {
  const role = fileRoleOf(entry.source, 'backup');
  const stat = await role.fileStat(entry.source);
  if (!stat) return { source: entry.source, changes: ['the file is gone'] };
  if (entry.sourceStat && sameStat(stat, entry.sourceStat)) return null;
  // Sets made before digests were recorded can only compare row counts.
  const now = entry.digests
    ? await role.tableDigests(entry.source)
    : Object.fromEntries(Object.entries(await role.tableRowCounts(entry.source)).map(([t, n]) => [t, `${n}:`]));
  const then = entry.digests ?? Object.fromEntries(Object.entries(entry.tables).map(([t, n]) => [t, `${n}:`]));
  const changes: string[] = [];
  for (const [table, d] of Object.entries(now)) {
    const before = then[table];
    if (before === undefined) changes.push(`table ${table} is new (${rowsOf(d)} rows)`);
    else if (before !== d)
      changes.push(rowsOf(before) === rowsOf(d) ? `${table}: same row count (${rowsOf(d)}), other content` : `${table}: ${rowsOf(before)} → ${rowsOf(d)} rows`);
  }
  for (const table of Object.keys(then)) if (!(table in now)) changes.push(`table ${table} is gone`);
  return changes.length ? { source: entry.source, changes } : null;
}

/** The changes of every source of a set, one source after the other. */
export async function sourceChanges(entries: BackupFileEntry[]): Promise<SourceChange[]> {
  const out: SourceChange[] = [];
  for (const entry of entries) {
    const change = await sourceChange(entry);
    if (change) out.push(change);
  }
  return out;
}

/** "a.db (personas: 500 → 501 rows); b.db (...)" for messages. */
export function describeChanges(changes: SourceChange[]): string {
  return changes.map((c) => `${c.source} (${c.changes.slice(0, 3).join('; ')}${c.changes.length > 3 ? `; ${c.changes.length - 3} more` : ''})`).join(', ');
}

function rowsOf(digest: string): string {
  return digest.split(':')[0]!;
}

function sameStat(a: NonNullable<BackupFileEntry['sourceStat']>, b: NonNullable<BackupFileEntry['sourceStat']>): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && (a.wal?.size ?? 0) === (b.wal?.size ?? 0) && (a.wal?.mtimeMs ?? 0) === (b.wal?.mtimeMs ?? 0);
}
