/**
 * Runs one ferry job in its own process, so the benchmark measures this process's time and peak
 * memory and nothing else: `consolidate` (the library's consolidate(), the whole run including its
 * backup step) or `verify` (verifyConsolidation() on a finished run).
 *
 *   node dist/bench/ferry-runner.js consolidate|verify <config.json> <out.json>
 *
 * Writes a JSON summary to out.json: wall time, a timeline of ferry's events (with this process's
 * RSS at each), and the process's peak RSS (VmHWM) read just before exit.
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { consolidate } from '../src/consolidate/run-consolidate.js';
import type { ConsolidateEvent } from '../src/consolidate/events.js';
import type { ConsolidateConfig } from '../src/config/types.js';
import { memKb, procIo, type ProcIo } from './proc-stats.js';

/** One line of the timeline: ms since the process started, and memory at that moment. */
export interface TimelineEntry {
  t: number;
  type: string;
  target?: string;
  table?: string;
  source?: string;
  /** piece-done: the piece's own ms; backup-file: the file name. */
  ms?: number;
  rows?: number;
  file?: string;
  rssKb: number;
  hwmKb: number;
}

export interface RunnerOutput {
  mode: 'consolidate' | 'verify';
  ok: boolean;
  error?: string;
  /** ms since process start when the job started (module loading etc. before it). */
  jobStart: number;
  jobEnd: number;
  timeline: TimelineEntry[];
  peakRssKb: number;
  /** /proc/self/io at backup-done and at the end (bytes). */
  ioAtBackupDone?: ProcIo;
  ioAtEnd?: ProcIo;
  /** CPU time of the whole process (all threads), user + system, ms. */
  cpuMs?: number;
  totalRows?: number;
  tablesMigrated?: number;
  /** verify: tables checked, and tables whose checksum or count disagreed. */
  verifiedTables?: number;
  failedTables?: string[];
  verifyDurationMs?: number;
}

interface VerifyModule {
  verifyConsolidation: (o: {
    config: ConsolidateConfig;
    baseDir: string;
    configFile?: string | null;
  }) => Promise<{ ok: boolean; tables: { target: string; table: string; ok: boolean }[]; durationMs?: number }>;
}

async function main(): Promise<void> {
  const [mode, configFile, outFile] = process.argv.slice(2);
  if ((mode !== 'consolidate' && mode !== 'verify') || !configFile || !outFile) {
    process.stderr.write('usage: ferry-runner.js consolidate|verify <config.json> <out.json>\n');
    process.exit(2);
  }
  const cfg = JSON.parse(fs.readFileSync(configFile, 'utf8')) as { consolidate: ConsolidateConfig };
  const baseDir = path.dirname(path.resolve(configFile));
  const timeline: TimelineEntry[] = [];
  const mark = (type: string, extra: Partial<TimelineEntry> = {}) => {
    const m = memKb();
    timeline.push({ t: performance.now(), type, ...extra, rssKb: m.rss, hwmKb: m.hwm });
  };
  const out: RunnerOutput = { mode, ok: false, jobStart: 0, jobEnd: 0, timeline, peakRssKb: 0 };
  out.jobStart = performance.now();
  mark('job-start');
  try {
    if (mode === 'consolidate') {
      const result = await consolidate({
        config: cfg.consolidate,
        baseDir,
        configFile: path.resolve(configFile),
        onEvent: (e: ConsolidateEvent) => {
          // piece-progress fires every chunk; the timeline keeps the phases.
          if (e.type === 'piece-progress') return;
          if (e.type === 'piece-done') mark(e.type, { target: e.target, table: e.table, source: e.source, ms: e.ms, rows: e.inserted });
          else if (e.type === 'piece-start') mark(e.type, { target: e.target, table: e.table, source: e.source, rows: e.rows });
          else if (e.type === 'target-start') mark(e.type, { target: e.target });
          else if (e.type === 'target-done') mark(e.type, { target: e.target, ms: e.ms });
          else if (e.type === 'backup-file') mark(e.type, { file: e.entry.name });
          else {
            if (e.type === 'backup-done') out.ioAtBackupDone = procIo();
            mark(e.type);
          }
        },
      });
      out.totalRows = result.totalRows;
      out.tablesMigrated = result.tablesMigrated;
      out.ok = true;
    } else {
      // Imported by name at run time so this benchmark builds even while verify is being written.
      const modPath = '../src/consolidate/verify-consolidate.js';
      const mod = (await import(modPath)) as Partial<VerifyModule>;
      if (typeof mod.verifyConsolidation !== 'function') throw new Error('verifyConsolidation() is not exported by src/consolidate/verify-consolidate.ts');
      const r = await mod.verifyConsolidation({ config: cfg.consolidate, baseDir, configFile: path.resolve(configFile) });
      out.verifiedTables = r.tables.length;
      out.failedTables = r.tables.filter((t) => !t.ok).map((t) => `${t.target}:${t.table}`);
      out.verifyDurationMs = r.durationMs;
      out.ok = r.ok;
      if (!r.ok) out.error = `verify reported differences in ${out.failedTables.join(', ')}`;
    }
  } catch (e) {
    out.error = (e as Error).stack ?? String(e);
  }
  mark('job-end');
  out.jobEnd = performance.now();
  out.ioAtEnd = procIo();
  const ru = process.resourceUsage();
  out.cpuMs = (ru.userCPUTime + ru.systemCPUTime) / 1000;
  out.peakRssKb = memKb().hwm;
  fs.writeFileSync(outFile, JSON.stringify(out, null, 2) + '\n');
  process.exitCode = out.ok ? 0 : 1;
}

await main();
