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
