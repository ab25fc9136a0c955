import { FerryError } from '../errors.js';

/** A held run lock; `release` is safe to call twice. */
export interface RunLock {
  release(): Promise<void>;
}

/** How often a waiting run retries. */
export const LOCK_POLL_MS = 50;

/** The error of a lock still held by another run after `timeoutMs`. */
export function lockedError(displayUrl: string, timeoutMs: number): FerryError {
  return new FerryError('LOCKED', `Another ferry run holds the revision lock on ${displayUrl}; waited ${timeoutMs} ms.`, {
    subject: displayUrl,
    hint: 'Wait for it to finish, or wait longer with --lock-timeout <ms>. A killed run never keeps the lock, so a held lock means a live process.',
  });
}

/** Waits `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Calls `tryOnce` until it takes the lock (true), waiting LOCK_POLL_MS between tries, and gives
 * up with LOCKED after `timeoutMs`. Both engines' locks are tried this way, so a held lock is
 * waited on the same way everywhere.
 */
export async function pollForLock(displayUrl: string, timeoutMs: number, tryOnce: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await tryOnce())) {
    if (Date.now() >= deadline) throw lockedError(displayUrl, timeoutMs);
    await sleep(Math.min(LOCK_POLL_MS, Math.max(1, deadline - Date.now())));
  }
}

/** A RunLock whose release runs `fn` once. */
export function releaseOnce(fn: () => Promise<void> | void): RunLock {
  let held = true;
  return {
    release: async () => {
      if (!held) return;
      held = false;
      await fn();
    },
  };
}
