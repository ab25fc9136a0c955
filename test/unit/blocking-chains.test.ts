import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ActivitySession } from '../../src/engine/activity-roles.js';
import { blockersOfFerryRuns, blockingChains } from '../../src/revisions/blocking-chains.js';
import { longReason } from '../../src/revisions/watch.js';

function s(pid: number, blockedBy: number[] = [], extra: Partial<ActivitySession> = {}): ActivitySession {
  return {
    pid,
    backendStart: '2024-01-01T00:00:00.000000Z',
    user: 'app',
    application: 'app',
    state: 'active',
    waitEvent: null,
    transactionMs: 10,
    queryMs: 10,
    query: 'SELECT 1',
    waitingFor: null,
    blockedBy,
    ferry: false,
    ...extra,
  };
}

test('chains: heads wait for nobody; waiters follow breadth first, each once per chain', () => {
  // 1 holds a lock; 2 queues behind it for a stronger one; 3 (ferry) waits for both; 4 waits for 1 alone.
  const sessions = [s(1), s(2, [1]), s(3, [1, 2], { ferry: true }), s(4, [1]), s(9)];
  const [chain, ...rest] = blockingChains(sessions);
  assert.equal(rest.length, 0);
  assert.equal(chain!.root.pid, 1);
  assert.deepEqual(
    chain!.waiters.map((w) => [w.pid, w.depth]),
    [
      [2, 1],
      [3, 1],
      [4, 1],
    ],
  );
  assert.equal(chain!.blocksFerry, true);
});

test('blockers of a ferry run: the head and the members queued ahead of the run, never ferry sessions or bystanders', () => {
  const sessions = [s(1), s(2, [1]), s(3, [2], { ferry: true }), s(4, [1]), s(5, [3])];
  assert.deepEqual(
    blockersOfFerryRuns(sessions).map((x) => x.pid),
    [1, 2],
  );
  // A ferry session at the head is spared, and so is a prepared transaction (pid 0), which has no session to end.
  assert.deepEqual(blockersOfFerryRuns([s(1, [], { ferry: true }), s(2, [1], { ferry: true })]), []);
  assert.deepEqual(blockersOfFerryRuns([s(2, [0], { ferry: true })]), []);
});

test('a head missing from the sessions (a prepared transaction) still heads its chain', () => {
  const [chain] = blockingChains([s(7, [0])]);
  assert.equal(chain!.root.pid, 0);
  assert.match(chain!.root.application, /prepared transaction/);
  assert.deepEqual(
    chain!.waiters.map((w) => w.pid),
    [7],
  );
});

test('a deadlock cycle (until the server breaks it) has no head and does not loop', () => {
  assert.deepEqual(blockingChains([s(1, [2]), s(2, [1])]), []);
});

test('long: idle in a transaction at any age; otherwise a transaction or running query past the limit', () => {
  assert.equal(longReason(s(1, [], { state: 'idle in transaction', transactionMs: 5 }), 60_000), 'idle in transaction');
  assert.equal(longReason(s(1, [], { transactionMs: 61_000, queryMs: 10 }), 60_000), 'long transaction');
  assert.equal(longReason(s(1, [], { transactionMs: null, queryMs: 61_000 }), 60_000), 'long query');
  assert.equal(longReason(s(1, [], { state: 'idle', transactionMs: null, queryMs: 61_000 }), 60_000), null);
  assert.equal(longReason(s(1), 60_000), null);
});
