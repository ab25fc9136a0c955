import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from dist/test/...). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** The CLI launcher, as users run it. */
export const FERRY = path.join(ROOT, 'bin', 'ferry.js');

/** What a CLI run printed and how it exited. */
export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node bin/ferry.js ...args` in `cwd` (like spawnSync, but without blocking the test
 * process, so test cases can run side by side). Killed after 20 s so a hang fails, not stalls.
 */
export function ferry(cwd: string, ...args: string[]): Promise<CliResult> {
  return ferryWithEnv(cwd, {}, ...args);
}

/** Like `ferry`, with extra environment variables. */
export function ferryWithEnv(cwd: string, extraEnv: NodeJS.ProcessEnv, ...args: string[]): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...extraEnv };
  delete env.FERRY_DEBUG;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FERRY, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** SHA-256 of a file's bytes. */
export function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}
