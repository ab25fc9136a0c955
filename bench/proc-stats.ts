/** Memory and I/O counters of a process, read from /proc (Linux). */
import fs from 'node:fs';

/** VmRSS and VmHWM of a process (default: this one), in kB. */
export function memKb(pid: number | 'self' = 'self'): { rss: number; hwm: number } {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const get = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? 0);
  return { rss: get('VmRSS'), hwm: get('VmHWM') };
}

/** The I/O counters of /proc/<pid>/io: bytes passed to read()/write(), and bytes sent to storage. */
export interface ProcIo {
  rchar: number;
  wchar: number;
  read_bytes: number;
  write_bytes: number;
}

export function procIo(pid: number | 'self' = 'self'): ProcIo {
  return parseIo(fs.readFileSync(`/proc/${pid}/io`, 'utf8'));
}

export function parseIo(text: string): ProcIo {
  const get = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { rchar: get('rchar'), wchar: get('wchar'), read_bytes: get('read_bytes'), write_bytes: get('write_bytes') };
}

