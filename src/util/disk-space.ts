import fs from 'node:fs';
import path from 'node:path';

/** The nearest folder that exists at or above `p` (a target folder may not exist yet). */
export function nearestExisting(p: string): string {
  let cur = path.resolve(p);
  while (!fs.existsSync(cur)) {
    const up = path.dirname(cur);
    if (up === cur) break;
    cur = up;
  }
  return cur;
}

/** Bytes available to this user on the filesystem holding `p`. */
export function freeBytes(p: string): number {
  const s = fs.statfsSync(nearestExisting(p));
  return s.bavail * s.bsize;
}

/** Device id of the filesystem holding `p`, to know whether two folders share free space. */
export function deviceOf(p: string): number {
  return fs.statSync(nearestExisting(p)).dev;
}

/** Formats a byte count for people. */
export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}
