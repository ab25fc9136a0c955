/**
 * Batching of plain-SQL revisions, the engine-neutral half: which revisions can go in a batch,
 * their statements and the version/history statements that record each, and, when one fails,
 * how many committed. The round trip itself is the engine's (revisionRun.batch).
 */
import type { BatchedRevision, RevisionBatching } from '../engine/revision-roles.js';
import type { Engine } from '../engine/types.js';
import { appliedSet } from './applied-set.js';
import type { RevisionGraph } from './revision-graph.js';
import type { Revision } from './revision-types.js';
import { splitStatements } from './split-statements.js';
import type { VersionStore } from './version-store.js';

/** A revision that can go in a batch: plain SQL, in a transaction, with a section for `direction`. */
export function batchable(rev: Revision, direction: 'up' | 'down'): boolean {
  const section = direction === 'up' ? rev.up : rev.down;
  return rev.transactional && !!section && !section.fn && section.sql !== undefined;
}

/** Where the batch starting at `from` ends (exclusive): batchable revisions, `limit` at most. */
export function batchEnd(revisions: Revision[], from: number, direction: 'up' | 'down', limit: number): number {
  let end = from;
  while (end < revisions.length && end - from < limit && batchable(revisions[end]!, direction)) end++;
  return end;
}

/** What runBatch needs. */
export interface BatchJob {
  batching: RevisionBatching;
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
  /** How long a batched revision waits for a lock before the batch stops (it then runs alone). */
  lockTimeoutMs?: number;
}

/**
 * Sends a run of SQL revisions through the engine's batching, each its own transaction with its
 * version and history rows, and returns how many committed. History sequence numbers count on
 * from the one read here, under the run lock. When one fails, the number that did commit is read
 * back from the version table, so the caller can run the failing one alone and report its line.
 */
export async function runBatch(job: BatchJob): Promise<number> {
  const { engine, store, graph, batch, direction } = job;
  const revisions = await batchedRevisions(job);
  if (await job.batching.send(engine, revisions, { flushLast: job.flushLast, lockTimeoutMs: job.lockTimeoutMs })) return batch.length;
  const now = appliedSet(graph, await store.heads(), engine.displayUrl);
  let ran = 0;
  while (ran < batch.length && now.has(batch[ran]!.id) === (direction === 'up')) ran++;
  return ran;
}

/** Each revision of the batch as the engine sends it: its statements and what records it. */
async function batchedRevisions(job: BatchJob): Promise<BatchedRevision[]> {
  const { engine, store, graph, direction } = job;
  const next = new Set(job.applied);
  let heads = [...job.heads];
  const firstSeq = await store.nextSeq();
  return job.batch.map((rev, k) => {
    const section = (direction === 'up' ? rev.up : rev.down)!;
    if (direction === 'up') next.add(rev.id);
    else next.delete(rev.id);
    heads = graph.headsAfterStep(heads, rev, direction, next);
    const after = heads;
    const seq = firstSeq + k;
    return {
      statements: splitStatements(section.sql ?? '', engine.dialect, section.line ?? 1).map((st) => st.sql),
      previousAppliedAt: k > 0 ? store.appliedAtSql(seq - 1) : null,
      record: (clock) => store.recordStepSql(after, rev.id, direction, rev.checksum, { seq, ...clock }),
    };
  });
}
