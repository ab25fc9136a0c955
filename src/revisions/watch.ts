/**
 * `ferry watch`: a live look at a database while a migration runs. One connection, kept open for
 * the whole watch (reconnecting every interval would itself queue behind a lock); each look is the
 * engine's activity snapshot, arranged here into what a person reads: blocking chains, long and
 * idle-in-transaction sessions, ferry's runs and steps, index builds, dead tuples.
 */
import type { ActivitySession, IndexBuild, PendingStep, SessionRef, TableHealth, Termination } from '../engine/activity-roles.js';
import { blockersOfFerryRuns, blockingChains, type BlockingChain } from './blocking-chains.js';
import { STEPS_TABLE } from './step-store.js';
import { urlOf, type RevisionTarget } from './revision-target.js';

/** How long a query or transaction runs before a watch lists it, unless told otherwise. */
export const DEFAULT_LONG_MS = 60_000;

/** Why a session is listed as long. */
export type LongReason = 'idle in transaction' | 'long transaction' | 'long query';

/** A session listed for its age. */
export interface LongSession extends ActivitySession {
  why: LongReason;
}

/** One look, as `ferry watch` prints it and `--json` writes it. */
export interface WatchReport {
  /** The database, password masked. */
  database: string;
  /** The server's clock (ISO 8601, UTC). */
  at: string;
  /** The watch's own session, which is listed nowhere. */
  self: number;
  chains: BlockingChain[];
  long: LongSession[];
  /** Sessions that belong to ferry (application name `ferry…`, or holding ferry's run lock). */
  ferryRuns: ActivitySession[];
  indexBuilds: IndexBuild[];
  /** ferry's after-commit steps and backfills not done yet. */
  steps: PendingStep[];
  /** Dead tuples of the tables being changed. */
  tables: TableHealth[];
  /** The sessions that block a ferry run: what `--kill-blockers` ends. */
  blockers: ActivitySession[];
}

export interface WatchOptions extends RevisionTarget {
  /** A query or transaction older than this is listed (default one minute). */
  longMs?: number;
}

/** An open watch: look as often as you like, then close. */
export interface Watch {
  readonly database: string;
  look(): Promise<WatchReport>;
  /** Ends these sessions (ferry's own are always spared by the engine). */
  terminate(sessions: readonly SessionRef[]): Promise<Termination[]>;
  close(): Promise<void>;
}

/** Opens a watch on the database of `t`; NOT_SUPPORTED, before anything opens, when its engine has no sessions to watch. */
export async function openWatch(t: WatchOptions): Promise<Watch> {
  const url = urlOf(t);
  const { connect, parseUrl, roleOf } = await import('../engines/registry.js');
  // Asked before connecting, so a SQLite path is refused without being opened (or created).
  const activity = roleOf(parseUrl(url), 'activity');
  const longMs = t.longMs ?? DEFAULT_LONG_MS;
  const engine = await connect(url, { mustExist: true });
  return {
    database: engine.displayUrl,
    async look() {
      const s = await activity.snapshot(engine, { longMs, stepsTable: STEPS_TABLE });
      return {
        database: engine.displayUrl,
        at: s.at,
        self: s.self,
        chains: blockingChains(s.sessions),
        long: s.sessions.flatMap((x) => {
          const why = longReason(x, longMs);
          return why ? [{ ...x, why }] : [];
        }),
        ferryRuns: s.sessions.filter((x) => x.ferry),
        indexBuilds: s.indexBuilds,
        steps: s.steps,
        tables: s.tables,
        blockers: blockersOfFerryRuns(s.sessions),
      };
    },
    terminate: (sessions) => activity.terminate(engine, sessions),
    close: () => engine.close(),
  };
}

/** Why a session counts as long, or null. Idle in a transaction counts at any age: it holds its locks and snapshot for nothing. */
export function longReason(s: ActivitySession, longMs: number): LongReason | null {
  if (s.state?.startsWith('idle in transaction')) return 'idle in transaction';
  if (s.transactionMs !== null && s.transactionMs >= longMs) return 'long transaction';
  if (s.state === 'active' && s.queryMs !== null && s.queryMs >= longMs) return 'long query';
  return null;
}
