import type { CopyEvent } from '../transfer/copy-events.js';
import { formatBytes } from '../util/disk-space.js';
import { paint, type Output } from './output.js';

/**
 * Renders copy events: on a terminal one live line per table being loaded (rows, rows/s, ETA);
 * in a pipe or CI one plain line per step and table; nothing with --json.
 */
export function copyProgress(o: Output): (e: CopyEvent) => void {
  if (o.json) return () => undefined;
  const active = new Map<string, { started: number; done: number; rows: number }>();
  let drawn = 0;
  let lastDraw = 0;
  const clear = () => {
    if (!o.live || drawn === 0) return;
    process.stderr.write(`\u001b[${drawn}A\u001b[0J`);
    drawn = 0;
  };
  const draw = (force = false) => {
    if (!o.live) return;
    const now = Date.now();
    if (!force && now - lastDraw < 100) return;
    lastDraw = now;
    clear();
    for (const [table, s] of active) {
      const frac = s.rows > 0 ? Math.min(1, s.done / s.rows) : 0;
      const bar = '█'.repeat(Math.round(frac * 24)).padEnd(24, '░');
      const secs = Math.max(0.001, (now - s.started) / 1000);
      const rate = s.done / secs;
      const eta = rate > 0 && s.rows > s.done ? ` ETA ${Math.ceil((s.rows - s.done) / rate)}s` : '';
      process.stderr.write(
        `  ${bar} ${table} ${s.done.toLocaleString('en-US')}/${s.rows.toLocaleString('en-US')} rows ${Math.round(rate).toLocaleString('en-US')}/s${eta}\n`,
      );
      drawn++;
    }
  };
  return (e) => {
    switch (e.type) {
      case 'planned':
        o.log(`${e.resumed ? 'resuming' : 'copying'} ${e.plan.tables.length} table(s) from ${e.plan.from.displayUrl} to ${e.plan.to.displayUrl}`);
        for (const t of e.plan.tables) for (const c of t.columns) o.detail(`  ${t.target}.${c.target}: ${c.sourceType || '(none)'} → ${c.targetType}`);
        break;
      case 'phase':
        clear();
        o.log(e.message);
        break;
      case 'warning':
        clear();
        o.err(`${paint(o, 'yellow', 'warning:')} ${e.warning.message}`);
        draw(true);
        break;
      case 'table-start':
        active.set(e.table, { started: Date.now(), done: e.done, rows: e.rows });
        draw(true);
        break;
      case 'table-progress': {
        const s = active.get(e.table);
        if (s) s.done = e.done;
        draw();
        break;
      }
      case 'table-done':
        active.delete(e.table);
        clear();
        o.log(
          `  ${e.table}: ${e.rows.toLocaleString('en-US')} rows${e.alreadyDone ? ' (already copied)' : ` in ${(e.ms / 1000).toFixed(1)}s, ${formatBytes(e.bytes)}`}${e.rejects ? paint(o, 'yellow', `, ${e.rejects} rejected`) : ''}`,
        );
        draw(true);
        break;
    }
  };
}
