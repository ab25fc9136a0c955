/**
 * pgloader in the copy benchmark: `pgloader <file.db> postgresql://.../<db>` with its defaults
 * for a SQLite source (create tables, copy, create indexes, primary keys, foreign keys, reset
 * sequences), into a fresh database, timed, with the peak memory of the pgloader process tree.
 *
 * Options before the file go first (e.g. `--dynamic-space-size 4096`, the SBCL heap in MB; the
 * Debian build's default heap of 1 GB is exhausted at scale 10).
 *
 * Install: `apt-get install pgloader` (Debian 12 ships 3.6.9, which reports itself as
 * "3.6.7~devel").
 */
import { spawnSync } from 'node:child_process';
import { TABLES, type Dataset } from './copy-dataset.js';
import { checkpoint, freshDatabase, pgUrl, runChild } from './copy-floor.js';

export interface PgloaderResult {
  ok: boolean;
  available: boolean;
  version?: string;
  error?: string;
  db: string;
  wallMs: number;
  exitCode: number | null;
  /** Peak VmHWM of the pgloader process, kB. */
  peakKb: number;
  cpuMs: number;
  /** Rows per table as pgloader's own summary reports them. */
  reportedRows: Record<string, number>;
  /** Tables with a non-zero "errors" column in pgloader's summary. */
  reportedErrors: Record<string, number>;
  /** pgloader's summary lines of its phases (name -> seconds). */
  phases: Record<string, number>;
  /** ERROR and WARNING lines it logged. */
  errors: string[];
  /** The summary table as printed. */
  summary: string;
}

export function pgloaderVersion(): string | null {
  const r = spawnSync('pgloader', ['--version'], { encoding: 'utf8' });
  if (r.status !== 0 || r.error) return null;
  return /version "([^"]+)"/.exec(r.stdout)?.[1] ?? r.stdout.trim().split('\n')[0] ?? '?';
}

export async function runPgloader(ds: Dataset, db: string, extraArgs: string[] = []): Promise<PgloaderResult> {
  const res: PgloaderResult = {
    ok: false,
    available: false,
    db,
    wallMs: 0,
    exitCode: null,
    peakKb: 0,
    cpuMs: 0,
    reportedRows: {},
    reportedErrors: {},
    phases: {},
    errors: [],
    summary: '',
  };
  const version = pgloaderVersion();
  if (!version) {
    res.error = 'pgloader is not installed (apt-get install pgloader)';
    return res;
  }
  res.available = true;
  res.version = version;
  try {
    freshDatabase(db);
    checkpoint();
    const r = await runChild('pgloader', [...extraArgs, ds.file, pgUrl(db)], { timeoutMs: 60 * 60 * 1000 });
    res.wallMs = r.wallMs;
    res.exitCode = r.code;
    res.cpuMs = r.cpuMs;
    res.peakKb = r.peakByName['pgloader'] ?? r.peakKb;
    const out = r.stdout + '\n' + r.stderr;
    res.errors = out
      .split('\n')
      .filter((l) => /\b(ERROR|WARNING|FATAL)\b|fatal error|Heap exhausted/i.test(l))
      .map((l) => l.replace(/^\S+Z /, '').slice(0, 300));
    const start = out.indexOf('table name');
    if (start >= 0) res.summary = out.slice(out.lastIndexOf('\n', start) + 1).trim();
    for (const line of res.summary.split('\n')) {
      const m = /^\s*(.+?)\s{2,}(\d+|\S)\s+(\d+)\s+(?:([\d.]+ [kMG]?B)\s+)?(?:(\d+)m)?([\d.]+)s\s*$/.exec(line);
      if (!m) continue;
      const seconds = Number(m[5] ?? 0) * 60 + Number(m[6]);
      const name = m[1]!.trim();
      if (TABLES.some((t) => t.name === name) || name.startsWith('sqlite_')) {
        res.reportedRows[name] = Number(m[3]);
        if (Number(m[2])) res.reportedErrors[name] = Number(m[2]);
      } else res.phases[name] = seconds;
    }
    res.ok = r.code === 0;
    if (!res.ok) res.error = `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}: ${r.stderr.slice(-1000)}`;
  } catch (e) {
    res.error = (e as Error).message;
  }
  return res;
}
