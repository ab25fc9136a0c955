/**
 * Who blocks whom, from each session's direct blockers (pg_blocking_pids): chains headed by a
 * session that waits for nobody, and the sessions standing between a ferry run and its lock. Pure
 * functions of a snapshot, so `ferry watch` shows and `--kill-blockers` ends the same sessions.
 */
import type { ActivitySession } from '../engine/activity-roles.js';

/** A session waiting in a chain, `depth` steps behind its head (1: waits for the head itself). */
export interface ChainWaiter extends ActivitySession {
  depth: number;
}

/** A session that blocks others while waiting for nobody, and everyone waiting behind it. */
export interface BlockingChain {
  root: ActivitySession;
  /** Breadth first: nearest waiters first. */
  waiters: ChainWaiter[];
  /** A ferry run waits in it. */
  blocksFerry: boolean;
}

/** The chains of a snapshot's sessions, heads in pid order. */
export function blockingChains(sessions: readonly ActivitySession[]): BlockingChain[] {
  const byPid = new Map(sessions.map((s) => [s.pid, s]));
  const waitersOf = new Map<number, ActivitySession[]>();
  for (const s of sessions) for (const b of s.blockedBy) waitersOf.set(b, [...(waitersOf.get(b) ?? []), s]);
  // A head may be missing from the sessions: a prepared transaction (pid 0) or one that just ended.
  const heads = [...waitersOf.keys()].filter((pid) => !byPid.get(pid)?.blockedBy.length).sort((a, b) => a - b);
  return heads.map((pid) => {
    const root = byPid.get(pid) ?? unknownSession(pid);
    const seen = new Set([pid]);
    const waiters: ChainWaiter[] = [];
    for (let level = waitersOf.get(pid) ?? [], depth = 1; level.length; depth++) {
      const next: ActivitySession[] = [];
      for (const s of level) {
        // A session blocked by two heads shows in both chains, once each: seen is per chain.
        if (seen.has(s.pid)) continue;
        seen.add(s.pid);
        waiters.push({ ...s, depth });
        next.push(...(waitersOf.get(s.pid) ?? []));
      }
      level = next;
    }
    return { root, waiters, blocksFerry: waiters.some((w) => w.ferry) };
  });
}

/**
 * The sessions a ferry run waits for, directly or through others queued ahead of it: heads and the
 * members between them and the run. Never a ferry session, never one the server cannot name (a
 * prepared transaction), since neither can be ended. Heads first.
 */
export function blockersOfFerryRuns(sessions: readonly ActivitySession[]): ActivitySession[] {
  const byPid = new Map(sessions.map((s) => [s.pid, s]));
  const found = new Set<number>();
  const climb = (s: ActivitySession) => {
    for (const pid of s.blockedBy) {
      if (found.has(pid)) continue;
      found.add(pid);
      const blocker = byPid.get(pid);
      if (blocker) climb(blocker);
    }
  };
  for (const s of sessions) if (s.ferry) climb(s);
  return [...found]
    .map((pid) => byPid.get(pid))
    .filter((s): s is ActivitySession => s !== undefined && !s.ferry && s.pid > 0)
    .sort((a, b) => a.blockedBy.length - b.blockedBy.length || a.pid - b.pid);
}

function unknownSession(pid: number): ActivitySession {
  return {
    pid,
    backendStart: '',
    user: null,
    application: pid === 0 ? '(a prepared transaction)' : '(a session that has just ended)',
    state: null,
    waitEvent: null,
    transactionMs: null,
    queryMs: null,
    query: '',
    waitingFor: null,
    blockedBy: [],
    ferry: false,
  };
}
