import type { Engine } from '../../engine/types.js';
import { appliedSet } from '../../revisions/applied-set.js';
import type { RevisionGraph } from '../../revisions/revision-graph.js';
import type { Revision } from '../../revisions/revision-types.js';
import { splitStatements } from '../../revisions/split-statements.js';
import type { VersionStore } from '../../revisions/version-store.js';

/** Revisions sent in one round trip at most. */
export const BATCH_LIMIT = 500;

/** A revision that can go in a batch: plain SQL, in a transaction, with a section for `direction`. */
export function batchable(rev: Revision, direction: 'up' | 'down'): boolean {
  const section = direction === 'up' ? rev.up : rev.down;
  return rev.transactional && !!section && !section.fn && section.sql !== undefined;
}

/** What runPostgresBatch needs. */
export interface BatchJob {
  engine: Engine;
  store: VersionStore;
  graph: RevisionGraph;
  batch: Revision[];
  /** The applied set before the batch (not changed here). */
  applied: ReadonlySet<string>;
  /** Its heads. */
  heads: readonly string[];
  direction: 'up' | 'down';
  /** The batch ends the plan: its last commit waits for the WAL flush. */
  flushLast: boolean;
}

/**
 * Sends a run of SQL revisions in one simple-query round trip. Each is still its own transaction
 * (BEGIN, its statements, its version and history rows, COMMIT), so the semantics are those of one
 * revision at a time; only the waiting for the network goes. Commits but the plan's last one use
 * `synchronous_commit = off`, set once for the batch (a crash loses whole revisions at most, which
 * the next run applies; the last commit, at the session's own setting, flushes them all). History
 * sequence numbers count on from the one read here, under the run lock; times and durations are
 * the server's clock. Each statement per revision costs the server: 500 revisions went from 210 to
 * 150 ms of server time without a per-revision SET LOCAL, set_config and max(seq).
 * When a statement fails, the server skips the rest of the text: the failed revision's transaction
 * is rolled back here, and the number of revisions that did commit (read back from the version
 * table) is returned, so the caller can run the failing one alone and report its line.
 */
export async function runPostgresBatch(job: BatchJob): Promise<number> {
  const { engine, store, graph, batch, direction } = job;
  const next = new Set(job.applied);
  let heads = [...job.heads];
  const firstSeq = await store.nextSeq();
  const parts: string[] = ['SET synchronous_commit = off'];
  batch.forEach((rev, k) => {
    const section = (direction === 'up' ? rev.up : rev.down)!;
    if (direction === 'up') next.add(rev.id);
    else next.delete(rev.id);
    heads = graph.headsAfterStep(heads, rev, direction, next);
    parts.push('BEGIN');
    if (job.flushLast && k === batch.length - 1) parts.push('SET LOCAL synchronous_commit TO DEFAULT');
    for (const st of splitStatements(section.sql ?? '', 'postgres', section.line ?? 1)) parts.push(st.sql);
    parts.push(store.recordStepSql(heads, rev.id, direction, rev.checksum, { seq: firstSeq + k, firstSeq }));
    parts.push('COMMIT');
  });
  parts.push('RESET synchronous_commit');
  try {
    await engine.exec(parts.join(';\n'));
    return batch.length;
  } catch {
    await engine.exec('ROLLBACK; RESET synchronous_commit').catch(() => undefined);
    const now = appliedSet(graph, await store.heads(), engine.displayUrl);
    let ran = 0;
    while (ran < batch.length && now.has(batch[ran]!.id) === (direction === 'up')) ran++;
    return ran;
  }
}
