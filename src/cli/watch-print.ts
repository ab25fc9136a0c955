/**
 * `ferry watch` as text: one block of lines per look, the same whether it redraws a terminal or
 * goes down a pipe, so what a person sees live is what a log keeps.
 */
import type { ActivitySession, Termination } from '../engine/activity-roles.js';
import type { WatchReport } from '../revisions/watch.js';
import { paint, type Output } from './output.js';

/** 850ms, 4.2s, 12s, 2m03s, 1h05m. */
export function age(ms: number | null): string {
  if (ms === null) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`;
}

const count = (n: number) => n.toLocaleString('en-US');

/** A session on one line: who, what state, how long, what it waits for. */
function who(o: Output, s: ActivitySession): string {
  const times = [s.transactionMs !== null ? `transaction ${age(s.transactionMs)}` : '', s.queryMs !== null ? `query ${age(s.queryMs)}` : '']
    .filter(Boolean)
    .join(', ');
  const state = s.state?.startsWith('idle in transaction') ? paint(o, 'yellow', s.state) : (s.state ?? '-');
  const waits = s.waitingFor ? `, ${paint(o, 'red', `waits for ${s.waitingFor}`)}` : s.waitEvent ? `, ${s.waitEvent}` : '';
  return `${paint(o, 'bold', String(s.pid))} ${s.application || '-'} (${s.user ?? '-'}) ${state}${waits}${times ? `, ${times}` : ''}${s.ferry ? paint(o, 'green', '  [ferry run]') : ''}`;
}

function query(o: Output, s: ActivitySession, indent: string): string[] {
  return s.query ? [paint(o, 'dim', `${indent}${s.query}`)] : [];
}

function section(o: Output, title: string, body: string[]): string[] {
  return body.length ? ['', paint(o, 'bold', title), ...body] : ['', `${paint(o, 'bold', title)}: none`];
}

/** The lines of one look. */
export function reportLines(o: Output, r: WatchReport, options: { longMs: number; killing: boolean }): string[] {
  const chains = r.chains.flatMap((c) => [
    `  ${who(o, c.root)}${c.blocksFerry ? paint(o, 'red', '  blocks a ferry run') : ''}`,
    ...query(o, c.root, '      '),
    ...c.waiters.flatMap((w) => {
      const indent = '  '.repeat(w.depth + 1);
      return [`${indent}└ ${who(o, w)}`, ...query(o, w, `${indent}    `)];
    }),
  ]);
  const long = r.long.flatMap((s) => [`  ${who(o, s)}  (${s.why})`, ...query(o, s, '      ')]);
  const runs = r.ferryRuns.flatMap((s) => [`  ${who(o, s)}`, ...query(o, s, '      ')]);
  const builds = r.indexBuilds.map((b) => {
    const progress = b.percent === null ? '' : `  ${b.percent}%`;
    const figures =
      b.blocksTotal > 0
        ? ` (blocks ${count(b.blocksDone)}/${count(b.blocksTotal)})`
        : b.tuplesTotal > 0
          ? ` (tuples ${count(b.tuplesDone)}/${count(b.tuplesTotal)})`
          : '';
    const waiting = b.waitingForPid !== null ? `, waiting for ${b.waitingForPid}` : '';
    return `  ${paint(o, 'bold', b.index ?? '(new index)')} on ${b.table}  ${b.command}  ${b.phase}${progress}${figures}  pid ${b.pid}${waiting}`;
  });
  const steps = r.steps.map((s) => {
    const total = s.rowsTotal !== null && s.rowsTotal > 0 ? `/${count(s.rowsTotal)} rows (${Math.floor((100 * s.rowsDone) / s.rowsTotal)}%)` : ' rows';
    return `  ${paint(o, 'bold', s.revision)} ${s.direction} ${s.kind} ${s.label}${s.kind === 'backfill' ? `: ${count(s.rowsDone)}${total}` : ''}`;
  });
  const tables = r.tables.map((t) => {
    const share = t.live + t.dead > 0 ? ` (${((100 * t.dead) / (t.live + t.dead)).toFixed(1)}% dead)` : '';
    return `  ${paint(o, 'bold', t.table)}  dead ${count(t.dead)}, live ${count(t.live)}${share}, last autovacuum ${t.lastAutovacuum ?? 'never'}  [${t.reasons.join(', ')}]`;
  });
  const blockers =
    options.killing || !r.blockers.length
      ? []
      : [
          '',
          paint(
            o,
            'red',
            `${r.blockers.length} session(s) block a ferry run: ${r.blockers.map((b) => b.pid).join(', ')} (ferry watch --kill-blockers ends them)`,
          ),
        ];
  return [
    `${paint(o, 'bold', 'ferry watch')}  ${r.database}  at ${r.at}`,
    ...section(o, 'Blocking chains', chains),
    ...section(o, `Long-running (over ${age(options.longMs)}) and idle-in-transaction sessions`, long),
    ...section(o, 'Ferry runs', runs),
    ...section(o, 'Index builds', builds),
    ...section(o, 'Ferry steps in progress', steps),
    ...section(o, 'Tables being changed', tables),
    ...blockers,
  ];
}

/** What --kill-blockers is about to end, printed before anything is ended. */
export function blockerLines(o: Output, blockers: readonly ActivitySession[]): string[] {
  if (!blockers.length) return ['', 'No session blocks a ferry run: nothing to terminate.'];
  return [
    '',
    paint(o, 'red', `Terminating ${blockers.length} session(s) that block a ferry run:`),
    ...blockers.map(
      (s) => `  ${s.pid} user ${s.user ?? '-'}, ${s.application || '-'}, ${s.state ?? '-'}, ${age(s.transactionMs ?? s.queryMs)}: ${s.query || '(no query)'}`,
    ),
  ];
}

/** What --kill-blockers did. */
export function terminationLines(o: Output, results: readonly Termination[]): string[] {
  return results.map((t) => (t.terminated ? paint(o, 'green', `  terminated ${t.pid}`) : paint(o, 'yellow', `  not terminated ${t.pid}: ${t.reason}`)));
}
