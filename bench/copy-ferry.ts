/**
 * ferry in the copy benchmark: `node bin/ferry.js copy <file.db> <pg url> --json` into a fresh
 * database, then `node bin/ferry.js verify <file.db> <pg url> --json` on the result, each timed
 * with the peak memory of its process tree. Runs the compiled CLI (`npm run build` first).
 *
 * When a command is missing or fails, the result says so (`available: false` when the CLI does
 * not know the command) and the benchmark carries on with the other jobs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { BENCH_DIR, type Dataset } from './copy-dataset.js';
import { checkpoint, freshDatabase, pgUrl, runChild } from './copy-floor.js';

export const FERRY_BIN = path.join(BENCH_DIR, '..', 'bin', 'ferry.js');

export interface FerryJobResult {
  job: 'copy' | 'verify';
  ok: boolean;
  /** false when the CLI does not have the command (yet). */
  available: boolean;
  error?: string;
  db: string;
  wallMs: number;
  exitCode: number | null;
  /** Peak VmHWM of the node process, kB. */
  peakKb: number;
  cpuMs: number;
  /** The --json output, parsed, when there was one. */
  json?: unknown;
}

function notAvailable(text: string): boolean {
  return /unknown command|error: unknown|Cannot find module|ERR_MODULE_NOT_FOUND/i.test(text);
}

async function runFerryJob(job: 'copy' | 'verify', ds: Dataset, db: string, extraArgs: string[]): Promise<FerryJobResult> {
  const res: FerryJobResult = { job, ok: false, available: true, db, wallMs: 0, exitCode: null, peakKb: 0, cpuMs: 0 };
  if (!fs.existsSync(FERRY_BIN)) {
    res.available = false;
    res.error = `${FERRY_BIN} not found`;
    return res;
  }
  try {
    const r = await runChild('node', [FERRY_BIN, job, ds.file, pgUrl(db), '--json', ...extraArgs], { timeoutMs: 60 * 60 * 1000 });
    res.wallMs = r.wallMs;
    res.exitCode = r.code;
    res.cpuMs = r.cpuMs;
    res.peakKb = r.peakByName['node'] ?? r.peakKb;
    const text = r.stdout.trim();
    if (text) {
      try {
        res.json = JSON.parse(text);
      } catch {
        // the last line may be the JSON document (progress before it)
        const last = text.split('\n').pop() ?? '';
        try {
          res.json = JSON.parse(last);
        } catch {
          res.json = undefined;
        }
      }
    }
    res.ok = r.code === 0;
    if (!res.ok) {
      res.available = !notAvailable(r.stderr + r.stdout);
      res.error = `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}: ${(r.stderr.trim() || r.stdout.trim()).slice(-1500)}`;
    }
  } catch (e) {
    res.error = (e as Error).message;
  }
  return res;
}

/** `ferry copy` into a fresh database `db`. */
export async function runFerryCopy(ds: Dataset, db: string, extraArgs: string[] = []): Promise<FerryJobResult> {
  try {
    freshDatabase(db);
    checkpoint();
  } catch (e) {
    return { job: 'copy', ok: false, available: true, error: (e as Error).message, db, wallMs: 0, exitCode: null, peakKb: 0, cpuMs: 0 };
  }
  return runFerryJob('copy', ds, db, extraArgs);
}

/** `ferry verify` of the source against database `db` (filled by runFerryCopy). */
export async function runFerryVerify(ds: Dataset, db: string, extraArgs: string[] = []): Promise<FerryJobResult> {
  try {
    checkpoint();
  } catch {
    // not essential
  }
  return runFerryJob('verify', ds, db, extraArgs);
}
