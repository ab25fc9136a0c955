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

/** Peak memory of one process of a sampled tree. */
export interface ProcPeak {
  pid: number;
  name: string;
  hwmKb: number;
}

/** Samples VmRSS/VmHWM of a process and all its descendants from /proc every 20 ms. */
export class TreeSampler {
  private timer: NodeJS.Timeout | null = null;
  readonly peaks = new Map<number, ProcPeak>();
  /** Largest sum of VmRSS over the live processes of the tree, at one sample. */
  treeRssKb = 0;
  samples = 0;

  constructor(
    private readonly root: number,
    intervalMs = 20,
  ) {
    this.tick();
    this.timer = setInterval(() => this.tick(), intervalMs);
  }

  private tick(): void {
    let sum = 0;
    for (const pid of this.tree(this.root)) {
      try {
        const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
        const rss = Number(/^VmRSS:\s+(\d+)/m.exec(s)?.[1] ?? 0);
        const hwm = Number(/^VmHWM:\s+(\d+)/m.exec(s)?.[1] ?? 0);
        const name = /^Name:\s+(.*)$/m.exec(s)?.[1] ?? '?';
        sum += rss;
        const p = this.peaks.get(pid);
        if (!p || hwm > p.hwmKb) this.peaks.set(pid, { pid, name, hwmKb: hwm });
      } catch {
        // gone between listing and reading
      }
    }
    this.samples++;
    this.treeRssKb = Math.max(this.treeRssKb, sum);
  }

  private tree(pid: number): number[] {
    const out = [pid];
    try {
      for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
        const kids = fs.readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
        if (kids) for (const k of kids.split(/\s+/)) out.push(...this.tree(Number(k)));
      }
    } catch {
      // exited
    }
    return out;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** The largest single-process peak seen (optionally only processes with this name). */
  maxHwmKb(name?: string): number {
    let m = 0;
    for (const p of this.peaks.values()) if (!name || p.name === name) m = Math.max(m, p.hwmKb);
    return m;
  }

  /** Largest peak per process name. */
  byName(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const p of this.peaks.values()) out[p.name] = Math.max(out[p.name] ?? 0, p.hwmKb);
    return out;
  }
}
