import type { ConsolidateEvent } from '../consolidate/events.js';
import { formatBytes } from '../util/disk-space.js';
import type { Output } from './output.js';

/**
 * Renders consolidation events: a live bar per table (rows, rate) on a terminal, one plain line
 * per step in a pipe or CI, nothing with --json (the summary document says it all).
 */
export function progressRenderer(o: Output): (e: ConsolidateEvent) => void {
  if (o.json) return () => undefined;
  let started = 0;
  let lastDraw = 0;
  const draw = (label: string, done: number, total: number) => {
    const now = Date.now();
    if (now - lastDraw < 80 && done < total) return;
    lastDraw = now;
    const width = 24;
    const frac = total > 0 ? Math.min(1, done / total) : 1;
    const bar = '█'.repeat(Math.round(frac * width)).padEnd(width, '░');
    const secs = Math.max(0.001, (now - started) / 1000);
    process.stderr.write(
      `\r\u001b[2K  ${bar} ${label} ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} rows ${Math.round(done / secs).toLocaleString('en-US')}/s`,
    );
  };
  return (e) => {
    switch (e.type) {
      case 'backup-start':
        o.log(`backing up ${e.files} source file(s) into ${e.dir}`);
        break;
      case 'backup-file':
        o.log(`  backed up ${e.entry.name} (${formatBytes(e.entry.size)}, integrity ${e.entry.integrity}, sha256 ${e.entry.sha256.slice(0, 12)}…)`);
        break;
      case 'backup-done':
        o.log(e.reused ? `resuming the interrupted run; its backup is ${e.path}` : `backup complete: ${e.path}`);
        break;
      case 'target-start':
        o.log(`building ${e.target}${e.resumed ? ' (resuming)' : ''}`);
        break;
      case 'piece-start':
        started = Date.now();
        if (o.live) draw(`${e.table} ← ${e.source}`, e.done, e.rows);
        break;
      case 'piece-progress':
        if (o.live) draw(`${e.table} ← ${e.source}`, e.done, e.rows);
        break;
      case 'piece-done': {
        if (o.live) process.stderr.write('\r\u001b[2K');
        const extra = [e.skipped ? `${e.skipped} skipped` : '', e.replaced ? `${e.replaced} replaced` : ''].filter(Boolean).join(', ');
        o.log(
          `  ${e.table} ← ${e.source}:${e.sourceTable}: ${e.inserted.toLocaleString('en-US')} rows${extra ? ` (${extra})` : ''}${e.alreadyDone ? ' (already done)' : ` in ${e.ms} ms`}`,
        );
        break;
      }
      case 'target-done':
        o.log(`  ${e.target} written to ${e.path}`);
        break;
      case 'note':
        o.log(e.message);
        break;
    }
  };
}
