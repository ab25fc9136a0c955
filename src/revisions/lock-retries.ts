/**
 * GitLab's with_lock_retries, once for every part of a revision run that takes locks (a revision's
 * transaction, a step after it, a backfill batch): each attempt waits for its locks a little longer,
 * with pauses between attempts, so a blocker can finish and the app's queries queued behind the
 * attempt run instead of stalling behind it.
 */

/** A revision's lock waits per attempt, growing up to `maxMs`. */
export function lockWaitSchedule(maxMs: number): number[] {
  const steps = [100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 60_000].filter((ms) => ms < maxMs);
  return [...steps, maxMs];
}

/** The pause before attempt n+1, so a blocker can finish and the queue behind it drain. */
const RETRY_PAUSES = [100, 250, 500, 1000, 2000, 5000];

/** How one part of a run is attempted and retried. */
export interface LockRetries<T> {
  /** Lock waits per attempt (lockWaitSchedule); `[0]` on engines without lock-safe runs (one attempt, no limit). */
  schedule: number[];
  /** Whether an error is a lock wait that timed out (or a deadlock). */
  isLockWait: (error: unknown) => boolean;
  /** One attempt, waiting at most `lockMs` for each lock. */
  attempt: (lockMs: number, index: number) => Promise<T>;
  /** Whether the part may run again after this lock wait (a no-transaction statement may have done part of its work). */
  again?: (error: unknown) => boolean;
  /** Told of each timed-out attempt before the pause (to record it, to show it). */
  onWait?: (attempt: number, waitedMs: number, pauseMs: number) => Promise<void> | void;
  /** The error when no attempt got its locks. */
  failed: (attempts: number, lastWaitMs: number, cause: unknown) => Error;
}

/** Runs `attempt` until it succeeds, fails with something other than a lock wait, or the schedule ends. */
export async function withLockRetries<T>(r: LockRetries<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await r.attempt(r.schedule[i]!, i);
    } catch (e) {
      if (!r.isLockWait(e)) throw e;
      const last = i === r.schedule.length - 1 || (r.again !== undefined && !r.again(e));
      const pauseMs = RETRY_PAUSES[Math.min(i, RETRY_PAUSES.length - 1)]!;
      await r.onWait?.(i + 1, r.schedule[i]!, last ? 0 : pauseMs);
      if (last) throw r.failed(i + 1, r.schedule[i]!, e);
      await new Promise((done) => setTimeout(done, pauseMs));
    }
  }
}
