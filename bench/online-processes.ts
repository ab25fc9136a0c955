/**
 * The processes of the online-schema-change benchmark (online-bench.ts): the app (online-writer.ts),
 * the long read (online-reader.ts), and a timed command for the operation itself.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { WriterReport } from './online-writer.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const WRITER_JS = path.join(HERE, 'online-writer.js');
const READER_JS = path.join(HERE, 'online-reader.js');

/** The wall clock with sub-millisecond precision, comparable with the writer's and the reader's. */
export const nowMs = () => performance.timeOrigin + performance.now();

export interface Timed {
  code: number | null;
  start: number;
  end: number;
  stdout: string;
  stderr: string;
  /** Each stderr line with when it arrived (ferry's step lines date its after-commit steps). */
  lines: { t: number; line: string }[];
}

/** A command to its exit, timed; its stderr kept line by line with arrival times. */
export function timed(cmd: string, args: string[], cwd?: string): Promise<Timed> {
  const start = nowMs();
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  let partial = '';
  const lines: Timed['lines'] = [];
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => {
    const t = nowMs();
    stderr += c.toString();
    const parts = (partial + c.toString()).split('\n');
    partial = parts.pop()!;
    for (const line of parts) lines.push({ t, line });
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, start, end: nowMs(), stdout, stderr, lines }));
  });
}

export interface Writer {
  ready: Promise<void>;
  /** The app's new version: inserts name `tier` instead of `plan`. */
  moveApp(): void;
  stop(): Promise<WriterReport>;
}

export function startWriter(url: string, rate: number, rows: number, firstId: number): Writer {
  const child = spawn(process.execPath, [WRITER_JS, url, String(rate), String(rows), String(firstId)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.startsWith('ready\n')) resolve();
    });
    void closed.then((code) => reject(new Error(`the writer exited (${code}) before it was ready`)));
  });
  return {
    ready,
    moveApp: () => child.kill('SIGUSR2'),
    stop: async () => {
      child.kill('SIGTERM');
      const code = await closed;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (!line) throw new Error(`the writer printed no report (exit ${code})`);
      return JSON.parse(line) as WriterReport;
    },
  };
}

export interface Reader {
  /** When the reader began (spawned). */
  started: number;
  /** When it held its lock, after its count(*). */
  holding: Promise<number>;
  released: Promise<number>;
}

export function startReader(url: string, holdMs: number): Reader {
  const started = nowMs();
  const child = spawn(process.execPath, [READER_JS, url, String(holdMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const events: Record<string, number> = {};
  const holding = new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      for (const l of out.split('\n')) if (l.startsWith('{')) Object.assign(events, JSON.parse(l) as Record<string, number>);
      if (events.holding) resolve(events.holding);
    });
    child.on('close', (code) => (events.holding ? undefined : reject(new Error(`the reader exited (${code}) before it held its lock`))));
  });
  const released = new Promise<number>((resolve, reject) =>
    child.on('close', (code) => (events.released ? resolve(events.released) : reject(new Error(`the reader exited (${code}) without committing`)))),
  );
  return { started, holding, released };
}
