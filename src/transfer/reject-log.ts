import fs from 'node:fs';
import path from 'node:path';
import { EXIT, FerryError } from '../errors.js';
import type { RejectRecord } from './copy-types.js';

/**
 * The reject file of a copy: one JSON object per refused row (table, key, column, value, reason),
 * created only when the first row is refused, appended to by resumed runs. Also keeps the run's
 * count against `--max-rejects`.
 */
export class RejectLog {
  private fd: number | null = null;
  /** Lines already in the file (a resumed run may refuse a row again that a killed run wrote). */
  private written: Set<string> | null = null;
  /** Rejects counted in this run plus those recorded by earlier runs of a resumed copy. */
  total = 0;

  constructor(
    /** Where the file goes. */
    readonly file: string,
    /** Refused rows tolerated before the run stops. */
    readonly maxRejects: number,
  ) {}

  /** Appends records and syncs them to disk (they are written before the chunk commits). */
  write(records: RejectRecord[]): void {
    if (records.length === 0) return;
    if (this.fd === null) {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      // A killed run wrote its chunk's rejects before the chunk committed; the resumed run refuses
      // the same rows again. Each line is written once.
      this.written = new Set(fs.existsSync(this.file) ? fs.readFileSync(this.file, 'utf8').split('\n').filter(Boolean) : []);
      this.fd = fs.openSync(this.file, 'a');
    }
    const lines = records.map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).filter((l) => !this.written!.has(l));
    if (lines.length === 0) return;
    for (const l of lines) this.written!.add(l);
    fs.writeSync(this.fd, lines.map((l) => `${l}\n`).join(''));
    fs.fsyncSync(this.fd);
  }

  /** Counts committed rejects; throws TOO_MANY_REJECTS once there are more than allowed. */
  count(n: number): void {
    this.total += n;
    if (this.total > this.maxRejects) {
      throw new FerryError(
        'TOO_MANY_REJECTS',
        `${this.total} row(s) were refused, more than --max-rejects ${this.maxRejects}; the copy stopped. They are listed in ${this.file}.`,
        {
          subject: this.file,
          hint: 'Fix the rows (or the types) and re-run with --resume, or allow them with --max-rejects N and --resume. Rows committed so far stay.',
          data: { exitCode: EXIT.rejects, rejects: this.total },
        },
      );
    }
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}
