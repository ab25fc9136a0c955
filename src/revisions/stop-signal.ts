import { FerryError } from '../errors.js';

/**
 * Ends a run that was asked to stop (SIGTERM, Ctrl-C) at a point where stopping loses nothing:
 * between revisions, between steps, between a backfill's batches. What ran stays; the same command
 * continues from there.
 */
export function stopIfAsked(signal: AbortSignal | undefined, where: string): void {
  if (!signal?.aborted) return;
  throw new FerryError('INTERRUPTED', `Stopped as asked, ${where}. What ran before stays applied.`, {
    hint: 'Run the same command again: it continues there (a backfill at its next batch).',
  });
}
