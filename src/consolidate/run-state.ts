import fs from 'node:fs';
import path from 'node:path';
import { removeAtomicLeftovers, writeFileAtomic } from '../util/fs-atomic.js';

/** ferry's working folder inside targetDir: partial targets, run state, reports. */
export function stateDir(targetDir: string): string {
  return path.join(targetDir, '.ferry');
}

/** What survives a killed run: the job's fingerprint, its backup set and the finished targets. */
export interface RunState {
  fingerprint: string;
  backupSet: string;
  completed: string[];
  startedAt: string;
}

function statePath(targetDir: string): string {
  return path.join(stateDir(targetDir), 'consolidate-state.json');
}

export function readRunState(targetDir: string): RunState | null {
  try {
    return JSON.parse(fs.readFileSync(statePath(targetDir), 'utf8')) as RunState;
  } catch {
    return null;
  }
}

export function writeRunState(targetDir: string, state: RunState): void {
  fs.mkdirSync(stateDir(targetDir), { recursive: true });
  writeFileAtomic(statePath(targetDir), JSON.stringify(state, null, 2) + '\n');
}

export function clearRunState(targetDir: string): void {
  fs.rmSync(statePath(targetDir), { force: true });
  // A run killed while writing its state or a report leaves a temporary file; the run that
  // completes the job clears them.
  removeAtomicLeftovers(stateDir(targetDir));
}
