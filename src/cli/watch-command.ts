/**
 * `ferry watch [--url URL] [--once] [--interval 2s] [--long 1min] [--kill-blockers]`: parsing and
 * printing only; the looking is in src/revisions/watch.ts and the engine's activity role.
 */
import type { Command } from 'commander';
import type { Termination } from '../engine/activity-roles.js';
import { EXIT, FerryError } from '../errors.js';
import type { Watch } from '../revisions/watch.js';
import { durationMs } from '../util/duration.js';
import { commonOptions } from './common-options.js';
import { printJson, type Output } from './output.js';
import { action, targetOf, type RevisionFlags } from './revision-commands.js';
import { blockerLines, reportLines, terminationLines } from './watch-print.js';
import { untilStopped } from './stop-signals.js';

interface WatchFlags extends RevisionFlags {
  once?: boolean;
  interval: string;
  long: string;
  killBlockers?: boolean;
}

/** Below this a watch would be a load on the server it watches. */
const MIN_INTERVAL_MS = 100;
const CLEAR_SCREEN = '\u001b[H\u001b[2J';

/** `ferry watch`. */
export function registerWatch(program: Command): void {
  commonOptions(
    program
      .command('watch')
      .description(
        'Watch a live PostgreSQL database while a migration runs: blocking chains, long and idle-in-transaction sessions, index builds, ferry backfills, dead tuples',
      ),
  )
    .option('--url <url>', 'the database (default: DATABASE_URL, then revisions.url in the config)')
    .option('--once', 'print one look and exit')
    .option('--interval <duration>', 'time between looks: 500ms, 2s, 1min', '2s')
    .option('--long <duration>', 'list queries and transactions running longer than this (0 lists every one)', '1min')
    .option('--kill-blockers', "terminate the sessions that block a ferry run, after printing them (never ferry's own)")
    .action(
      action<WatchFlags>(async (o, f) => {
        const intervalMs = durationOption('--interval', f.interval);
        if (intervalMs < MIN_INTERVAL_MS)
          throw new FerryError('USAGE', `--interval must be at least ${MIN_INTERVAL_MS}ms.`, { hint: 'For example --interval 2s.' });
        const longMs = durationOption('--long', f.long, true);
        const { openWatch } = await import('../revisions/watch.js');
        const watch = await openWatch({ ...(await targetOf(f, o)), longMs });
        try {
          // SIGINT and SIGTERM end the watch between looks, so its connection is closed, not dropped.
          return await untilStopped(async (stop) => {
            let failed = false;
            do {
              failed = await lookOnce(o, f, watch, longMs);
              if (!f.once) await sleepUnless(stop, intervalMs);
            } while (!f.once && !stop.aborted);
            // A blocker that could not be ended (a missing privilege) fails a one-off run, for scripts.
            return f.once && failed ? EXIT.error : EXIT.ok;
          });
        } finally {
          await watch.close();
        }
      }),
    );
}

/** One look, printed; with --kill-blockers the blockers are printed, then ended. True when one could not be. */
async function lookOnce(o: Output, f: WatchFlags, watch: Watch, longMs: number): Promise<boolean> {
  const report = await watch.look();
  const killing = !!f.killBlockers;
  if (o.json) {
    const terminated = killing ? await watch.terminate(report.blockers) : undefined;
    const doc = { ok: !notEnded(terminated), ...report, ...(terminated ? { terminated } : {}) };
    // One document per look: pretty for --once, one per line when it streams.
    if (f.once) printJson(o, doc);
    else o.out(JSON.stringify(doc));
    return notEnded(terminated);
  }
  if (!f.once && process.stdout.isTTY) process.stdout.write(CLEAR_SCREEN);
  else if (!f.once) o.out('');
  for (const line of reportLines(o, report, { longMs, killing })) o.out(line);
  if (!killing) return false;
  for (const line of blockerLines(o, report.blockers)) o.out(line);
  const terminated = await watch.terminate(report.blockers);
  for (const line of terminationLines(o, terminated)) o.out(line);
  return notEnded(terminated);
}

/** Whether a blocker is still there because it could not be ended (not because it ended meanwhile). */
function notEnded(results: readonly Termination[] | undefined): boolean {
  return (results ?? []).some((t) => !t.terminated && t.reason !== 'it has already ended');
}

/** A duration option in milliseconds; USAGE when it is not one. */
function durationOption(name: string, text: string, zero = false): number {
  const ms = durationMs(text);
  if (ms !== undefined) return ms;
  // durationMs reads no zero (a wait of nothing is a mistake elsewhere); --long 0 means every session.
  if (zero && /^0+(\.0+)?\s*(ms|s|min)?$/i.test(text.trim())) return 0;
  throw new FerryError('USAGE', `${name} must be a duration such as 500ms, 2s or 1min, not "${text}".`, { hint: `For example ${name} 2s.` });
}

/** Waits `ms`, or less when `stop` aborts first. */
function sleepUnless(stop: AbortSignal, ms: number): Promise<void> {
  return new Promise((resolve) => {
    if (stop.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      stop.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    stop.addEventListener('abort', done, { once: true });
  });
}
